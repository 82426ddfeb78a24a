package app

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// listenControl sets TCP_DEFER_ACCEPT on the HTTP listener: the kernel
// hands over a connection once its first bytes (the HTTP request) have
// arrived, so accepting and reading the request take one wake-up instead of
// two. A client that connects and sends nothing is accepted after about a
// second anyway, and then meets the usual header timeout.
func listenControl(_, _ string, c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_DEFER_ACCEPT, 1)
	}); err != nil {
		return err
	}
	_ = serr // an old or unusual kernel without the option still serves
	return nil
}
