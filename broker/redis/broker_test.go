package redis

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/broker/brokertest"
	"github.com/gyrehq/gyre/internal/testservice"
)

func withHistory(size int) gyre.PublishOptions {
	return gyre.PublishOptions{HistorySize: size, HistoryTTL: time.Minute}
}

func splitLines(s string) []string { return strings.Split(s, "\n") }

// subscribed returns a broker on cfg with a gapRecorder and ch subscribed.
func subscribed(t *testing.T, cfg Config, ch string) (*Broker, *gapRecorder) {
	t.Helper()
	b := newTestBroker(t, cfg)
	rec := newGapRecorder()
	if err := b.RegisterEventHandler(rec); err != nil {
		t.Fatal(err)
	}
	if err := b.Subscribe(t.Context(), ch); err != nil {
		t.Fatal(err)
	}
	return b, rec
}

func publish(t *testing.T, b *Broker, ch, data string, opts gyre.PublishOptions) gyre.StreamPosition {
	t.Helper()
	sp, _, err := b.Publish(t.Context(), ch, []byte(data), opts)
	if err != nil {
		t.Fatalf("Publish(%q): %v", ch, err)
	}
	return sp
}

// TestResubscribeAfterPubSubKill kills the PUB/SUB connection from the
// server side and checks that the broker resubscribes, reports the gap
// and delivers again. It uses a private Redis: CLIENT KILL on the shared
// one would disturb other test runs.
func TestResubscribeAfterPubSubKill(t *testing.T) {
	srv := testservice.StartRedis(t)
	cfg := Config{Shards: []ShardConfig{{Address: srv.Addr()}}}
	b, rec := subscribed(t, cfg, "kill")
	if err := b.Subscribe(t.Context(), "kill.other"); err != nil {
		t.Fatal(err)
	}
	publish(t, b, "kill", "before", withHistory(10))
	rec.Wait(t, "kill", 1)

	if n, err := testservice.RedisDo(srv.Addr(), "CLIENT", "KILL", "TYPE", "pubsub"); err != nil || n != "1" {
		t.Fatalf("CLIENT KILL TYPE pubsub = %q, %v; want 1 killed", n, err)
	}
	rec.waitGap(t, "kill")
	publish(t, b, "kill", "after", withHistory(10))
	evs := rec.Wait(t, "kill", 2)
	if got := string(evs[1].Publication.Data); got != "after" {
		t.Errorf("delivered %q after resubscribe, want %q", got, "after")
	}
	publish(t, b, "kill.other", "x", gyre.PublishOptions{})
	rec.Wait(t, "kill.other", 1)
	if b.pubsubs[0].subscribed() != 2 {
		t.Errorf("subscribed to %d channels, want 2", b.pubsubs[0].subscribed())
	}
}

// TestReconnectAfterRedisRestart restarts the Redis process: the broker
// reconnects, resubscribes, reports the gap; streams are gone (no
// persistence), so the channel gets a new epoch.
func TestReconnectAfterRedisRestart(t *testing.T) {
	srv := testservice.StartRedis(t)
	cfg := Config{Shards: []ShardConfig{{Address: srv.Addr()}}}
	b, rec := subscribed(t, cfg, "restart")
	before := publish(t, b, "restart", "before", withHistory(10))
	rec.Wait(t, "restart", 1)

	srv.Stop()
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	err := b.Subscribe(ctx, "restart.during")
	cancel()
	if err == nil {
		t.Error("Subscribe while Redis is down succeeded")
	}
	srv.Restart(testservice.RedisPing(srv))
	rec.waitGap(t, "restart")

	var after gyre.StreamPosition
	eventually(t, "publish after restart", func() bool {
		sp, _, err := b.Publish(t.Context(), "restart", []byte("after"), withHistory(10))
		after = sp
		return err == nil
	})
	if after.Offset != 1 || after.Epoch == before.Epoch {
		t.Errorf("position after restart = %+v, want offset 1 in a new epoch (was %+v)", after, before)
	}
	evs := rec.Wait(t, "restart", 2)
	if got := evs[len(evs)-1].Position; got != after {
		t.Errorf("delivered at %+v, want %+v", got, after)
	}
}

// TestStreamSurvivesBrokerRestart: offsets and epoch live in Redis, so a
// new Broker (a restarted node) continues the stream.
func TestStreamSurvivesBrokerRestart(t *testing.T) {
	cfg := testConfig(standalone(t))
	b1, err := NewBroker(cfg)
	if err != nil {
		t.Fatal(err)
	}
	first := publish(t, b1, "survive", "1", withHistory(10))
	closeWithin(t, b1)
	if _, _, err := b1.Publish(t.Context(), "survive", nil, gyre.PublishOptions{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Publish after Close: %v, want ErrClosed", err)
	}

	b2, err := NewBroker(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		deleteKeys(t, b2.shards, cfg.Prefix)
		closeWithin(t, b2)
	})
	second := publish(t, b2, "survive", "2", withHistory(10))
	if second.Epoch != first.Epoch || second.Offset != first.Offset+1 {
		t.Errorf("after restart: %+v, want offset %d in epoch %q", second, first.Offset+1, first.Epoch)
	}
	pubs, _, err := b2.History(t.Context(), "survive", gyre.HistoryOptions{Filter: gyre.HistoryFilter{Limit: -1}})
	if err != nil || len(pubs) != 2 || string(pubs[0].Data) != "1" {
		t.Errorf("history after restart: %d pubs, %v", len(pubs), err)
	}
}

// TestExpiry checks item, meta and idempotency-result TTLs with real
// (short) TTLs in Redis.
func TestExpiry(t *testing.T) {
	b, _ := subscribed(t, standalone(t), "expiry")
	ctx := t.Context()
	opts := gyre.PublishOptions{HistorySize: 10, HistoryTTL: 150 * time.Millisecond, HistoryMetaTTL: 600 * time.Millisecond,
		IdempotencyKey: "k", IdempotentResultTTL: 150 * time.Millisecond}
	first := publish(t, b, "expiry", "1", opts)

	// Items expire, the top stays.
	eventually(t, "items expire", func() bool {
		pubs, top, err := b.History(ctx, "expiry", gyre.HistoryOptions{Filter: gyre.HistoryFilter{Limit: -1}, MetaTTL: 600 * time.Millisecond})
		return err == nil && len(pubs) == 0 && top == first
	})
	// The idempotency result expires: the same key publishes again.
	eventually(t, "idempotency result expires", func() bool {
		_, suppressed, err := b.Publish(ctx, "expiry", []byte("2"), opts)
		return err == nil && !suppressed
	})
	// The meta expires: a new epoch starts at 1.
	s := b.shardFor("expiry")
	eventually(t, "meta expires", func() bool {
		n, err := s.client.Do(ctx, s.client.B().Exists().Key(s.keys.meta("expiry")).Build()).AsInt64()
		return err == nil && n == 0
	})
	if sp := publish(t, b, "expiry", "3", withHistory(10)); sp.Offset != 1 || sp.Epoch == first.Epoch {
		t.Errorf("publish after meta expiry: %+v, want offset 1 in a new epoch (was %q)", sp, first.Epoch)
	}
}

// TestMetaTTLNotBelowItems: a publish whose meta TTL is shorter than the
// history TTL keeps the meta as long as the items.
func TestMetaTTLNotBelowItems(t *testing.T) {
	b := newTestBroker(t, standalone(t))
	publish(t, b, "metattl", "x", gyre.PublishOptions{HistorySize: 5, HistoryTTL: time.Minute, HistoryMetaTTL: time.Second})
	s := b.shardFor("metattl")
	pttl, err := s.client.Do(t.Context(), s.client.B().Pttl().Key(s.keys.meta("metattl")).Build()).AsInt64()
	if err != nil || pttl < 50_000 {
		t.Errorf("meta PTTL = %d, %v; want about a minute", pttl, err)
	}
	// A History call with a short MetaTTL does not cut it below the items.
	if _, _, err := b.History(t.Context(), "metattl", gyre.HistoryOptions{MetaTTL: time.Second}); err != nil {
		t.Fatal(err)
	}
	pttl, _ = s.client.Do(t.Context(), s.client.B().Pttl().Key(s.keys.meta("metattl")).Build()).AsInt64()
	if pttl < 50_000 {
		t.Errorf("meta PTTL after History = %d, want about a minute", pttl)
	}
}

func TestPresenceExpiry(t *testing.T) {
	cfg := standalone(t)
	cfg.PresenceTTL = 200 * time.Millisecond
	m := newTestPresence(t, cfg)
	ctx := t.Context()
	if err := m.AddPresence(ctx, "p", &gyre.ClientInfo{ClientID: "c1", UserID: "u1"}); err != nil {
		t.Fatal(err)
	}
	if st, err := m.PresenceStats(ctx, "p"); err != nil || st != (gyre.PresenceStats{NumClients: 1, NumUsers: 1}) {
		t.Fatalf("stats = %+v, %v", st, err)
	}
	eventually(t, "presence expires", func() bool {
		st, err := m.PresenceStats(ctx, "p")
		return err == nil && st == gyre.PresenceStats{}
	})
	if p, err := m.Presence(ctx, "p"); err != nil || len(p) != 0 {
		t.Errorf("presence after expiry = %v, %v", p, err)
	}
}

func TestClosedAndInvalid(t *testing.T) {
	if _, err := NewBroker(Config{Shards: []ShardConfig{{Address: "127.0.0.1:1", ConnectTimeout: 200 * time.Millisecond}}}); err == nil {
		t.Error("NewBroker with an unreachable Redis succeeded")
	}
	if _, err := NewPresenceManager(Config{Shards: []ShardConfig{{Address: "bogus://x"}}}); err == nil {
		t.Error("NewPresenceManager with a bad address succeeded")
	}
	b := newTestBroker(t, standalone(t))
	if err := b.RegisterEventHandler(nil); err == nil {
		t.Error("RegisterEventHandler(nil) succeeded")
	}
	if err := b.RegisterEventHandler(brokertest.NewRecorder()); err != nil {
		t.Fatal(err)
	}
	if err := b.RegisterEventHandler(brokertest.NewRecorder()); err == nil {
		t.Error("second RegisterEventHandler succeeded")
	}
	closeWithin(t, b)
	closeWithin(t, b) // twice is fine
	ctx := t.Context()
	for name, err := range map[string]error{
		"Subscribe":     b.Subscribe(ctx, "x"),
		"Unsubscribe":   b.Unsubscribe(ctx, "x"),
		"PublishJoin":   b.PublishJoin(ctx, "x", &gyre.ClientInfo{}),
		"RemoveHistory": b.RemoveHistory(ctx, "x"),
	} {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
}

func TestUnsubscribeStopsDelivery(t *testing.T) {
	b, rec := subscribed(t, standalone(t), "unsub")
	ctx := t.Context()
	if err := b.Subscribe(ctx, "unsub.marker"); err != nil {
		t.Fatal(err)
	}
	if err := b.Unsubscribe(ctx, "unsub"); err != nil {
		t.Fatal(err)
	}
	publish(t, b, "unsub", "lost", gyre.PublishOptions{})
	publish(t, b, "unsub.marker", "m", gyre.PublishOptions{})
	// Both go over the same connection: once the marker arrived, the
	// unsubscribed channel's publication would have too.
	rec.Wait(t, "unsub.marker", 1)
	if evs := rec.Events("unsub"); len(evs) != 0 {
		t.Errorf("got %d events after Unsubscribe, want 0", len(evs))
	}
	// Unsubscribing everything and subscribing again works.
	if err := b.Unsubscribe(ctx, "unsub.marker"); err != nil {
		t.Fatal(err)
	}
	if err := b.Subscribe(ctx, "unsub"); err != nil {
		t.Fatal(err)
	}
	publish(t, b, "unsub", "again", gyre.PublishOptions{})
	if evs := rec.Wait(t, "unsub", 1); string(evs[0].Publication.Data) != "again" {
		t.Errorf("delivered %q, want %q", evs[0].Publication.Data, "again")
	}
}
