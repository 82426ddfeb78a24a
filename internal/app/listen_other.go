//go:build !linux

package app

import "syscall"

func listenControl(_, _ string, _ syscall.RawConn) error { return nil }
