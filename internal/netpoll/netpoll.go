package netpoll

import (
	"errors"
	"runtime"
	"sync"
)

var (
	// ErrUnsupported is returned by New and Default on platforms without
	// epoll.
	ErrUnsupported = errors.New("netpoll: not supported on this platform")

	// ErrWouldBlock is returned by Desc.Read when the socket has no data
	// right now; the callback should return and wait for the next event.
	ErrWouldBlock = errors.New("netpoll: no data available")

	// ErrPollerBusy is returned by Poller.Close while sockets are
	// registered.
	ErrPollerBusy = errors.New("netpoll: sockets are still registered")
)

var (
	defaultOnce   sync.Once
	defaultPoller *Poller
	defaultErr    error
)

// Default returns the process-wide poller, creating it on first use with
// min(GOMAXPROCS, 2) poller goroutines (which run only while sockets are
// registered). It returns ErrUnsupported where epoll is not available.
func Default() (*Poller, error) {
	defaultOnce.Do(func() {
		defaultPoller, defaultErr = New(min(runtime.GOMAXPROCS(0), 2))
	})
	return defaultPoller, defaultErr
}

// Descriptor states; see "Concurrency" in the package documentation.
const (
	stateIdle    int32 = iota // no callback running
	stateRunning              // a goroutine runs the callback
	statePending              // running, and another event arrived meanwhile
)

// schedule arranges for the callback to run: it hands the Desc to a
// goroutine if none runs its callback, otherwise it makes the running one
// call the callback once more.
func (d *Desc) schedule() {
	for {
		switch d.state.Load() {
		case stateIdle:
			if d.state.CompareAndSwap(stateIdle, stateRunning) {
				d.start()
				return
			}
		case stateRunning:
			if d.state.CompareAndSwap(stateRunning, statePending) {
				return
			}
		default: // already pending
			return
		}
	}
}

// run calls the callback until no event arrived during the last call.
func (d *Desc) run() {
	for {
		d.fn(d)
		if d.state.CompareAndSwap(stateRunning, stateIdle) {
			return
		}
		d.state.Store(stateRunning) // was pending: run again
	}
}

// Trigger runs the callback as if the socket had become readable, also
// after Remove. Use it to process bytes that were buffered before the
// socket was registered, or to let the callback act on a state change (a
// timeout, a close requested elsewhere) on the callback's serialized
// execution.
func (d *Desc) Trigger() { d.schedule() }
