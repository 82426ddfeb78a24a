//go:build !linux

package rawsock

import (
	"errors"
	"syscall"
)

const supported = false

var errUnsupported = errors.New("rawsock: not supported on this platform")

// Read is not available on this platform (RawConn returns nil).
func Read(syscall.RawConn, []byte) (int, error) { return 0, errUnsupported }

// TryWrite is not available on this platform.
func TryWrite(syscall.RawConn, []byte) (int, bool, error) { return 0, false, errUnsupported }

// Write is not available on this platform.
func Write(syscall.RawConn, []byte) (int, error) { return 0, errUnsupported }
