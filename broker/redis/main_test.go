package redis

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/broker/brokertest"
	"github.com/gyrehq/gyre/internal/testservice"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// After a cluster topology refresh rueidis closes replaced
		// connections from a goroutine that sleeps 5s first; it belongs to
		// the closed client and ends by itself.
		goleak.IgnoreAnyFunction("github.com/redis/rueidis.(*clusterClient)._refresh.func2"),
	)
}

// testPrefix returns a key prefix unique to this test run, so runs that
// share a Redis never see each other's keys.
func testPrefix() string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	b := []byte("gyretest.")
	for range 10 {
		b = append(b, letters[rand.IntN(len(letters))])
	}
	return string(b)
}

// testConfig returns cfg with a unique prefix and a short meta TTL (keys
// of the shared Redis must not outlive the test for long).
func testConfig(cfg Config) Config {
	cfg.Prefix = testPrefix()
	if cfg.DefaultHistoryMetaTTL == 0 {
		cfg.DefaultHistoryMetaTTL = 10 * time.Minute
	}
	return cfg
}

// newTestBroker returns a broker for cfg (prefix made unique) that is
// closed, and whose keys are deleted, when the test ends.
func newTestBroker(t testing.TB, cfg Config) *Broker {
	t.Helper()
	b, err := NewBroker(testConfig(cfg))
	if err != nil {
		t.Fatalf("NewBroker: %v", err)
	}
	t.Cleanup(func() {
		deleteKeys(t, b.shards, b.cfg.Prefix)
		closeWithin(t, b)
	})
	return b
}

// newTestPresence returns a presence manager for cfg (prefix made unique)
// that is closed, and whose keys are deleted, when the test ends.
func newTestPresence(t testing.TB, cfg Config) *PresenceManager {
	t.Helper()
	m, err := NewPresenceManager(testConfig(cfg))
	if err != nil {
		t.Fatalf("NewPresenceManager: %v", err)
	}
	t.Cleanup(func() {
		deleteKeys(t, m.shards, m.cfg.Prefix)
		closeWithin(t, m)
	})
	return m
}

func closeWithin(t testing.TB, c gyre.Closer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// deleteKeys removes every key under prefix from the shards (standalone
// and Sentinel; private Cluster servers are thrown away anyway).
func deleteKeys(t testing.TB, shards []*shard, prefix string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, s := range shards {
		if s.keys.cluster {
			continue
		}
		var cursor uint64
		for {
			e, err := s.client.Do(ctx, s.client.B().Scan().Cursor(cursor).Match(prefix+".*").Count(1000).Build()).AsScanEntry()
			if err != nil {
				t.Logf("cleanup of %s.*: %v", prefix, err)
				break
			}
			if len(e.Elements) > 0 {
				_ = s.client.Do(ctx, s.client.B().Unlink().Key(e.Elements...).Build()).Error()
			}
			if cursor = e.Cursor; cursor == 0 {
				break
			}
		}
	}
}

// standalone returns the config of the shared Redis, or skips.
func standalone(t testing.TB) Config {
	t.Helper()
	return Config{Shards: []ShardConfig{{Address: testservice.Redis(t)}}}
}

// slow skips a test in -short mode.
func slow(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping: starts Redis processes (slow); run without -short")
	}
}

// runConformance runs the broker and presence suites against cfg.
func runConformance(t *testing.T, cfg Config) {
	t.Run("Broker", func(t *testing.T) {
		brokertest.RunBroker(t, func(t *testing.T) gyre.Broker { return newTestBroker(t, cfg) })
	})
	t.Run("Presence", func(t *testing.T) {
		brokertest.RunPresence(t, func(t *testing.T) gyre.PresenceManager { return newTestPresence(t, cfg) })
	})
	t.Run("PresenceSharedWithBroker", func(t *testing.T) {
		brokertest.RunPresence(t, func(t *testing.T) gyre.PresenceManager {
			pm := newTestBroker(t, cfg).PresenceManager()
			t.Cleanup(func() { closeWithin(t, pm) })
			return pm
		})
	})
}

// gapRecorder is a brokertest.Recorder that also records delivery gaps.
type gapRecorder struct {
	*brokertest.Recorder
	mu   sync.Mutex
	gaps map[string]int
	gap  chan string
}

var _ DeliveryGapHandler = (*gapRecorder)(nil)

func newGapRecorder() *gapRecorder {
	return &gapRecorder{Recorder: brokertest.NewRecorder(), gaps: map[string]int{}, gap: make(chan string, 1024)}
}

func (r *gapRecorder) HandleDeliveryGap(channel string) {
	r.mu.Lock()
	r.gaps[channel]++
	r.mu.Unlock()
	r.gap <- channel
}

// waitGap waits for a gap report of channel.
func (r *gapRecorder) waitGap(t testing.TB, channel string) {
	t.Helper()
	timeout := time.After(brokertest.WaitTimeout)
	for {
		select {
		case ch := <-r.gap:
			if ch == channel {
				return
			}
		case <-timeout:
			t.Fatalf("no delivery gap reported for %q within %v", channel, brokertest.WaitTimeout)
		}
	}
}

// eventually polls cond every 10ms until it holds or 10s pass; for
// conditions that need wall-clock time to pass (Redis key expiry).
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(brokertest.WaitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, brokertest.WaitTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
