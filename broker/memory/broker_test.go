package memory

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gyrehq/gyre"
)

var ctx = context.Background()

// hist returns publish options with history.
func hist(size int, ttl time.Duration) gyre.PublishOptions {
	return gyre.PublishOptions{HistorySize: size, HistoryTTL: ttl}
}

func mustPublish(t *testing.T, b *Broker, ch string, opts gyre.PublishOptions) gyre.StreamPosition {
	t.Helper()
	sp, suppressed, err := b.Publish(ctx, ch, []byte("x"), opts)
	if err != nil || suppressed {
		t.Fatalf("Publish(%q): %+v, suppressed %v, %v", ch, sp, suppressed, err)
	}
	return sp
}

func mustHistory(t *testing.T, b *Broker, ch string, opts gyre.HistoryOptions) ([]*gyre.Publication, gyre.StreamPosition) {
	t.Helper()
	pubs, top, err := b.History(ctx, ch, opts)
	if err != nil {
		t.Fatalf("History(%q): %v", ch, err)
	}
	return pubs, top
}

func all() gyre.HistoryOptions { return gyre.HistoryOptions{Filter: gyre.HistoryFilter{Limit: -1}} }

func TestHandlerRegistration(t *testing.T) {
	b := NewBroker(BrokerConfig{})
	defer closeBroker(t, b)
	info := &gyre.ClientInfo{ClientID: "c"}
	if _, _, err := b.Publish(ctx, "ch", nil, gyre.PublishOptions{}); !errors.Is(err, ErrNoEventHandler) {
		t.Errorf("Publish before RegisterEventHandler: %v, want ErrNoEventHandler", err)
	}
	if err := b.PublishJoin(ctx, "ch", info); !errors.Is(err, ErrNoEventHandler) {
		t.Errorf("PublishJoin before RegisterEventHandler: %v, want ErrNoEventHandler", err)
	}
	if err := b.PublishLeave(ctx, "ch", info); !errors.Is(err, ErrNoEventHandler) {
		t.Errorf("PublishLeave before RegisterEventHandler: %v, want ErrNoEventHandler", err)
	}
	if _, _, err := b.History(ctx, "ch", all()); err != nil {
		t.Errorf("History needs no handler: %v", err)
	}
	if err := b.RegisterEventHandler(nil); err == nil {
		t.Error("RegisterEventHandler(nil) succeeded")
	}
	if err := b.RegisterEventHandler(nopHandler{}); err != nil {
		t.Fatalf("RegisterEventHandler: %v", err)
	}
	if err := b.RegisterEventHandler(nopHandler{}); err == nil {
		t.Error("second RegisterEventHandler succeeded")
	}
	if _, _, err := b.Publish(ctx, "ch", nil, gyre.PublishOptions{}); err != nil {
		t.Errorf("Publish after RegisterEventHandler: %v", err)
	}
}

func TestClose(t *testing.T) {
	b := NewBroker(BrokerConfig{})
	if err := b.RegisterEventHandler(nopHandler{}); err != nil {
		t.Fatal(err)
	}
	closeBroker(t, b)
	closeBroker(t, b) // twice is fine
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if err := b.Close(canceled); err != nil {
		t.Errorf("Close of a closed broker with a done context: %v", err)
	}
	if _, _, err := b.Publish(ctx, "ch", nil, hist(1, time.Minute)); !errors.Is(err, ErrClosed) {
		t.Errorf("Publish after Close: %v, want ErrClosed", err)
	}
	if _, _, err := b.History(ctx, "ch", all()); !errors.Is(err, ErrClosed) {
		t.Errorf("History after Close: %v, want ErrClosed", err)
	}
	if err := b.RemoveHistory(ctx, "ch"); !errors.Is(err, ErrClosed) {
		t.Errorf("RemoveHistory after Close: %v, want ErrClosed", err)
	}
	if err := b.PublishJoin(ctx, "ch", &gyre.ClientInfo{}); !errors.Is(err, ErrClosed) {
		t.Errorf("PublishJoin after Close: %v, want ErrClosed", err)
	}
}

func TestCanceledContext(t *testing.T) {
	b, _, _ := newTestBroker(t, BrokerConfig{})
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := b.Publish(canceled, "ch", nil, hist(1, time.Minute)); !errors.Is(err, context.Canceled) {
		t.Errorf("Publish: %v, want context.Canceled", err)
	}
	if _, _, err := b.History(canceled, "ch", all()); !errors.Is(err, context.Canceled) {
		t.Errorf("History: %v, want context.Canceled", err)
	}
}

func TestEpoch(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		e := newEpoch()
		if len(e) != 8 {
			t.Fatalf("epoch %q has %d letters, want 8", e, len(e))
		}
		for _, c := range e {
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
				t.Fatalf("epoch %q has %q, want only [a-zA-Z]", e, c)
			}
		}
		seen[e] = true
	}
	if len(seen) < 999 {
		t.Errorf("1000 epochs have only %d distinct values", len(seen))
	}
}

func TestHandlerErrorIsReturned(t *testing.T) {
	b := NewBroker(BrokerConfig{})
	defer closeBroker(t, b)
	boom := errors.New("boom")
	if err := b.RegisterEventHandler(nopHandler{err: boom}); err != nil {
		t.Fatal(err)
	}
	sp, _, err := b.Publish(ctx, "ch", []byte("x"), hist(5, time.Minute))
	if !errors.Is(err, boom) || sp.Offset != 1 {
		t.Errorf("Publish with a failing handler: %+v, %v; want offset 1 and the handler's error", sp, err)
	}
	if pubs, _ := mustHistory(t, b, "ch", all()); len(pubs) != 1 {
		t.Errorf("the publication is not in the stream: %d publications", len(pubs))
	}
	if err := b.PublishJoin(ctx, "ch", &gyre.ClientInfo{}); !errors.Is(err, boom) {
		t.Errorf("PublishJoin with a failing handler: %v", err)
	}
}

func TestPublishWithoutHistoryLeavesStreamAlone(t *testing.T) {
	b, _, rec := newTestBroker(t, BrokerConfig{})
	for _, opts := range []gyre.PublishOptions{{}, {HistorySize: 5}, {HistoryTTL: time.Minute}} {
		if sp := mustPublish(t, b, "ch", opts); sp != (gyre.StreamPosition{}) {
			t.Errorf("publish with %+v: %+v, want zero", opts, sp)
		}
	}
	if st := streamOf(b, "ch"); st != nil {
		t.Errorf("publishing without history created a stream: %+v", st)
	}
	if evs := rec.Events("ch"); len(evs) != 3 || evs[2].Publication.Offset != 0 {
		t.Errorf("events: %+v", evs)
	}
}

func TestItemsExpire(t *testing.T) {
	b, clock, _ := newTestBroker(t, BrokerConfig{})
	const ttl = 10 * time.Second
	first := mustPublish(t, b, "ch", hist(10, ttl))
	clock.Advance(6 * time.Second)
	mustPublish(t, b, "ch", hist(10, ttl))
	clock.Advance(6 * time.Second) // 12s after the first, 6s after the last publish
	pubs, top := mustHistory(t, b, "ch", all())
	if diff := cmp.Diff([]uint64{1, 2}, offsetsOf(pubs)); diff != "" {
		t.Errorf("items 6s after the last publish (-want +got):\n%s", diff)
	}
	clock.Advance(4 * time.Second) // exactly ttl after the last publish
	pubs, top2 := mustHistory(t, b, "ch", all())
	if len(pubs) != 0 {
		t.Errorf("items did not expire together: offsets %v", offsetsOf(pubs))
	}
	if top2 != top || top.Epoch != first.Epoch {
		t.Errorf("top after items expired = %+v, want %+v (meta stays)", top2, top)
	}
	if st := streamOf(b, "ch"); st.items.buf != nil {
		t.Errorf("expired items still hold a buffer of %d", len(st.items.buf))
	}
	if sp := mustPublish(t, b, "ch", hist(10, ttl)); sp != (gyre.StreamPosition{Offset: 3, Epoch: first.Epoch}) {
		t.Errorf("publish after items expired: %+v, want offset 3 in epoch %q", sp, first.Epoch)
	}
}

func TestMetaExpires(t *testing.T) {
	tests := []struct {
		name       string
		defaultTTL time.Duration // BrokerConfig.DefaultHistoryMetaTTL
		metaTTL    time.Duration // per call
		historyTTL time.Duration
		alive      time.Duration // the epoch still holds this long after the publish
		dead       time.Duration // and is gone this long after it
	}{
		{"Default720h", 0, 0, time.Minute, 719 * time.Hour, 720 * time.Hour},
		{"ConfiguredDefault", time.Hour, 0, time.Minute, 59 * time.Minute, time.Hour},
		{"PerCall", time.Hour, 30 * time.Second, 10 * time.Second, 29 * time.Second, 30 * time.Second},
		{"AtLeastItemsTTL", 0, 5 * time.Second, time.Minute, 59 * time.Second, time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, check := range []struct {
				after time.Duration
				alive bool
			}{{tc.alive, true}, {tc.dead, false}} {
				b, clock, _ := newTestBroker(t, BrokerConfig{DefaultHistoryMetaTTL: tc.defaultTTL})
				opts := hist(10, tc.historyTTL)
				opts.HistoryMetaTTL = tc.metaTTL
				first := mustPublish(t, b, "ch", opts)
				clock.Advance(check.after)
				_, top, err := b.History(ctx, "ch", gyre.HistoryOptions{
					Filter: gyre.HistoryFilter{Since: &first, Limit: -1}, MetaTTL: tc.metaTTL,
				})
				if check.alive {
					if err != nil || top != first {
						t.Errorf("after %v: top %+v, %v; want %+v", check.after, top, err, first)
					}
					continue
				}
				if !errors.Is(err, gyre.ErrUnrecoverablePosition) || top.Offset != 0 || top.Epoch == first.Epoch {
					t.Errorf("after %v: top %+v, %v; want a new epoch at offset 0 and ErrUnrecoverablePosition", check.after, top, err)
				}
				if sp := mustPublish(t, b, "ch", opts); sp != (gyre.StreamPosition{Offset: 1, Epoch: top.Epoch}) {
					t.Errorf("publish after the meta expired: %+v, want offset 1 in epoch %q", sp, top.Epoch)
				}
			}
		})
	}
}

func TestMetaExpiresOnPublish(t *testing.T) {
	b, clock, _ := newTestBroker(t, BrokerConfig{})
	opts := hist(10, time.Second)
	opts.HistoryMetaTTL = time.Minute
	first := mustPublish(t, b, "ch", opts)
	clock.Advance(time.Minute)
	if sp := mustPublish(t, b, "ch", opts); sp.Offset != 1 || sp.Epoch == first.Epoch {
		t.Errorf("publish after the meta expired: %+v, want offset 1 in a new epoch (old %q)", sp, first.Epoch)
	}
}

func TestHistoryExtendsMeta(t *testing.T) {
	b, clock, _ := newTestBroker(t, BrokerConfig{})
	meta := gyre.HistoryOptions{MetaTTL: time.Minute}
	// A History call creates the meta of an unknown channel.
	_, created := mustHistory(t, b, "ch", meta)
	clock.Advance(50 * time.Second)
	if _, top := mustHistory(t, b, "ch", meta); top != created {
		t.Fatalf("top 50s after creation = %+v, want %+v", top, created)
	}
	opts := hist(10, time.Second)
	opts.HistoryMetaTTL = time.Minute
	sp := mustPublish(t, b, "ch", opts)
	if sp.Epoch != created.Epoch {
		t.Fatalf("publish changed the epoch created by History: %+v vs %+v", sp, created)
	}
	for range 3 { // History keeps the meta alive well past the publish
		clock.Advance(50 * time.Second)
		if _, top := mustHistory(t, b, "ch", meta); top != sp {
			t.Fatalf("top = %+v, want %+v", top, sp)
		}
	}
	clock.Advance(time.Minute)
	if _, top := mustHistory(t, b, "ch", meta); top.Epoch == sp.Epoch || top.Offset != 0 {
		t.Errorf("top a minute after the last History = %+v, want a new epoch at offset 0", top)
	}
}

func TestIdempotencyExpires(t *testing.T) {
	tests := []struct {
		name     string
		ttl      time.Duration
		holds    time.Duration
		releases time.Duration
	}{
		{"Default5m", 0, 5*time.Minute - time.Nanosecond, 5 * time.Minute},
		{"Configured", 10 * time.Second, 9 * time.Second, 10 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, clock, rec := newTestBroker(t, BrokerConfig{})
			opts := hist(10, time.Hour)
			opts.IdempotencyKey, opts.IdempotentResultTTL = "k", tc.ttl
			first := mustPublish(t, b, "ch", opts)
			clock.Advance(tc.holds)
			if sp, suppressed, err := b.Publish(ctx, "ch", nil, opts); err != nil || !suppressed || sp != first {
				t.Errorf("after %v: %+v, %v, %v; want %+v suppressed", tc.holds, sp, suppressed, err, first)
			}
			clock.Advance(tc.releases - tc.holds)
			second := mustPublish(t, b, "ch", opts)
			if second.Offset != 2 {
				t.Errorf("after %v: offset %d, want 2", tc.releases, second.Offset)
			}
			if sp, suppressed, _ := b.Publish(ctx, "ch", nil, opts); !suppressed || sp != second {
				t.Errorf("the new result is not remembered: %+v, %v", sp, suppressed)
			}
			if n := len(rec.Events("ch")); n != 2 {
				t.Errorf("%d deliveries, want 2", n)
			}
		})
	}
}

// TestHistoryModel checks streams against a naive model through random
// publishes (with changing sizes), removals and History calls.
func TestHistoryModel(t *testing.T) {
	b, _, _ := newTestBroker(t, BrokerConfig{})
	r := rand.New(rand.NewPCG(1, 2))
	var model []uint64 // offsets kept, oldest first
	var top uint64
	for step := range 5000 {
		switch op := r.IntN(10); {
		case op < 5:
			size := 1 + r.IntN(20)
			if r.IntN(50) == 0 {
				size = 1 + r.IntN(200)
			}
			top++
			model = append(model, top)
			if len(model) > size {
				model = model[len(model)-size:]
			}
			if sp := mustPublish(t, b, "ch", hist(size, time.Hour)); sp.Offset != top {
				t.Fatalf("step %d: offset %d, want %d", step, sp.Offset, top)
			}
		case op == 5 && r.IntN(20) == 0:
			model = nil
			if err := b.RemoveHistory(ctx, "ch"); err != nil {
				t.Fatal(err)
			}
		default:
			f := gyre.HistoryFilter{Limit: r.IntN(25) - 3, Reverse: r.IntN(2) == 0}
			if r.IntN(3) > 0 {
				f.Since = &gyre.StreamPosition{Offset: uint64(r.IntN(int(top) + 3))}
			}
			want := modelHistory(model, f)
			pubs, gotTop := mustHistory(t, b, "ch", gyre.HistoryOptions{Filter: f})
			if gotTop.Offset != top {
				t.Fatalf("step %d: top %d, want %d", step, gotTop.Offset, top)
			}
			if diff := cmp.Diff(want, offsetsOf(pubs)); len(want)+len(pubs) > 0 && diff != "" {
				t.Fatalf("step %d: History(%+v since %v) with %v (-want +got):\n%s", step, f, f.Since, model, diff)
			}
		}
	}
}

// modelHistory is HistoryFilter's meaning over a list of kept offsets.
func modelHistory(kept []uint64, f gyre.HistoryFilter) []uint64 {
	if f.Limit == 0 {
		return nil
	}
	var sel []uint64
	for _, o := range kept {
		if f.Since == nil || (!f.Reverse && o > f.Since.Offset) || (f.Reverse && o < f.Since.Offset) {
			sel = append(sel, o)
		}
	}
	if f.Reverse {
		for i, j := 0, len(sel)-1; i < j; i, j = i+1, j-1 {
			sel[i], sel[j] = sel[j], sel[i]
		}
	}
	if f.Limit > 0 && len(sel) > f.Limit {
		sel = sel[:f.Limit]
	}
	return sel
}

func TestRingShrinks(t *testing.T) {
	b, _, _ := newTestBroker(t, BrokerConfig{})
	for range 1000 {
		mustPublish(t, b, "ch", hist(1000, time.Hour))
	}
	mustPublish(t, b, "ch", hist(10, time.Hour))
	st := streamOf(b, "ch")
	if st.items.n != 10 || len(st.items.buf) > 20 {
		t.Errorf("after HistorySize went 1000 → 10: %d items in a buffer of %d", st.items.n, len(st.items.buf))
	}
	pubs, _ := mustHistory(t, b, "ch", all())
	if pubs[0].Offset != 992 || pubs[9].Offset != 1001 {
		t.Errorf("offsets %v, want 992..1001", offsetsOf(pubs))
	}
}

func offsetsOf(pubs []*gyre.Publication) []uint64 {
	out := make([]uint64, len(pubs))
	for i, p := range pubs {
		out[i] = p.Offset
	}
	return out
}

// nopHandler accepts everything and returns err.
type nopHandler struct{ err error }

func (h nopHandler) HandlePublication(string, *gyre.Publication, gyre.StreamPosition) error {
	return h.err
}
func (h nopHandler) HandleJoin(string, *gyre.ClientInfo) error  { return h.err }
func (h nopHandler) HandleLeave(string, *gyre.ClientInfo) error { return h.err }
