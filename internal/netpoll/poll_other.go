//go:build !linux

package netpoll

import (
	"sync/atomic"
	"syscall"
)

// Poller is unavailable on this platform: New and Default return
// ErrUnsupported.
type Poller struct{}

// Desc is a registered socket; never created on this platform.
type Desc struct {
	fn    func(*Desc)
	state atomic.Int32
}

// New returns ErrUnsupported.
func New(n int) (*Poller, error) { return nil, ErrUnsupported }

// Close does nothing.
func (p *Poller) Close() error { return nil }

// Add returns ErrUnsupported.
func (p *Poller) Add(c syscall.Conn, fn func(*Desc)) (*Desc, error) { return nil, ErrUnsupported }

// Remove does nothing.
func (d *Desc) Remove() error { return nil }

// Read returns ErrUnsupported.
func (d *Desc) Read(p []byte) (int, error) { return 0, ErrUnsupported }

func (d *Desc) start() { go d.run() }
