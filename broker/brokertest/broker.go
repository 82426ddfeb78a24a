package brokertest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gyrehq/gyre"
)

// RunBroker runs the broker conformance suite as subtests of t. newBroker
// is called once per subtest and must return a fresh broker without an
// event handler, arranging its own cleanup with t.Cleanup.
func RunBroker(t *testing.T, newBroker func(t *testing.T) gyre.Broker) {
	t.Helper()
	tests := []struct {
		name string
		run  func(h *harness)
	}{
		{"NewChannelTop", testNewChannelTop},
		{"PublishOffsetsAndDelivery", testPublishOffsetsAndDelivery},
		{"HistoryFilter", testHistoryFilter},
		{"HistoryTrim", testHistoryTrim},
		{"HistoryReturnsCopies", testHistoryReturnsCopies},
		{"RemoveHistoryKeepsTop", testRemoveHistoryKeepsTop},
		{"IdempotentPublish", testIdempotentPublish},
		{"PublishWithoutHistory", testPublishWithoutHistory},
		{"JoinLeave", testJoinLeave},
		{"TagsAndClientInfo", testTagsAndClientInfo},
		{"ConcurrentPublish", testConcurrentPublish},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBroker(t)
			rec := NewRecorder()
			if err := b.RegisterEventHandler(rec); err != nil {
				t.Fatalf("RegisterEventHandler: %v", err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), WaitTimeout)
			defer cancel()
			tc.run(&harness{t: t, ctx: ctx, b: b, rec: rec})
		})
	}
}

// harness bundles what a broker subtest uses; its helpers fail the test on
// unexpected errors.
type harness struct {
	t   *testing.T
	ctx context.Context
	b   gyre.Broker
	rec *Recorder
}

// channel returns a channel name unique to this subtest and run, already
// subscribed to.
func (h *harness) channel(suffix string) string {
	h.t.Helper()
	ch := uniqueChannel(h.t, suffix)
	if err := h.b.Subscribe(h.ctx, ch); err != nil {
		h.t.Fatalf("Subscribe(%q): %v", ch, err)
	}
	return ch
}

// publish publishes and fails the test on error or on an unexpected
// suppression.
func (h *harness) publish(ch, data string, opts gyre.PublishOptions) gyre.StreamPosition {
	h.t.Helper()
	sp, suppressed, err := h.b.Publish(h.ctx, ch, []byte(data), opts)
	if err != nil {
		h.t.Fatalf("Publish(%q, %q): %v", ch, data, err)
	}
	if suppressed {
		h.t.Fatalf("Publish(%q, %q): suppressed, want published", ch, data)
	}
	return sp
}

// history calls History and fails the test on error.
func (h *harness) history(ch string, f gyre.HistoryFilter) ([]*gyre.Publication, gyre.StreamPosition) {
	h.t.Helper()
	pubs, top, err := h.b.History(h.ctx, ch, gyre.HistoryOptions{Filter: f})
	if err != nil {
		h.t.Fatalf("History(%q, %+v): %v", ch, f, err)
	}
	return pubs, top
}

// top returns the stream top of ch.
func (h *harness) top(ch string) gyre.StreamPosition {
	h.t.Helper()
	_, top := h.history(ch, gyre.HistoryFilter{Limit: 0})
	return top
}

// withHistory returns options that keep size publications for a minute.
func withHistory(size int) gyre.PublishOptions {
	return gyre.PublishOptions{HistorySize: size, HistoryTTL: time.Minute}
}

var channelSeq struct {
	sync.Mutex
	n int
}

// uniqueChannel returns "brokertest.<subtest>.<suffix>.<random><n>".
func uniqueChannel(t testing.TB, suffix string) string {
	channelSeq.Lock()
	channelSeq.n++
	n := channelSeq.n
	channelSeq.Unlock()
	name := t.Name()
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	const letters = "abcdefghijklmnopqrstuvwxyz"
	var r [6]byte
	for i := range r {
		r[i] = letters[rand.IntN(len(letters))]
	}
	return fmt.Sprintf("brokertest.%s.%s.%s%d", name, suffix, r[:], n)
}

// offsets returns the publications' offsets.
func offsets(pubs []*gyre.Publication) []uint64 {
	out := make([]uint64, len(pubs))
	for i, p := range pubs {
		out[i] = p.Offset
	}
	return out
}

func testNewChannelTop(h *harness) {
	ch := h.channel("fresh")
	pubs, top := h.history(ch, gyre.HistoryFilter{Limit: -1})
	if len(pubs) != 0 {
		h.t.Errorf("History of a new channel returned %d publications, want 0", len(pubs))
	}
	if top.Offset != 0 || top.Epoch == "" {
		h.t.Fatalf("top of a new channel = %+v, want offset 0 and an epoch", top)
	}
	if again := h.top(ch); again != top {
		h.t.Errorf("second History top = %+v, want %+v (epoch kept)", again, top)
	}
	if other := h.top(h.channel("other")); other.Offset != 0 || other.Epoch == "" {
		h.t.Errorf("top of another new channel = %+v, want offset 0 and an epoch", other)
	}
}

func testPublishOffsetsAndDelivery(h *harness) {
	ch := h.channel("pub")
	epoch := h.top(ch).Epoch
	const n = 5
	sps := make([]gyre.StreamPosition, n)
	for i := range n {
		sps[i] = h.publish(ch, fmt.Sprintf("m%d", i+1), withHistory(10))
		want := gyre.StreamPosition{Offset: uint64(i + 1), Epoch: epoch}
		if sps[i] != want {
			h.t.Errorf("publish %d: position %+v, want %+v", i+1, sps[i], want)
		}
	}
	evs := h.rec.Wait(h.t, ch, n)
	if len(evs) != n {
		h.t.Fatalf("got %d events, want %d", len(evs), n)
	}
	for i, e := range evs {
		if e.Kind != KindPublication {
			h.t.Fatalf("event %d: kind %v, want publication", i, e.Kind)
		}
		if e.Publication.Offset != sps[i].Offset || e.Position != sps[i] {
			h.t.Errorf("event %d: offset %d position %+v, want %+v", i, e.Publication.Offset, e.Position, sps[i])
		}
		if got, want := string(e.Publication.Data), fmt.Sprintf("m%d", i+1); got != want {
			h.t.Errorf("event %d: data %q, want %q", i, got, want)
		}
	}
	if top := h.top(ch); top != sps[n-1] {
		h.t.Errorf("top after publishing = %+v, want %+v", top, sps[n-1])
	}
}

func testRemoveHistoryKeepsTop(h *harness) {
	ch := h.channel("remove")
	var last gyre.StreamPosition
	for i := range 3 {
		last = h.publish(ch, fmt.Sprint(i), withHistory(10))
	}
	if err := h.b.RemoveHistory(h.ctx, ch); err != nil {
		h.t.Fatalf("RemoveHistory: %v", err)
	}
	pubs, top := h.history(ch, gyre.HistoryFilter{Limit: -1})
	if len(pubs) != 0 {
		h.t.Errorf("History after RemoveHistory returned offsets %v, want none", offsets(pubs))
	}
	if top != last {
		h.t.Errorf("top after RemoveHistory = %+v, want %+v", top, last)
	}
	next := h.publish(ch, "next", withHistory(10))
	if want := (gyre.StreamPosition{Offset: last.Offset + 1, Epoch: last.Epoch}); next != want {
		h.t.Errorf("publish after RemoveHistory: %+v, want %+v", next, want)
	}
	if err := h.b.RemoveHistory(h.ctx, h.channel("never")); err != nil {
		h.t.Errorf("RemoveHistory of an unknown channel: %v", err)
	}
}

func testIdempotentPublish(h *harness) {
	ch := h.channel("idem")
	opts := withHistory(10)
	opts.IdempotencyKey = "k1"
	first := h.publish(ch, "first", opts)
	sp, suppressed, err := h.b.Publish(h.ctx, ch, []byte("again"), opts)
	if err != nil || !suppressed || sp != first {
		h.t.Errorf("repeated idempotent publish = %+v, %v, %v; want %+v, true, nil", sp, suppressed, err, first)
	}
	opts.IdempotencyKey = "k2"
	second := h.publish(ch, "second", opts)
	if second.Offset != first.Offset+1 {
		h.t.Errorf("publish with another key: offset %d, want %d", second.Offset, first.Offset+1)
	}
	// The marker has no key; the suppressed publish, had it been delivered,
	// would come before it.
	h.publish(ch, "marker", withHistory(10))
	evs := h.rec.Wait(h.t, ch, 3)
	var got []string
	for _, e := range evs {
		got = append(got, string(e.Publication.Data))
	}
	if diff := cmp.Diff([]string{"first", "second", "marker"}, got); diff != "" {
		h.t.Errorf("delivered data (-want +got):\n%s", diff)
	}
	pubs, _ := h.history(ch, gyre.HistoryFilter{Limit: -1})
	if diff := cmp.Diff([]uint64{1, 2, 3}, offsets(pubs)); diff != "" {
		h.t.Errorf("history offsets (-want +got):\n%s", diff)
	}

	// The same key in another channel is independent.
	other := h.channel("idem-other")
	opts.IdempotencyKey = "k1"
	if sp := h.publish(other, "first", opts); sp.Offset != 1 {
		h.t.Errorf("same key in another channel: offset %d, want 1", sp.Offset)
	}

	// Idempotency works without history too, with a zero position.
	plain := h.channel("idem-plain")
	noHist := gyre.PublishOptions{IdempotencyKey: "k"}
	if sp := h.publish(plain, "x", noHist); sp != (gyre.StreamPosition{}) {
		h.t.Errorf("idempotent publish without history: %+v, want zero", sp)
	}
	sp, suppressed, err = h.b.Publish(h.ctx, plain, []byte("x"), noHist)
	if err != nil || !suppressed || sp != (gyre.StreamPosition{}) {
		h.t.Errorf("repeated publish without history = %+v, %v, %v; want zero, true, nil", sp, suppressed, err)
	}
}

func testPublishWithoutHistory(h *harness) {
	ch := h.channel("nohist")
	for _, opts := range []gyre.PublishOptions{
		{},
		{HistorySize: 10},
		{HistoryTTL: time.Minute},
	} {
		if sp := h.publish(ch, "x", opts); sp != (gyre.StreamPosition{}) {
			h.t.Errorf("publish with %+v: position %+v, want zero", opts, sp)
		}
	}
	for i, e := range h.rec.Wait(h.t, ch, 3) {
		if e.Publication.Offset != 0 || e.Position != (gyre.StreamPosition{}) {
			h.t.Errorf("event %d: offset %d position %+v, want zero", i, e.Publication.Offset, e.Position)
		}
	}
	pubs, top := h.history(ch, gyre.HistoryFilter{Limit: -1})
	if len(pubs) != 0 || top.Offset != 0 {
		h.t.Errorf("History after publishing without history: %d publications, top %+v; want none at offset 0", len(pubs), top)
	}
}

func testJoinLeave(h *harness) {
	ch := h.channel("joinleave")
	info := &gyre.ClientInfo{
		ClientID: "client-1",
		UserID:   "user-1",
		ConnInfo: []byte(`{"name":"Ann"}`),
		ChanInfo: []byte{0, 1, 2, 255},
	}
	if err := h.b.PublishJoin(h.ctx, ch, info); err != nil {
		h.t.Fatalf("PublishJoin: %v", err)
	}
	if err := h.b.PublishLeave(h.ctx, ch, info); err != nil {
		h.t.Fatalf("PublishLeave: %v", err)
	}
	evs := h.rec.Wait(h.t, ch, 2)
	for i, want := range []EventKind{KindJoin, KindLeave} {
		if evs[i].Kind != want {
			h.t.Fatalf("event %d: kind %v, want %v", i, evs[i].Kind, want)
		}
		if diff := cmp.Diff(info, evs[i].Info); diff != "" {
			h.t.Errorf("%v info (-want +got):\n%s", want, diff)
		}
	}
}

func testTagsAndClientInfo(h *harness) {
	ch := h.channel("tags")
	info := &gyre.ClientInfo{ClientID: "c", UserID: "u", ConnInfo: []byte(`{"a":1}`), ChanInfo: []byte(`"x"`)}
	opts := withHistory(10)
	opts.Tags = map[string]string{"kind": "greeting", "lang": "en"}
	opts.ClientInfo = info
	sp := h.publish(ch, "hello", opts)
	want := &gyre.Publication{Offset: sp.Offset, Data: []byte("hello"), Info: info, Tags: opts.Tags}
	ignoreTime := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Time" }, cmp.Ignore())

	evs := h.rec.Wait(h.t, ch, 1)
	if diff := cmp.Diff(want, evs[0].Publication, ignoreTime); diff != "" {
		h.t.Errorf("delivered publication (-want +got):\n%s", diff)
	}
	pubs, _ := h.history(ch, gyre.HistoryFilter{Limit: -1})
	if len(pubs) != 1 {
		h.t.Fatalf("history has %d publications, want 1", len(pubs))
	}
	if diff := cmp.Diff(want, pubs[0], ignoreTime); diff != "" {
		h.t.Errorf("history publication (-want +got):\n%s", diff)
	}

	// Without history, tags and info are delivered as well.
	plain := h.channel("tags-plain")
	opts.HistorySize, opts.HistoryTTL = 0, 0
	h.publish(plain, "hello", opts)
	want.Offset = 0
	evs = h.rec.Wait(h.t, plain, 1)
	if diff := cmp.Diff(want, evs[0].Publication, ignoreTime); diff != "" {
		h.t.Errorf("delivered publication without history (-want +got):\n%s", diff)
	}
}

func testConcurrentPublish(h *harness) {
	ch := h.channel("concurrent")
	const workers, each = 8, 25
	const total = workers * each
	var (
		mu   sync.Mutex
		got  []uint64
		errs []error
		wg   sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				sp, _, err := h.b.Publish(h.ctx, ch, []byte(fmt.Sprintf("%d-%d", w, i)), withHistory(total))
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				}
				got = append(got, sp.Offset)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		h.t.Fatalf("concurrent publish: %v", err)
	}
	want := make([]uint64, total)
	for i := range want {
		want[i] = uint64(i + 1)
	}
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		h.t.Errorf("returned offsets are not 1..%d (-want +got):\n%s", total, diff)
	}
	evs := h.rec.Wait(h.t, ch, total)
	delivered := make([]uint64, len(evs))
	for i, e := range evs {
		delivered[i] = e.Publication.Offset
		if e.Position.Offset != e.Publication.Offset {
			h.t.Errorf("event %d: position %+v for offset %d", i, e.Position, e.Publication.Offset)
		}
	}
	if diff := cmp.Diff(want, delivered); diff != "" {
		h.t.Errorf("delivery order is not 1..%d (-want +got):\n%s", total, diff)
	}
	pubs, _ := h.history(ch, gyre.HistoryFilter{Limit: -1})
	if diff := cmp.Diff(want, offsets(pubs)); diff != "" {
		h.t.Errorf("history offsets (-want +got):\n%s", diff)
	}
}
