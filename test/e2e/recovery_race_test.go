package e2e

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/config"
	"github.com/gyrehq/gyre/node"
)

// raceClient is one subscriber of TestRecoverRace. Its publication handler
// checks, over the client's whole life, that offsets go up by exactly one:
// nothing missing, nothing twice, nothing out of order.
type raceClient struct {
	id         int
	p          protoKind
	d          *cutDialer
	sub        *centrifuge.Subscription
	subscribed chan centrifuge.SubscribedEvent
	progress   chan struct{} // one token per received publication, coalesced

	mu    sync.Mutex
	last  uint64 // last offset received
	count int    // publications received
	errs  []string
}

func (rc *raceClient) failf(format string, args ...any) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.errs) < 10 {
		rc.errs = append(rc.errs, fmt.Sprintf("client %d (%s): ", rc.id, rc.p)+fmt.Sprintf(format, args...))
	}
}

func (rc *raceClient) onPublication(e centrifuge.PublicationEvent) {
	rc.mu.Lock()
	want := rc.last + 1
	if e.Offset != want {
		if len(rc.errs) < 10 {
			rc.errs = append(rc.errs, fmt.Sprintf("client %d (%s): publication offset %d after %d", rc.id, rc.p, e.Offset, rc.last))
		}
	} else if got, exp := string(e.Data), fmt.Sprintf(`{"n":%d}`, e.Offset); got != exp {
		if len(rc.errs) < 10 {
			rc.errs = append(rc.errs, fmt.Sprintf("client %d (%s): publication %d data %s, want %s", rc.id, rc.p, e.Offset, got, exp))
		}
	}
	rc.last = max(rc.last, e.Offset)
	rc.count++
	rc.mu.Unlock()
	select {
	case rc.progress <- struct{}{}:
	default:
	}
}

func (rc *raceClient) position() (last uint64, count int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.last, rc.count
}

// awaitSubscribed waits for the next subscribed event.
func (rc *raceClient) awaitSubscribed(what string) (centrifuge.SubscribedEvent, error) {
	select {
	case ev := <-rc.subscribed:
		return ev, nil
	case <-time.After(waitTimeout):
		return centrifuge.SubscribedEvent{}, fmt.Errorf("client %d (%s): timed out waiting for %s", rc.id, rc.p, what)
	}
}

// awaitProgress waits until the client has received a publication after
// the offset it held when called.
func (rc *raceClient) awaitProgress(after uint64) error {
	deadline := time.After(waitTimeout)
	for {
		if last, _ := rc.position(); last > after {
			return nil
		}
		select {
		case <-rc.progress:
		case <-deadline:
			last, _ := rc.position()
			return fmt.Errorf("client %d (%s): stuck at offset %d", rc.id, rc.p, last)
		}
	}
}

// churn resubscribes rc iters times while the publisher runs: mostly
// unsubscribe + subscribe (recover from the client's position), every
// third time by cutting the TCP connection so the SDK reconnects and
// resubscribes by itself. Every resubscribe must be recovered. After each
// one it waits for a new live publication, so every window overlaps the
// publisher.
func (rc *raceClient) churn(iters int) error {
	for i := range iters {
		before, _ := rc.position()
		how := "unsubscribe/subscribe"
		if i%3 == 2 {
			how = "connection cut"
			if err := rc.d.cutConn(); err != nil {
				return fmt.Errorf("client %d: %v", rc.id, err)
			}
		} else {
			if err := rc.sub.Unsubscribe(); err != nil {
				return fmt.Errorf("client %d: unsubscribe: %v", rc.id, err)
			}
			if err := rc.sub.Subscribe(); err != nil {
				return fmt.Errorf("client %d: subscribe: %v", rc.id, err)
			}
		}
		ev, err := rc.awaitSubscribed(fmt.Sprintf("resubscribe #%d (%s)", i+1, how))
		if err != nil {
			return err
		}
		if !ev.WasRecovering || !ev.Recovered || ev.StreamPosition == nil || ev.StreamPosition.Offset < before {
			return fmt.Errorf("client %d (%s): resubscribe #%d (%s) at offset %d: %+v position %+v, want recovered from at least %d",
				rc.id, rc.p, i+1, how, before, ev, ev.StreamPosition, before)
		}
		if err := rc.awaitProgress(ev.StreamPosition.Offset); err != nil {
			return err
		}
	}
	return nil
}

// TestRecoverRace: one goroutine publishes continuously to a channel with
// history while K clients (JSON and Protobuf) keep leaving and coming back
// (unsubscribe/subscribe with recover, or TCP cuts with automatic
// reconnect). Every client sees every publication exactly once, in order,
// from the first to the last, and every resubscribe is recovered.
func TestRecoverRace(t *testing.T) {
	const K = 5
	iters := 200 // 1000 resubscribes
	if testing.Short() {
		iters = 20 // still 100
	}
	const ch = "rrace:stream"
	ts := startServer(t, func(cfg *config.Config) {
		opts := recOpts(20000)
		opts.ForceRecovery = true
		cfg.Channel.Namespaces = append(cfg.Channel.Namespaces, config.Namespace{Name: "rrace", ChannelOptions: opts})
		cfg.Client.RecoveryMaxPublicationLimit = 20000
	})
	clients := make([]*raceClient, K)
	for i := range clients {
		p := protocols[i%len(protocols)]
		cfg, d := recConfig(centrifuge.Config{Token: userToken(t, fmt.Sprintf("race-%d", i))})
		c := newClient(t, ts, p, cfg)
		connect(t, c)
		sub, err := c.NewSubscription(ch, centrifuge.SubscriptionConfig{})
		if err != nil {
			t.Fatal(err)
		}
		rc := &raceClient{id: i, p: p, d: d, sub: sub,
			subscribed: make(chan centrifuge.SubscribedEvent, 16),
			progress:   make(chan struct{}, 1),
		}
		sub.OnPublication(rc.onPublication)
		sub.OnSubscribed(feed[centrifuge.SubscribedEvent](t, rc.subscribed))
		// The server must never need its safety net here: an unsubscribe
		// push 2500 (insufficient state) means it lost track of a position.
		sub.OnSubscribing(func(e centrifuge.SubscribingEvent) {
			if e.Code == 2500 {
				rc.failf("insufficient state (2500): %q", e.Reason)
			}
		})
		if err := sub.Subscribe(); err != nil {
			t.Fatal(err)
		}
		ev := waitFor(t, rc.subscribed, "first subscribe")
		if !ev.Recoverable || ev.StreamPosition == nil || ev.StreamPosition.Offset != 0 {
			t.Fatalf("client %d: first subscribe %+v, want recoverable at offset 0", i, ev)
		}
		clients[i] = rc
	}

	// The publisher: one publication per tick until stopped.
	n := ts.srv.Node()
	stop := make(chan struct{})
	pubDone := make(chan error, 1)
	var published uint64
	var epoch string
	go func() {
		tick := time.NewTicker(200 * time.Microsecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				pubDone <- nil
				return
			case <-tick.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			sp, err := n.Publish(ctx, node.PublishRequest{Channel: ch, Data: fmt.Appendf(nil, `{"n":%d}`, published+1)})
			cancel()
			if err != nil {
				pubDone <- fmt.Errorf("publish %d: %v", published+1, err)
				return
			}
			if sp.Offset != published+1 || (epoch != "" && sp.Epoch != epoch) {
				pubDone <- fmt.Errorf("publish %d: got position %+v (epoch before %q)", published+1, sp, epoch)
				return
			}
			published, epoch = sp.Offset, sp.Epoch
		}
	}()

	start := time.Now()
	var wg sync.WaitGroup
	churnErrs := make(chan error, K)
	for _, rc := range clients {
		wg.Go(func() {
			if err := rc.churn(iters); err != nil {
				churnErrs <- err
			}
		})
	}
	wg.Wait()
	close(stop)
	if err := waitFor(t, pubDone, "publisher"); err != nil {
		t.Fatal(err)
	}
	close(churnErrs)
	for err := range churnErrs {
		t.Error(err)
	}
	last := published
	t.Logf("%d resubscribes by %d clients while %d publications were made in %v", K*iters, K, last, time.Since(start).Round(time.Millisecond))
	if K*iters < 100 {
		t.Fatalf("only %d resubscribes", K*iters)
	}

	// Everyone ends with every publication up to the last offset.
	_, top, err := n.History(ctxT(t), ch, gyre.HistoryFilter{Limit: 0})
	if err != nil || top.Offset != last || top.Epoch != epoch {
		t.Fatalf("stream top %+v (%v), want {%d %s}", top, err, last, epoch)
	}
	for _, rc := range clients {
		if err := rc.awaitOffset(last); err != nil {
			t.Error(err)
		}
		got, count := rc.position()
		if got != last || count != int(last) {
			t.Errorf("client %d (%s): received %d publications up to offset %d, want %d up to %d", rc.id, rc.p, count, got, last, last)
		}
		rc.mu.Lock()
		for _, e := range rc.errs {
			t.Error(e)
		}
		rc.mu.Unlock()
	}
}

// awaitOffset waits until rc has received offset off.
func (rc *raceClient) awaitOffset(off uint64) error {
	if off == 0 {
		return nil
	}
	err := rc.awaitProgress(off - 1)
	if err != nil {
		return errors.Join(err, fmt.Errorf("client %d: never reached offset %d", rc.id, off))
	}
	return nil
}
