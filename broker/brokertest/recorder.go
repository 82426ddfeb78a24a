package brokertest

import (
	"sync"
	"testing"
	"time"

	"github.com/gyrehq/gyre"
)

// WaitTimeout bounds how long the suite waits for a delivery or a broker
// call before failing.
const WaitTimeout = 10 * time.Second

// EventKind tells what a broker delivered.
type EventKind int

// The kinds of events a gyre.BrokerEventHandler receives.
const (
	// KindPublication is a HandlePublication call.
	KindPublication EventKind = iota + 1
	// KindJoin is a HandleJoin call.
	KindJoin
	// KindLeave is a HandleLeave call.
	KindLeave
)

// String returns the kind's name.
func (k EventKind) String() string {
	switch k {
	case KindPublication:
		return "publication"
	case KindJoin:
		return "join"
	case KindLeave:
		return "leave"
	}
	return "unknown"
}

// Event is one delivery a Recorder received.
type Event struct {
	Kind    EventKind
	Channel string
	// Publication and Position are set for KindPublication.
	Publication *gyre.Publication
	Position    gyre.StreamPosition
	// Info is set for KindJoin and KindLeave.
	Info *gyre.ClientInfo
}

// Recorder is a gyre.BrokerEventHandler that records every event per
// channel and lets tests wait for them. Its zero value is not usable; call
// NewRecorder. It is safe for concurrent use and never blocks its caller
// for long.
type Recorder struct {
	mu      sync.Mutex
	events  map[string][]Event
	changed chan struct{} // closed and replaced on every event
}

var _ gyre.BrokerEventHandler = (*Recorder)(nil)

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder {
	return &Recorder{events: make(map[string][]Event), changed: make(chan struct{})}
}

// HandlePublication records a publication.
func (r *Recorder) HandlePublication(channel string, pub *gyre.Publication, sp gyre.StreamPosition) error {
	r.add(Event{Kind: KindPublication, Channel: channel, Publication: pub, Position: sp})
	return nil
}

// HandleJoin records a join.
func (r *Recorder) HandleJoin(channel string, info *gyre.ClientInfo) error {
	r.add(Event{Kind: KindJoin, Channel: channel, Info: info})
	return nil
}

// HandleLeave records a leave.
func (r *Recorder) HandleLeave(channel string, info *gyre.ClientInfo) error {
	r.add(Event{Kind: KindLeave, Channel: channel, Info: info})
	return nil
}

func (r *Recorder) add(e Event) {
	r.mu.Lock()
	r.events[e.Channel] = append(r.events[e.Channel], e)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

// Events returns the channel's events so far, oldest first.
func (r *Recorder) Events(channel string) []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events[channel]...)
}

// Changed returns a channel that is closed at the next recorded event (on
// any channel), for loops that wait for an event or a retry interval.
func (r *Recorder) Changed() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.changed
}

// Wait waits up to WaitTimeout until the channel has at least n events and
// returns all of them, oldest first. On timeout it fails the test with
// t.Fatalf, so it must be called from the test's goroutine.
func (r *Recorder) Wait(t testing.TB, channel string, n int) []Event {
	t.Helper()
	timer := time.NewTimer(WaitTimeout)
	defer timer.Stop()
	for {
		r.mu.Lock()
		evs, changed := r.events[channel], r.changed
		if len(evs) >= n {
			out := append([]Event(nil), evs...)
			r.mu.Unlock()
			return out
		}
		r.mu.Unlock()
		select {
		case <-changed:
		case <-timer.C:
			t.Fatalf("channel %q: got %d events after %v, want %d", channel, len(evs), WaitTimeout, n)
			return nil
		}
	}
}
