// Package rawsock reads and writes non-blocking sockets with raw system
// calls.
//
// Go's net package makes every read(2) and write(2) through the runtime's
// system-call bookkeeping (entersyscall/exitsyscall). On a lightly loaded
// server that bookkeeping costs more than the call: a system call made while
// the scheduler's monitor thread (sysmon) sleeps wakes it, after which it
// polls every 20 µs for a while, and a call that sysmon sees in progress gets
// its P handed to another thread. On a server pinned to one core each of
// those is a pair of context switches on the core that does the work.
//
// A socket in the net package is non-blocking, so read(2) and write(2) on
// it never block: rawsock makes them with syscall.RawSyscall inside
// syscall.RawConn callbacks. RawConn keeps the descriptor open (and its
// number not reused) while a callback runs, and when the socket is not ready
// it parks the goroutine in the runtime's netpoller, honouring the
// connection's deadlines, exactly as net.Conn does.
//
// Conn and Listener wrap TCP connections so that net/http's reads and writes
// take this path too.
package rawsock

import (
	"io"
	"net"
	"syscall"
)

// Conn is a TCP connection whose Read and Write use raw system calls. It
// embeds *net.TCPConn for everything else (deadlines, addresses, Close,
// SyscallConn, CloseWrite).
type Conn struct {
	*net.TCPConn
	rc syscall.RawConn
}

// Wrap returns c with raw reads and writes, or c itself when it is not a
// *net.TCPConn (or raw calls are unavailable on this platform).
func Wrap(c net.Conn) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok || !supported {
		return c
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	return &Conn{TCPConn: tc, rc: rc}
}

// Read reads like net.Conn.Read.
func (c *Conn) Read(p []byte) (int, error) {
	n, err := Read(c.rc, p)
	if err != nil && err != io.EOF {
		err = &net.OpError{Op: "read", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
	}
	return n, err
}

// Write writes like net.Conn.Write (bounded by the write deadline).
func (c *Conn) Write(p []byte) (int, error) {
	n, err := Write(c.rc, p)
	if err != nil {
		err = &net.OpError{Op: "write", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
	}
	return n, err
}

// RawConn returns the syscall.RawConn of a connection that Read and Write
// can use: a *Conn, *net.TCPConn or *net.UnixConn. It returns nil for
// anything else (a TLS connection, a pipe).
func RawConn(c net.Conn) syscall.RawConn {
	if !supported {
		return nil
	}
	switch c := c.(type) {
	case *Conn:
		return c.rc
	case *net.TCPConn, *net.UnixConn:
		rc, err := c.(syscall.Conn).SyscallConn()
		if err != nil {
			return nil
		}
		return rc
	}
	return nil
}

// Listener wraps every accepted TCP connection with Wrap.
type Listener struct{ net.Listener }

// Accept waits for and returns the next connection.
func (l Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return Wrap(c), nil
}
