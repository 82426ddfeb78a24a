package ws

import (
	"net"
	"syscall"
	"time"
	"unsafe"
)

// rawConnOf returns the connection's syscall.RawConn when writes can go
// through writeNonblocking (plain TCP and Unix sockets), nil otherwise (TLS,
// pipes: those use net.Conn.Write).
func rawConnOf(nc net.Conn) syscall.RawConn {
	switch nc.(type) {
	case *net.TCPConn, *net.UnixConn:
	default:
		return nil
	}
	rc, err := nc.(syscall.Conn).SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// writeNonblocking writes b to the socket behind rc. The write(2) calls are
// made with syscall.RawSyscall: the socket is non-blocking, so a call never
// blocks, and skipping the runtime's system-call bookkeeping keeps a short
// write from waking the scheduler's monitor thread or handing the P to
// another thread (each of which costs more than the write on a loopback or
// LAN socket). RawConn keeps the descriptor open (and not reused) while the
// callback runs.
//
// The first pass never waits. Only when the socket buffer is full does it
// arm the write deadline (timeout > 0) and park in the netpoller until the
// socket is writable again, like net.Conn.Write; the common case touches no
// timer at all.
func writeNonblocking(nc net.Conn, rc syscall.RawConn, b []byte, timeout time.Duration) error {
	var werr error
	full := false
	write := func(fd uintptr) bool {
		for len(b) > 0 {
			n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
			switch e {
			case 0:
				b = b[n:]
			case syscall.EINTR:
			case syscall.EAGAIN:
				full = true
				return false
			default:
				werr = &net.OpError{Op: "write", Net: nc.LocalAddr().Network(), Source: nc.LocalAddr(), Addr: nc.RemoteAddr(), Err: syscall.Errno(e)}
				return true
			}
		}
		return true
	}
	if err := rc.Write(func(fd uintptr) bool { write(fd); return true }); err != nil {
		return err
	}
	if werr != nil || !full {
		return werr
	}
	if timeout > 0 {
		_ = nc.SetWriteDeadline(time.Now().Add(timeout))
		defer nc.SetWriteDeadline(time.Time{})
	}
	if err := rc.Write(write); err != nil {
		return err
	}
	return werr
}
