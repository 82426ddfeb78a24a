package memory

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/broker/brokertest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// newTestBroker returns a broker on a fake clock whose cleanup goroutine
// never ticks on its own (tests call cleanup directly), with a Recorder
// registered. cfg.Now is replaced.
func newTestBroker(t *testing.T, cfg BrokerConfig) (*Broker, *fakeClock, *brokertest.Recorder) {
	t.Helper()
	clock := newFakeClock()
	cfg.Now = clock.Now
	b := newBroker(cfg, time.Hour, nil)
	t.Cleanup(func() { closeBroker(t, b) })
	rec := brokertest.NewRecorder()
	if err := b.RegisterEventHandler(rec); err != nil {
		t.Fatal(err)
	}
	return b, clock, rec
}

func closeBroker(t testing.TB, b *Broker) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// counts returns how many streams and idempotency results the broker
// holds, checking that every map entry is in its heap exactly once.
func counts(t *testing.T, b *Broker) (streams, results int) {
	t.Helper()
	for i := range b.shards {
		sh := &b.shards[i]
		sh.mu.Lock()
		if len(sh.streams) != sh.streamTimers.len() || len(sh.results) != sh.resultTimers.len() {
			t.Errorf("shard %d: %d streams, %d stream timers, %d results, %d result timers",
				i, len(sh.streams), sh.streamTimers.len(), len(sh.results), sh.resultTimers.len())
		}
		for j, st := range sh.streamTimers.items {
			if st.idx != j || sh.streams[st.channel] != st {
				t.Errorf("shard %d: stream timer %d is %q at idx %d, not in the map", i, j, st.channel, st.idx)
			}
		}
		streams += len(sh.streams)
		results += len(sh.results)
		sh.mu.Unlock()
	}
	return streams, results
}

// streamOf returns the channel's stream without applying expiry, or nil.
func streamOf(b *Broker, channel string) *stream {
	sh := b.shardFor(channel)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.streams[channel]
}

func TestBrokerConformance(t *testing.T) {
	brokertest.RunBroker(t, func(t *testing.T) gyre.Broker {
		b := NewBroker(BrokerConfig{})
		t.Cleanup(func() { closeBroker(t, b) })
		return b
	})
}

func TestPresenceConformance(t *testing.T) {
	brokertest.RunPresence(t, func(t *testing.T) gyre.PresenceManager {
		return NewPresenceManager()
	})
}
