//go:build linux && race

package rawsock

import "syscall"

// Under the race detector the calls go through package syscall: its Read
// and Write tell the detector that data written to a descriptor
// happens-before it is read back, an ordering that goroutines talking through
// sockets rely on. With raw calls the detector would report races that the
// kernel orders.
func sysRead(fd uintptr, p []byte) (int, syscall.Errno) { return errnoOf(syscall.Read(int(fd), p)) }

func sysWrite(fd uintptr, p []byte) (int, syscall.Errno) { return errnoOf(syscall.Write(int(fd), p)) }

func errnoOf(n int, err error) (int, syscall.Errno) {
	if err != nil {
		return 0, err.(syscall.Errno)
	}
	return n, 0
}
