package rawsock

import (
	"io"
	"syscall"
)

const supported = true

// Under the race detector sysRead and sysWrite go through package syscall
// (sys_race.go), which orders socket writes before the reads of the same
// data for the detector.

// ReadFD makes one read(2) on fd (a non-blocking socket) without the
// runtime's system-call bookkeeping. The caller keeps fd valid (inside a
// RawConn callback).
func ReadFD(fd uintptr, p []byte) (int, syscall.Errno) { return sysRead(fd, p) }

// Read reads into p from the socket behind rc; when no data is waiting it
// parks until the socket is readable or the read deadline passes. It
// returns io.EOF when the peer closed its side.
func Read(rc syscall.RawConn, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var (
		n    int
		rerr syscall.Errno
	)
	err := rc.Read(func(fd uintptr) bool {
		for {
			n, rerr = sysRead(fd, p)
			if rerr != syscall.EINTR {
				return rerr != syscall.EAGAIN
			}
		}
	})
	switch {
	case err != nil:
		return 0, err
	case rerr != 0:
		return 0, rerr
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// TryWrite makes one pass of non-blocking writes of b and never waits: it
// returns how much was written, and full when the socket buffer filled up
// before all of b went out.
func TryWrite(rc syscall.RawConn, b []byte) (n int, full bool, err error) {
	var werr syscall.Errno
	if err := rc.Write(func(fd uintptr) bool {
		n, full, werr = writeSome(fd, b)
		return true
	}); err != nil {
		return n, false, err
	}
	if werr != 0 {
		return n, false, werr
	}
	return n, full, nil
}

// Write writes all of b; when the socket buffer is full it parks until the
// socket is writable again or the write deadline passes.
func Write(rc syscall.RawConn, b []byte) (int, error) {
	total := 0
	var werr syscall.Errno
	err := rc.Write(func(fd uintptr) bool {
		n, full, e := writeSome(fd, b[total:])
		total += n
		werr = e
		return !full
	})
	if err != nil {
		return total, err
	}
	if werr != 0 {
		return total, werr
	}
	return total, nil
}

// writeSome writes b until it is all out, the socket is full or an error.
func writeSome(fd uintptr, b []byte) (n int, full bool, err syscall.Errno) {
	for n < len(b) {
		w, e := sysWrite(fd, b[n:])
		switch {
		case e == 0 && w > 0:
			n += w
		case e == syscall.EINTR:
		case e == 0, e == syscall.EAGAIN: // a zero-byte write is treated as a full buffer, never spun on
			return n, true, 0
		default:
			return n, false, e
		}
	}
	return n, false, 0
}
