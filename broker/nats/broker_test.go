package nats

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/broker/brokertest"
	"github.com/gyrehq/gyre/internal/testservice"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testPrefix returns a subject prefix unique to this test run.
func testPrefix() string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	b := []byte("gyretest_")
	for range 10 {
		b = append(b, letters[rand.IntN(len(letters))])
	}
	return string(b)
}

func newTestBroker(t testing.TB, cfg Config) *Broker {
	t.Helper()
	b, err := NewBroker(cfg)
	if err != nil {
		t.Fatalf("NewBroker: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := b.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b
}

// gapRecorder is a brokertest.Recorder that also records delivery gaps.
type gapRecorder struct {
	*brokertest.Recorder
	gap chan string
}

var _ DeliveryGapHandler = (*gapRecorder)(nil)

func (r *gapRecorder) HandleDeliveryGap(channel string) { r.gap <- channel }

// pair returns two brokers (two "nodes") on the same NATS and prefix, the
// second with a recorder and the channel subscribed.
func pair(t *testing.T, url, ch string) (pub, sub *Broker, rec *gapRecorder) {
	t.Helper()
	cfg := Config{URL: url, Prefix: testPrefix()}
	pub, sub = newTestBroker(t, cfg), newTestBroker(t, cfg)
	rec = &gapRecorder{Recorder: brokertest.NewRecorder(), gap: make(chan string, 64)}
	if err := sub.RegisterEventHandler(rec); err != nil {
		t.Fatal(err)
	}
	if err := pub.RegisterEventHandler(brokertest.NewRecorder()); err != nil {
		t.Fatal(err)
	}
	if err := sub.Subscribe(t.Context(), ch); err != nil {
		t.Fatal(err)
	}
	return pub, sub, rec
}

// TestDelivery is the delivery part of brokertest.RunBroker, between two
// nodes: publications without history (offset 0), tags and client info,
// joins and leaves, order of one publisher's publications.
func TestDelivery(t *testing.T) {
	url := testservice.NATS(t)
	ctx := t.Context()
	pub, _, rec := pair(t, url, "news:a.b")

	info := &gyre.ClientInfo{ClientID: "c", UserID: "u", ConnInfo: []byte(`{"a":1}`), ChanInfo: []byte{0, 1, 255}}
	opts := gyre.PublishOptions{ClientInfo: info, Tags: map[string]string{"k": "v"}, IdempotencyKey: "ignored"}
	sp, suppressed, err := pub.Publish(ctx, "news:a.b", []byte("hello"), opts)
	if err != nil || suppressed || sp != (gyre.StreamPosition{}) {
		t.Fatalf("Publish = %+v, %v, %v; want zero, false, nil", sp, suppressed, err)
	}
	if err := pub.PublishJoin(ctx, "news:a.b", info); err != nil {
		t.Fatal(err)
	}
	if err := pub.PublishLeave(ctx, "news:a.b", info); err != nil {
		t.Fatal(err)
	}
	const n = 200
	for i := range n {
		if _, _, err := pub.Publish(ctx, "news:a.b", fmt.Appendf(nil, "%d", i), gyre.PublishOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	evs := rec.Wait(t, "news:a.b", 3+n)
	ignoreTime := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Time" }, cmp.Ignore())
	want := &gyre.Publication{Data: []byte("hello"), Info: info, Tags: opts.Tags}
	if diff := cmp.Diff(want, evs[0].Publication, ignoreTime); diff != "" || evs[0].Position != (gyre.StreamPosition{}) {
		t.Errorf("publication (-want +got):\n%s position %+v", diff, evs[0].Position)
	}
	for i, kind := range []brokertest.EventKind{brokertest.KindJoin, brokertest.KindLeave} {
		if e := evs[1+i]; e.Kind != kind || !cmp.Equal(info, e.Info) {
			t.Errorf("event %d = %v %+v, want %v %+v", 1+i, e.Kind, e.Info, kind, info)
		}
	}
	for i, e := range evs[3:] {
		if got := string(e.Publication.Data); got != fmt.Sprint(i) {
			t.Fatalf("publication %d has data %q: order not kept", i, got)
		}
	}
}

func TestNoHistory(t *testing.T) {
	b := newTestBroker(t, Config{URL: testservice.NATS(t), Prefix: testPrefix()})
	ctx := t.Context()
	if _, _, err := b.Publish(ctx, "ch", []byte("x"), gyre.PublishOptions{HistorySize: 10, HistoryTTL: time.Minute}); !errors.Is(err, ErrNoHistory) || gyre.AsError(err).Code != 108 {
		t.Errorf("Publish with history: %v, want ErrNoHistory (108)", err)
	}
	if _, _, err := b.History(ctx, "ch", gyre.HistoryOptions{}); !errors.Is(err, gyre.ErrNotAvailable) {
		t.Errorf("History: %v, want ErrNotAvailable", err)
	}
	if err := b.RemoveHistory(ctx, "ch"); !errors.Is(err, gyre.ErrNotAvailable) {
		t.Errorf("RemoveHistory: %v, want ErrNotAvailable", err)
	}
}

func TestInvalidChannels(t *testing.T) {
	b := newTestBroker(t, Config{URL: testservice.NATS(t), Prefix: testPrefix()})
	for _, ch := range []string{"", "a b", "a..b", ".a", "a.", "a.*", ">", "a.>.b", "tab\there"} {
		if err := b.Subscribe(t.Context(), ch); !errors.Is(err, ErrInvalidChannel) {
			t.Errorf("Subscribe(%q): %v, want ErrInvalidChannel", ch, err)
		}
	}
	for _, ch := range []string{"a", "a.b", "news:x", "$private#42,43", "a*b", "x>"} {
		if !validChannel(ch) {
			t.Errorf("validChannel(%q) = false", ch)
		}
	}
}

func TestUnsubscribe(t *testing.T) {
	pub, sub, rec := pair(t, testservice.NATS(t), "u1")
	ctx := t.Context()
	if err := sub.Subscribe(ctx, "u2"); err != nil {
		t.Fatal(err)
	}
	if err := sub.Unsubscribe(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if err := sub.Unsubscribe(ctx, "u1"); err != nil {
		t.Fatalf("second Unsubscribe: %v", err)
	}
	if err := sub.nc.FlushTimeout(time.Second); err != nil {
		t.Fatal(err)
	}
	if _, _, err := pub.Publish(ctx, "u1", []byte("lost"), gyre.PublishOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := pub.Publish(ctx, "u2", []byte("marker"), gyre.PublishOptions{}); err != nil {
		t.Fatal(err)
	}
	rec.Wait(t, "u2", 1)
	if evs := rec.Events("u1"); len(evs) != 0 {
		t.Errorf("%d events after Unsubscribe, want 0", len(evs))
	}
}

// TestReconnectReportsGap restarts a private nats-server: the broker
// reconnects, NATS resubscribes, the gap is reported and delivery resumes.
func TestReconnectReportsGap(t *testing.T) {
	srv := testservice.StartNATS(t)
	pub, _, rec := pair(t, srv.URL(), "gap")
	ctx := t.Context()
	if _, _, err := pub.Publish(ctx, "gap", []byte("before"), gyre.PublishOptions{}); err != nil {
		t.Fatal(err)
	}
	rec.Wait(t, "gap", 1)
	srv.Stop()
	srv.Restart(testservice.NATSPing(srv))
	select {
	case ch := <-rec.gap:
		if ch != "gap" {
			t.Errorf("gap reported for %q, want %q", ch, "gap")
		}
	case <-time.After(brokertest.WaitTimeout):
		t.Fatal("no gap reported after reconnect")
	}
	// The publisher may reconnect later than the subscriber: retry until
	// a publication gets through.
	deadline := time.Now().Add(brokertest.WaitTimeout)
	for len(rec.Events("gap")) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("no delivery after reconnect")
		}
		changed := rec.Changed()
		_, _, _ = pub.Publish(ctx, "gap", []byte("after"), gyre.PublishOptions{})
		_ = pub.nc.FlushTimeout(100 * time.Millisecond)
		// Wait for the delivery; publish again if none came within 50 ms.
		select {
		case <-changed:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func TestClosed(t *testing.T) {
	if _, err := NewBroker(Config{URL: "nats://127.0.0.1:1", ConnectTimeout: 200 * time.Millisecond}); err == nil {
		t.Error("NewBroker with an unreachable server succeeded")
	}
	b := newTestBroker(t, Config{URL: testservice.NATS(t), Prefix: testPrefix()})
	if err := b.RegisterEventHandler(nil); err == nil {
		t.Error("RegisterEventHandler(nil) succeeded")
	}
	if err := b.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, f := range []func() error{
		func() error { return b.Subscribe(t.Context(), "x") },
		func() error { return b.Unsubscribe(t.Context(), "x") },
		func() error { _, _, err := b.Publish(t.Context(), "x", nil, gyre.PublishOptions{}); return err },
		func() error { return b.PublishJoin(t.Context(), "x", nil) },
	} {
		wg.Go(func() {
			if err := f(); !errors.Is(err, ErrClosed) {
				t.Errorf("after Close: %v, want ErrClosed", err)
			}
		})
	}
	wg.Wait()
}
