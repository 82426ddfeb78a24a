package node

import (
	"sync"
	"time"
)

// The wheel runs every session's periodic duties: the stale close before
// connect, server pings and pong deadlines. A timer per session would wake
// the process once per connection and duty (10,000 connections with a 25 s
// ping interval: 400 wake-ups a second, each costing a scheduler round trip
// that is far dearer than the ping itself). The wheel wakes once per tick
// and handles every session that is due in one pass, so pings go out, and
// pongs come back, in batches. A duty runs up to one tick late, never early.
//
// The ticker goroutine runs only while some session is scheduled.

type wheelPhase uint8

const (
	phaseNone  wheelPhase = iota
	phaseStale            // close with 3502 unless connected
	phasePing             // send a ping
	phasePong             // the pong deadline of the last ping
)

// wheelEntry is a session's place on the wheel; guarded by wheel.mu.
type wheelEntry struct {
	prev, next *Session
	slot       int32 // -1 when not scheduled
	phase      wheelPhase
}

type wheel struct {
	tick time.Duration

	mu      sync.Mutex
	slots   []*Session // heads of doubly linked lists
	cur     int        // the slot that fires next
	nextAt  time.Time  // when slot cur fires
	count   int
	running bool
	fire    func(*Session, wheelPhase)
}

// newWheel makes a wheel whose tick suits the shortest duty and whose size
// covers the longest one.
func newWheel(shortest, longest time.Duration, fire func(*Session, wheelPhase)) *wheel {
	tick := min(max(shortest/20, 5*time.Millisecond), 250*time.Millisecond)
	n := int(longest/tick) + 2
	return &wheel{tick: tick, slots: make([]*Session, n), fire: fire}
}

// newSessionWheel sizes the wheel for the client timings: the tick follows
// the shortest enabled one, the size covers the longest.
func newSessionWheel(cl ClientConfig) *wheel {
	shortest, longest := time.Duration(0), time.Duration(0)
	for _, d := range []time.Duration{cl.StaleCloseDelay, cl.PingInterval, cl.PongTimeout} {
		if d > 0 {
			if shortest == 0 || d < shortest {
				shortest = d
			}
			longest = max(longest, d)
		}
	}
	if shortest == 0 {
		shortest, longest = time.Second, time.Second
	}
	return newWheel(shortest, longest, (*Session).onWheel)
}

// schedule puts s on the wheel to run phase after d (replacing what it had).
// Safe to call with s.mu held: the wheel never takes s.mu while holding its
// own lock.
func (w *wheel) schedule(s *Session, phase wheelPhase, d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.unlinkLocked(s)
	now := time.Now()
	if !w.running {
		w.running = true
		w.nextAt = now.Add(w.tick)
		go w.run()
	}
	k := 0
	if late := now.Add(d).Sub(w.nextAt); late > 0 {
		k = int((late + w.tick - 1) / w.tick)
	}
	k = min(k, len(w.slots)-1)
	i := (w.cur + k) % len(w.slots)
	e := &s.wheel
	e.slot, e.phase = int32(i), phase
	e.prev, e.next = nil, w.slots[i]
	if e.next != nil {
		e.next.wheel.prev = s
	}
	w.slots[i] = s
	w.count++
}

// remove takes s off the wheel.
func (w *wheel) remove(s *Session) {
	w.mu.Lock()
	w.unlinkLocked(s)
	w.mu.Unlock()
}

func (w *wheel) unlinkLocked(s *Session) {
	e := &s.wheel
	if e.slot < 0 {
		return
	}
	if e.prev != nil {
		e.prev.wheel.next = e.next
	} else {
		w.slots[e.slot] = e.next
	}
	if e.next != nil {
		e.next.wheel.prev = e.prev
	}
	e.prev, e.next, e.slot, e.phase = nil, nil, -1, phaseNone
	w.count--
}

func (w *wheel) run() {
	t := time.NewTimer(w.tick)
	defer t.Stop()
	var due []*Session
	var phases []wheelPhase
	for range t.C {
		w.mu.Lock()
		now := time.Now()
		due, phases = due[:0], phases[:0]
		// Fire every slot whose time has come (more than one after a stall).
		for !w.nextAt.After(now) {
			for s := w.slots[w.cur]; s != nil; {
				next := s.wheel.next
				due = append(due, s)
				phases = append(phases, s.wheel.phase)
				s.wheel.prev, s.wheel.next, s.wheel.slot, s.wheel.phase = nil, nil, -1, phaseNone
				w.count--
				s = next
			}
			w.slots[w.cur] = nil
			w.cur = (w.cur + 1) % len(w.slots)
			w.nextAt = w.nextAt.Add(w.tick)
		}
		if w.count == 0 && len(due) == 0 {
			w.running = false
			w.mu.Unlock()
			return
		}
		wait := w.nextAt.Sub(now)
		w.mu.Unlock()
		for i, s := range due {
			w.fire(s, phases[i])
			due[i] = nil
		}
		t.Reset(wait)
	}
}
