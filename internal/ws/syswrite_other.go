//go:build !linux

package ws

import (
	"net"
	"syscall"
)

func rawConnOf(net.Conn) syscall.RawConn { return nil }

func writeNonblocking(syscall.RawConn, []byte) error {
	panic("ws: writeNonblocking without a raw conn")
}
