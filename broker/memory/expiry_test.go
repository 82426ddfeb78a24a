package memory

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/gyrehq/gyre"
)

func TestCleanupRemovesExpired(t *testing.T) {
	b, clock, _ := newTestBroker(t, BrokerConfig{})
	const n = 300
	for i := range n {
		opts := hist(10, 10*time.Second)
		opts.HistoryMetaTTL = 20 * time.Second
		opts.IdempotencyKey = "k"
		opts.IdempotentResultTTL = 15 * time.Second
		mustPublish(t, b, fmt.Sprint("ch", i), opts)
	}
	if s, r := counts(t, b); s != n || r != n {
		t.Fatalf("%d streams and %d results, want %d each", s, r, n)
	}

	clock.Advance(10 * time.Second)
	b.cleanup(n)
	if s, r := counts(t, b); s != n || r != n {
		t.Fatalf("after items expired: %d streams and %d results, want %d each", s, r, n)
	}
	for i := range n {
		if st := streamOf(b, fmt.Sprint("ch", i)); st.items.n != 0 || st.items.buf != nil {
			t.Fatalf("ch%d still holds %d items in a buffer of %d", i, st.items.n, len(st.items.buf))
		}
	}

	clock.Advance(5 * time.Second)
	b.cleanup(n)
	if s, r := counts(t, b); s != n || r != 0 {
		t.Fatalf("after results expired: %d streams and %d results, want %d and 0", s, r, n)
	}

	clock.Advance(5 * time.Second)
	b.cleanup(n)
	if s, r := counts(t, b); s != 0 || r != 0 {
		t.Fatalf("after metas expired: %d streams and %d results, want none", s, r)
	}
}

func TestCleanupWorkIsBounded(t *testing.T) {
	b, clock, _ := newTestBroker(t, BrokerConfig{})
	const n, budget = 2000, 3
	opts := hist(1, time.Second)
	opts.HistoryMetaTTL = time.Second
	for i := range n {
		mustPublish(t, b, fmt.Sprint("ch", i), opts)
	}
	clock.Advance(time.Second)
	left, ticks := n, 0
	for left > 0 {
		b.cleanup(budget)
		ticks++
		s, _ := counts(t, b)
		if removed := left - s; removed > budget*numShards || removed <= 0 {
			t.Fatalf("tick %d removed %d streams, want 1..%d", ticks, removed, budget*numShards)
		}
		left = s
	}
	if ticks < n/(budget*numShards) {
		t.Errorf("%d ticks removed %d streams with a budget of %d per shard", ticks, n, budget)
	}
}

func TestCleanupFollowsExtendedAndShortenedDeadlines(t *testing.T) {
	b, clock, _ := newTestBroker(t, BrokerConfig{})
	opts := hist(1, time.Second)
	opts.HistoryMetaTTL = time.Minute
	mustPublish(t, b, "extended", opts)
	mustPublish(t, b, "shortened", opts)
	clock.Advance(30 * time.Second)
	mustPublish(t, b, "extended", opts) // now lives until 90s
	// A History call with a shorter meta TTL moves the deadline earlier.
	mustHistory(t, b, "shortened", gyre.HistoryOptions{MetaTTL: 5 * time.Second})
	clock.Advance(5 * time.Second) // 35s
	b.cleanup(cleanupBudget)
	if streamOf(b, "shortened") != nil {
		t.Error("the stream with a shortened meta TTL was not cleaned up")
	}
	clock.Advance(30 * time.Second) // 65s: past the first deadline of "extended"
	b.cleanup(cleanupBudget)
	if streamOf(b, "extended") == nil {
		t.Fatal("the stream with an extended meta TTL was cleaned up early")
	}
	clock.Advance(25 * time.Second) // 90s
	b.cleanup(cleanupBudget)
	if s, _ := counts(t, b); s != 0 {
		t.Errorf("%d streams left, want none", s)
	}
}

func TestLazyExpiryReplacesStream(t *testing.T) {
	b, clock, _ := newTestBroker(t, BrokerConfig{DefaultHistoryMetaTTL: time.Minute})
	first := mustPublish(t, b, "ch", hist(1, time.Second))
	clock.Advance(time.Minute)
	second := mustPublish(t, b, "ch", hist(1, time.Second))
	if second.Epoch == first.Epoch || second.Offset != 1 {
		t.Errorf("publish after the meta expired: %+v (before: %+v)", second, first)
	}
	if s, _ := counts(t, b); s != 1 {
		t.Errorf("%d streams, want 1", s)
	}
}

func TestCleanupGoroutine(t *testing.T) {
	clock := newFakeClock()
	ticks := make(chan struct{}, 1)
	b := newBroker(BrokerConfig{Now: clock.Now, DefaultHistoryMetaTTL: time.Minute}, time.Millisecond, func() {
		select {
		case ticks <- struct{}{}:
		default:
		}
	})
	defer closeBroker(t, b)
	if err := b.RegisterEventHandler(nopHandler{}); err != nil {
		t.Fatal(err)
	}
	mustPublish(t, b, "ch", hist(1, time.Second))
	clock.Advance(time.Minute)
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	// The second tick after the clock moved surely ran entirely after it.
	for range 2 {
		select {
		case <-ticks:
		case <-timeout.C:
			t.Fatal("the cleanup goroutine did not tick")
		}
	}
	if s, _ := counts(t, b); s != 0 {
		t.Errorf("%d streams after the cleanup goroutine ran, want none", s)
	}
}

func TestExpiryHeap(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var h expiryHeap[*result]
	var live []*result
	for step := range 5000 {
		switch op := r.IntN(4); {
		case op == 0 || len(live) == 0:
			x := &result{timer: timer{at: r.Int64N(1000)}}
			h.push(x)
			live = append(live, x)
		case op == 1:
			x := live[r.IntN(len(live))]
			x.at = r.Int64N(1000)
			h.fix(x.idx)
		case op == 2:
			i := r.IntN(len(live))
			h.remove(live[i].idx)
			live = slices.Delete(live, i, i+1)
		default:
			m := h.min()
			h.remove(m.idx)
			live = slices.DeleteFunc(live, func(x *result) bool { return x == m })
			for _, x := range live {
				if x.at < m.at {
					t.Fatalf("step %d: min %d but %d is live", step, m.at, x.at)
				}
			}
		}
		if h.len() != len(live) {
			t.Fatalf("step %d: heap has %d, want %d", step, h.len(), len(live))
		}
		for i, x := range h.items {
			if x.idx != i {
				t.Fatalf("step %d: item %d has idx %d", step, i, x.idx)
			}
			if i > 0 && h.items[(i-1)/2].at > x.at {
				t.Fatalf("step %d: heap order broken at %d", step, i)
			}
		}
	}
}

func TestAddDurSaturates(t *testing.T) {
	if got := addDur(1<<62, 1<<62); got != 1<<63-1 {
		t.Errorf("addDur overflowed to %d", got)
	}
	if got := addDur(5, 3); got != 8 {
		t.Errorf("addDur(5, 3) = %d", got)
	}
}
