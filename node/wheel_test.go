package node

import (
	"sync"
	"testing"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/gyrehq/gyre"
)

// TestWheelFiresOnTimeAndStops: every scheduled entry fires once, not before
// its time and at most a couple of ticks after it; removed entries never
// fire; the ticker goroutine ends when the wheel is empty (goleak checks).
func TestWheelFiresOnTimeAndStops(t *testing.T) {
	type fired struct {
		s     *Session
		phase wheelPhase
		at    time.Time
	}
	got := make(chan fired, 64)
	w := newWheel(100*time.Millisecond, 400*time.Millisecond, func(s *Session, p wheelPhase) {
		got <- fired{s, p, time.Now()}
	})
	if w.tick != 5*time.Millisecond {
		t.Fatalf("tick %v, want 5ms for a 100ms shortest duty", w.tick)
	}
	cases := []struct {
		name  string
		after time.Duration
		phase wheelPhase
	}{
		{"now", 0, phasePing},
		{"soon", 30 * time.Millisecond, phasePong},
		{"later", 120 * time.Millisecond, phasePing},
		{"longest", 400 * time.Millisecond, phaseStale},
		{"beyond the wheel", 2 * time.Second, phasePing}, // clamped to the wheel's span
	}
	start := time.Now()
	want := map[*Session]time.Duration{}
	for _, c := range cases {
		s := &Session{wheel: wheelEntry{slot: -1}}
		w.schedule(s, c.phase, c.after)
		want[s] = c.after
	}
	removed := &Session{wheel: wheelEntry{slot: -1}}
	w.schedule(removed, phasePing, 50*time.Millisecond)
	w.remove(removed)
	rescheduled := &Session{wheel: wheelEntry{slot: -1}}
	w.schedule(rescheduled, phasePing, 10*time.Millisecond)
	w.schedule(rescheduled, phasePong, 60*time.Millisecond) // replaces the first
	want[rescheduled] = 60 * time.Millisecond

	for range len(want) {
		select {
		case f := <-got:
			after, ok := want[f.s]
			if !ok {
				t.Fatalf("a removed entry fired")
			}
			delete(want, f.s)
			el := f.at.Sub(start)
			limit := min(after, w.tick*time.Duration(len(w.slots)-1))
			if el < limit-w.tick { // scheduling rounds to ticks, never earlier than one tick
				t.Errorf("entry due after %v fired after %v", after, el)
			}
			if f.s == rescheduled && f.phase != phasePong {
				t.Errorf("rescheduled entry fired with phase %d", f.phase)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%d entries did not fire", len(want))
		}
	}
	select {
	case <-got:
		t.Fatal("an entry fired twice or after removal")
	case <-time.After(100 * time.Millisecond):
	}
	w.mu.Lock()
	count := w.count
	w.mu.Unlock()
	if count != 0 {
		t.Fatalf("count %d after everything fired", count)
	}
}

// TestWheelConcurrentScheduling: schedule and remove from many goroutines
// while the wheel fires (run under -race); every entry that was not removed
// fires exactly once.
func TestWheelConcurrentScheduling(t *testing.T) {
	const goroutines, each = 8, 200
	want := 0
	for g := range goroutines {
		for i := range each {
			if (g+i)%3 != 0 {
				want++
			}
		}
	}
	var mu sync.Mutex
	fires := 0
	all := make(chan struct{})
	w := newWheel(20*time.Millisecond, 100*time.Millisecond, func(*Session, wheelPhase) {
		mu.Lock()
		fires++
		if fires == want {
			close(all)
		}
		mu.Unlock()
	})
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				s := &Session{wheel: wheelEntry{slot: -1}}
				w.schedule(s, phasePing, time.Duration(i%7)*time.Millisecond)
				if (g+i)%3 == 0 {
					w.remove(s)
				}
			}
		}()
	}
	wg.Wait()
	select {
	case <-all:
	case <-time.After(5 * time.Second):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("%d of %d entries fired", fires, want)
	}
	<-time.After(3 * w.tick) // a duplicate would fire within a tick or two
	mu.Lock()
	got := fires
	mu.Unlock()
	w.mu.Lock()
	count := w.count
	w.mu.Unlock()
	if got != want || count != 0 {
		t.Fatalf("%d fires for %d entries, %d still scheduled", got, want, count)
	}
}

// TestPingPongCycles: pings keep coming at the interval while the client
// answers them; a missing pong closes the session with 3012.
func TestPingPongCycles(t *testing.T) {
	for _, p := range []protocol.Type{protocol.TypeJSON, protocol.TypeProtobuf} {
		t.Run(string(p), func(t *testing.T) {
			n := newTestNode(t, func(c *Config) {
				c.Client.PingInterval = 100 * time.Millisecond
				c.Client.PongTimeout = 50 * time.Millisecond
			})
			s, tr := connectSession(t, n, p)
			pings := 0
			pong := encodeCommands(t, p, &protocol.Command{})
			deadline := time.After(5 * time.Second)
			for pings < 4 {
				select {
				case <-tr.wrote:
				case d := <-tr.closed:
					t.Fatalf("closed with %d after %d pings", d.Code, pings)
				case <-deadline:
					t.Fatalf("%d pings in 5s", pings)
				}
				tr.mu.Lock()
				frames := tr.frames
				tr.frames = nil
				tr.mu.Unlock()
				for _, f := range frames {
					if (p == protocol.TypeJSON && string(f) == "{}") || (p == protocol.TypeProtobuf && len(f) == 1 && f[0] == 0) {
						pings++
						if !s.HandleFrame(pong) {
							t.Fatal("pong closed the session")
						}
					}
				}
			}
			select {
			case d := <-tr.closed:
				if d.Code != gyre.DisconnectNoPong.Code {
					t.Fatalf("closed with %d, want %d", d.Code, gyre.DisconnectNoPong.Code)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no 3012 after the client stopped answering pings")
			}
		})
	}
}
