package ws

import (
	"net"
	"syscall"
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
// LAN socket). When the socket buffer is full RawConn.Write parks the
// goroutine in the netpoller until the socket is writable again or the
// write deadline passes, exactly like net.Conn.Write; RawConn also keeps the
// descriptor open (and not reused) while the callback runs.
func writeNonblocking(rc syscall.RawConn, b []byte) error {
	var werr error
	err := rc.Write(func(fd uintptr) bool {
		for len(b) > 0 {
			n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
			switch e {
			case 0:
				b = b[n:]
			case syscall.EINTR:
			case syscall.EAGAIN:
				return false
			default:
				werr = &net.OpError{Op: "write", Net: "tcp", Err: syscall.Errno(e)}
				return true
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	return werr
}
