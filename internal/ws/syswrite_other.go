//go:build !linux

package ws

import (
	"net"
	"syscall"
	"time"
)

func rawConnOf(net.Conn) syscall.RawConn { return nil }

func writeNonblocking(net.Conn, syscall.RawConn, []byte, time.Duration) error {
	panic("ws: writeNonblocking without a raw conn")
}
