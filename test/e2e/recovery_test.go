package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/config"
)

// The tests in this file prove the issue "History, positioning and recovery:
// no message silently lost across a reconnect" with real centrifuge-go
// clients (JSON and Protobuf) whose TCP connections are cut (cutconn_test.go)
// while the HTTP API publishes. PROTOCOL.md §3 is the contract.

// recOpts is a namespace that clients may subscribe to, with history of
// size publications kept for five minutes.
func recOpts(size int) gyre.ChannelOptions {
	return gyre.ChannelOptions{
		AllowSubscribeForClient: true,
		HistorySize:             size,
		HistoryTTL:              gyre.Duration(5 * time.Minute),
	}
}

// recNamespaces adds the namespaces the recovery tests use to cfg.
func recNamespaces(cfg *config.Config) {
	force := recOpts(100)
	force.ForceRecovery = true
	allow := recOpts(100)
	allow.AllowRecovery = true
	hist := recOpts(100)
	hist.AllowHistoryForSubscriber = true
	none := recOpts(100) // history, but recovery neither forced nor allowed
	small := recOpts(5)
	small.ForceRecovery = true
	cache := recOpts(10)
	cache.ForceRecovery = true
	cache.ForceRecoveryMode = "cache"
	ttl := recOpts(100) // items expire after 1s, the position stays
	ttl.ForceRecovery = true
	ttl.HistoryTTL = gyre.Duration(time.Second)
	meta := ttl // the position expires after 1s too
	meta.HistoryMetaTTL = gyre.Duration(time.Second)
	cfg.Channel.Namespaces = append(cfg.Channel.Namespaces,
		config.Namespace{Name: "rttl", ChannelOptions: ttl},
		config.Namespace{Name: "rmeta", ChannelOptions: meta},
		config.Namespace{Name: "rforce", ChannelOptions: force},
		config.Namespace{Name: "rallow", ChannelOptions: allow},
		config.Namespace{Name: "rhist", ChannelOptions: hist},
		config.Namespace{Name: "rnone", ChannelOptions: none},
		config.Namespace{Name: "rsmall", ChannelOptions: small},
		config.Namespace{Name: "rcache", ChannelOptions: cache},
	)
}

// recStream publishes to one channel through the HTTP API and remembers
// what it published at each offset.
type recStream struct {
	ts    *testServer
	ch    string
	k     int
	top   uint64
	epoch string
	data  map[uint64]string // offset → value of "k" in the data
}

func newRecStream(ts *testServer, ch string) *recStream {
	return &recStream{ts: ts, ch: ch, data: map[uint64]string{}}
}

// publish publishes n publications and checks that the stream gives them
// the next offsets in the same epoch. It returns the first and last offset.
func (s *recStream) publish(t *testing.T, n int) (first, last uint64) {
	t.Helper()
	for range n {
		s.k++
		k := fmt.Sprintf("%s/%d", s.ch, s.k)
		res := apiCall(t, s.ts, "publish", map[string]any{"channel": s.ch, "data": map[string]any{"k": k}})
		r, _ := res["result"].(map[string]any)
		off, _ := r["offset"].(float64)
		ep, _ := r["epoch"].(string)
		if ep == "" || (s.epoch != "" && ep != s.epoch) || uint64(off) != s.top+1 {
			t.Fatalf("publish #%d to %s: result %v, want offset %d in epoch %q", s.k, s.ch, r, s.top+1, s.epoch)
		}
		s.top, s.epoch = uint64(off), ep
		s.data[s.top] = k
		if first == 0 {
			first = s.top
		}
	}
	return first, s.top
}

// reset forgets the position, for a stream that restarted in a new epoch.
func (s *recStream) reset() { s.top, s.epoch = 0, "" }

// recSub is a centrifuge-go client (with a cutDialer) subscribed to one
// channel; every event goes to a buffered channel the test reads with a
// deadline.
type recSub struct {
	p            protoKind
	c            *centrifuge.Client
	d            *cutDialer
	sub          *centrifuge.Subscription
	pubs         chan centrifuge.PublicationEvent
	subscribed   chan centrifuge.SubscribedEvent
	unsubscribed chan centrifuge.UnsubscribedEvent
	last         uint64 // last offset received
}

// newRecSub connects a client of protocol p as user and subscribes it to ch
// with scfg, returning after the first subscribed event (also returned).
func newRecSub(t *testing.T, ts *testServer, p protoKind, user, ch string, scfg centrifuge.SubscriptionConfig) (*recSub, centrifuge.SubscribedEvent) {
	t.Helper()
	cfg, d := recConfig(centrifuge.Config{Token: userToken(t, user)})
	c := newClient(t, ts, p, cfg)
	connect(t, c)
	sub, err := c.NewSubscription(ch, scfg)
	if err != nil {
		t.Fatal(err)
	}
	rs := &recSub{
		p: p, c: c, d: d, sub: sub,
		pubs:         make(chan centrifuge.PublicationEvent, 1000),
		subscribed:   make(chan centrifuge.SubscribedEvent, 100),
		unsubscribed: make(chan centrifuge.UnsubscribedEvent, 100),
	}
	sub.OnPublication(feed[centrifuge.PublicationEvent](t, rs.pubs))
	sub.OnSubscribed(feed[centrifuge.SubscribedEvent](t, rs.subscribed))
	sub.OnUnsubscribed(feed[centrifuge.UnsubscribedEvent](t, rs.unsubscribed))
	if err := sub.Subscribe(); err != nil {
		t.Fatal(err)
	}
	ev := waitFor(t, rs.subscribed, string(p)+" subscribed to "+ch)
	if ev.WasRecovering || ev.Recovered {
		t.Fatalf("%s: first subscribe: %+v", p, ev)
	}
	if ev.StreamPosition != nil {
		rs.last = ev.StreamPosition.Offset
	}
	return rs, ev
}

// expectPubs receives publications from..to (inclusive), each exactly once
// and in order, with the data published at that offset.
func (rs *recSub) expectPubs(t *testing.T, st *recStream, from, to uint64) {
	t.Helper()
	for off := from; off <= to; off++ {
		e := waitFor(t, rs.pubs, fmt.Sprintf("%s publication %d", rs.p, off))
		if e.Offset != off {
			t.Fatalf("%s: got publication offset %d, want %d (previous %d)", rs.p, e.Offset, off, rs.last)
		}
		var d struct{ K string }
		if err := json.Unmarshal(e.Data, &d); err != nil || d.K != st.data[off] {
			t.Fatalf("%s: publication %d data %s, want k=%q", rs.p, off, e.Data, st.data[off])
		}
		rs.last = off
	}
}

// expectLive publishes one publication and checks it is the very next
// thing every client receives: nothing replayed twice, nothing extra sent.
func expectLive(t *testing.T, st *recStream, clients ...*recSub) {
	t.Helper()
	_, off := st.publish(t, 1)
	for _, rs := range clients {
		rs.expectPubs(t, st, off, off)
		if n := len(rs.pubs); n != 0 {
			t.Fatalf("%s: %d unexpected publications after the live one", rs.p, n)
		}
	}
}

// expectResubscribed waits for the subscribed event after a reconnect and
// checks was_recovering and recovered.
func (rs *recSub) expectResubscribed(t *testing.T, recovered bool) centrifuge.SubscribedEvent {
	t.Helper()
	ev := waitFor(t, rs.subscribed, string(rs.p)+" resubscribe")
	if !ev.WasRecovering || ev.Recovered != recovered || !ev.Recoverable || !ev.Positioned || ev.StreamPosition == nil {
		t.Fatalf("%s: resubscribed event %+v (position %+v), want was_recovering, recovered=%v, recoverable, positioned",
			rs.p, ev, ev.StreamPosition, recovered)
	}
	return ev
}

// recClients subscribes one client per protocol to ch.
func recClients(t *testing.T, ts *testServer, ch string, scfg centrifuge.SubscriptionConfig) []*recSub {
	t.Helper()
	var out []*recSub
	for _, p := range protocols {
		rs, ev := newRecSub(t, ts, p, "u-"+string(p), ch, scfg)
		if !ev.Recoverable || !ev.Positioned || ev.StreamPosition == nil || ev.StreamPosition.Epoch == "" {
			t.Fatalf("%s: subscribe to %s: %+v, want recoverable and positioned with an epoch", p, ch, ev)
		}
		out = append(out, rs)
	}
	return out
}

// cutAll cuts every client and waits until the server has seen them go.
func cutAll(t *testing.T, ts *testServer, ch string, clients []*recSub) {
	t.Helper()
	for _, rs := range clients {
		rs.d.cutAndHold(t)
	}
	waitChannelClients(t, ts, ch, 0)
}

// expectNotRecovered asserts every client resubscribed with recovered:false
// at the stream's current top (offset last), then receives live again.
func expectNotRecovered(t *testing.T, st *recStream, last uint64, clients ...*recSub) {
	t.Helper()
	for _, rs := range clients {
		ev := rs.expectResubscribed(t, false)
		if ev.StreamPosition.Offset != last || ev.StreamPosition.Epoch != st.epoch {
			t.Fatalf("%s: position %+v, want the top {%d %s}", rs.p, ev.StreamPosition, last, st.epoch)
		}
		rs.last = last
	}
	expectLive(t, st, clients...)
}

func releaseAll(clients []*recSub) {
	for _, rs := range clients {
		rs.d.release()
	}
}

// TestRecoverAfterCut: 50 publications made while the TCP connection is
// cut arrive after the automatic reconnect, in order, without gaps or
// duplicates, and the subscribed event says recovered — with
// force_recovery, with allow_recovery + recoverable:true, and with history
// access + recoverable:true.
func TestRecoverAfterCut(t *testing.T) {
	ts := startServer(t, recNamespaces)
	const N = 50
	for _, ns := range []string{"rforce", "rallow", "rhist"} {
		t.Run(ns, func(t *testing.T) {
			ch := ns + ":cut"
			clients := recClients(t, ts, ch, centrifuge.SubscriptionConfig{Recoverable: ns != "rforce"})
			st := newRecStream(ts, ch)
			first, last := st.publish(t, 3)
			for _, rs := range clients {
				rs.expectPubs(t, st, first, last)
			}
			for round := range 2 {
				cutAll(t, ts, ch, clients)
				before := st.top
				first, last := st.publish(t, N)
				releaseAll(clients)
				for _, rs := range clients {
					ev := rs.expectResubscribed(t, true)
					if ev.StreamPosition.Offset != before || ev.StreamPosition.Epoch != st.epoch {
						t.Fatalf("round %d %s: recovered position %+v, want the client's own {%d %s}", round, rs.p, ev.StreamPosition, before, st.epoch)
					}
					rs.expectPubs(t, st, first, last)
				}
				expectLive(t, st, clients...)
			}
		})
	}
}

// TestRecoverSkipHistory: a publication made with skip_history reaches
// connected subscribers with offset 0 and is not part of the stream, so it
// does not disturb positions and is never recovered.
func TestRecoverSkipHistory(t *testing.T) {
	ts := startServer(t, recNamespaces)
	const ch = "rforce:skip"
	clients := recClients(t, ts, ch, centrifuge.SubscriptionConfig{})
	st := newRecStream(ts, ch)
	skip := func() {
		t.Helper()
		res := apiCall(t, ts, "publish", map[string]any{"channel": ch, "data": map[string]any{"k": "skipped"}, "skip_history": true})
		if r, _ := res["result"].(map[string]any); r["offset"] != nil {
			t.Fatalf("skip_history publish result %v, want no offset", r)
		}
	}
	skip()
	for _, rs := range clients {
		e := waitFor(t, rs.pubs, "skip_history publication")
		if e.Offset != 0 || !bytes.Contains(e.Data, []byte("skipped")) {
			t.Fatalf("%s: skip_history publication offset %d data %s", rs.p, e.Offset, e.Data)
		}
	}
	expectLive(t, st, clients...)
	cutAll(t, ts, ch, clients)
	skip()
	first, last := st.publish(t, 2)
	releaseAll(clients)
	for _, rs := range clients {
		rs.expectResubscribed(t, true)
		rs.expectPubs(t, st, first, last)
	}
	expectLive(t, st, clients...)
}

// TestRecoverNotAllowed: recoverable:true in a namespace with history but
// neither allow_recovery nor history access gives a plain subscription.
func TestRecoverNotAllowed(t *testing.T) {
	ts := startServer(t, recNamespaces)
	for _, p := range protocols {
		_, ev := newRecSub(t, ts, p, "u", "rnone:x-"+string(p), centrifuge.SubscriptionConfig{Recoverable: true, Positioned: true})
		if ev.Recoverable || ev.Positioned {
			t.Fatalf("%s: subscribed %+v, want neither recoverable nor positioned", p, ev)
		}
	}
}

// restartServer stops ts and starts a new server on the same port with the
// same configuration. The memory engine keeps nothing, so every channel
// starts over in a new epoch.
func restartServer(t *testing.T, ts *testServer, mutate func(*config.Config)) *testServer {
	t.Helper()
	port := ts.srv.Addr().(*net.TCPAddr).Port
	ts.cancel()
	err := waitFor(t, ts.done, "server stop")
	ts.done <- err // the cleanup registered by startServer reads it again
	// Keep-alive connections to the old server are dead; a POST on one of
	// them would fail with EOF instead of reaching the new server.
	http.DefaultClient.CloseIdleConnections()
	return startServer(t, func(cfg *config.Config) {
		mutate(cfg)
		cfg.HTTPServer.Port = port
	})
}

// TestRecoverEpochChangeAfterRestart: the memory engine loses its streams
// when the server restarts; clients that come back ask to recover from the
// old epoch and are told recovered:false with the new epoch and top.
func TestRecoverEpochChangeAfterRestart(t *testing.T) {
	ts := startServer(t, recNamespaces)
	const ch = "rforce:restart"
	clients := recClients(t, ts, ch, centrifuge.SubscriptionConfig{})
	st := newRecStream(ts, ch)
	first, last := st.publish(t, 3)
	for _, rs := range clients {
		rs.expectPubs(t, st, first, last)
	}
	oldEpoch := st.epoch
	cutAll(t, ts, ch, clients)
	ts = restartServer(t, ts, recNamespaces)
	st.ts = ts
	st.reset()
	first, last = st.publish(t, 2)
	if first != 1 || st.epoch == oldEpoch {
		t.Fatalf("after restart the stream is at offset %d epoch %q, want a new epoch from offset 1 (old epoch %q)", first, st.epoch, oldEpoch)
	}
	releaseAll(clients)
	expectNotRecovered(t, st, last, clients...)
}

// TestRecoverAfterHistoryTTL: history_ttl drops the publications but
// keeps the position (history_meta_ttl is longer): a client that missed
// expired publications is told recovered:false in the same epoch.
func TestRecoverAfterHistoryTTL(t *testing.T) {
	ts := startServer(t, recNamespaces)
	const ch = "rttl:expire"
	clients := recClients(t, ts, ch, centrifuge.SubscriptionConfig{})
	st := newRecStream(ts, ch)
	cutAll(t, ts, ch, clients)
	_, last := st.publish(t, 3)
	// Poll (this does not extend the items' life) until they are gone.
	deadline := time.Now().Add(waitTimeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		h := recHistoryAPI(t, ts, map[string]any{"channel": ch, "limit": -1})
		if h.Offset != last || h.Epoch != st.epoch {
			t.Fatalf("history while items expire: {%d %s}, want {%d %s}", h.Offset, h.Epoch, last, st.epoch)
		}
		if len(h.Publications) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("publications did not expire after history_ttl 1s")
		}
		<-tick.C
	}
	releaseAll(clients)
	expectNotRecovered(t, st, last, clients...)
}

// TestRecoverEpochChangeAfterMetaTTL: when history_meta_ttl passes without
// a publish or history call, the stream is forgotten: the next publish
// starts a new epoch at offset 1 and a returning client is told
// recovered:false with the new position. This test has to let 1s of real
// time pass.
func TestRecoverEpochChangeAfterMetaTTL(t *testing.T) {
	ts := startServer(t, recNamespaces)
	const ch = "rmeta:expire"
	clients := recClients(t, ts, ch, centrifuge.SubscriptionConfig{})
	st := newRecStream(ts, ch)
	first, last := st.publish(t, 2)
	for _, rs := range clients {
		rs.expectPubs(t, st, first, last)
	}
	cutAll(t, ts, ch, clients)
	oldEpoch := st.epoch
	// Nothing may touch the stream while its meta ages: just wait.
	<-time.After(1500 * time.Millisecond)
	st.reset()
	first, last = st.publish(t, 1)
	if first != 1 || st.epoch == oldEpoch {
		t.Fatalf("after history_meta_ttl the publish got {%d %s}, want offset 1 in a new epoch (old %s)", first, st.epoch, oldEpoch)
	}
	releaseAll(clients)
	expectNotRecovered(t, st, last, clients...)
}

// TestRecoverHistoryOverflow: with history_size 5, 20 publications made
// while disconnected cannot be recovered: the client is told
// recovered:false with the current top and then receives new publications
// live. None of the 20 is delivered.
func TestRecoverHistoryOverflow(t *testing.T) {
	ts := startServer(t, recNamespaces)
	const ch = "rsmall:overflow"
	clients := recClients(t, ts, ch, centrifuge.SubscriptionConfig{})
	st := newRecStream(ts, ch)
	first, last := st.publish(t, 2)
	for _, rs := range clients {
		rs.expectPubs(t, st, first, last)
	}
	cutAll(t, ts, ch, clients)
	_, last = st.publish(t, 20)
	releaseAll(clients)
	expectNotRecovered(t, st, last, clients...)
	// The position the client now holds is recoverable again.
	cutAll(t, ts, ch, clients)
	first, last = st.publish(t, 3)
	releaseAll(clients)
	for _, rs := range clients {
		rs.expectResubscribed(t, true)
		rs.expectPubs(t, st, first, last)
	}
}

// TestRecoverMaxPublicationLimit: client.recovery_max_publication_limit
// bounds how many publications one recovery may return: a gap of exactly
// the limit is recovered, a gap of limit+1 is not.
func TestRecoverMaxPublicationLimit(t *testing.T) {
	const limit = 10
	mutate := func(cfg *config.Config) {
		recNamespaces(cfg)
		cfg.Client.RecoveryMaxPublicationLimit = limit
	}
	ts := startServer(t, mutate)
	const ch = "rforce:limit"
	clients := recClients(t, ts, ch, centrifuge.SubscriptionConfig{})
	st := newRecStream(ts, ch)

	cutAll(t, ts, ch, clients)
	first, last := st.publish(t, limit)
	releaseAll(clients)
	for _, rs := range clients {
		rs.expectResubscribed(t, true)
		rs.expectPubs(t, st, first, last)
	}

	cutAll(t, ts, ch, clients)
	_, last = st.publish(t, limit+1)
	releaseAll(clients)
	expectNotRecovered(t, st, last, clients...)
}

// TestRecoverAfterHistoryRemove: API history_remove keeps the epoch and the
// top offset. A client that missed publications removed with it is told
// recovered:false with the unchanged epoch and the top; a client that
// missed nothing is still recovered.
func TestRecoverAfterHistoryRemove(t *testing.T) {
	ts := startServer(t, recNamespaces)
	const ch = "rforce:removed"
	clients := recClients(t, ts, ch, centrifuge.SubscriptionConfig{})
	st := newRecStream(ts, ch)
	first, last := st.publish(t, 3)
	for _, rs := range clients {
		rs.expectPubs(t, st, first, last)
	}

	cutAll(t, ts, ch, clients)
	_, last = st.publish(t, 5)
	apiCall(t, ts, "history_remove", map[string]any{"channel": ch})
	top := recHistoryAPI(t, ts, map[string]any{"channel": ch, "limit": -1})
	if len(top.Publications) != 0 || top.Offset != last || top.Epoch != st.epoch {
		t.Fatalf("history after history_remove: %+v, want no publications at {%d %s}", top, last, st.epoch)
	}
	releaseAll(clients)
	expectNotRecovered(t, st, last, clients...)

	// Nothing missed: an empty history at the client's own position
	// recovers.
	apiCall(t, ts, "history_remove", map[string]any{"channel": ch})
	cutAll(t, ts, ch, clients)
	releaseAll(clients)
	for _, rs := range clients {
		ev := rs.expectResubscribed(t, true)
		if ev.StreamPosition.Offset != st.top || ev.StreamPosition.Epoch != st.epoch {
			t.Fatalf("%s: position %+v, want {%d %s}", rs.p, ev.StreamPosition, st.top, st.epoch)
		}
	}
	expectLive(t, st, clients...)
}

// TestRecoverServerSideSubscription: a server-side subscription from the
// token's channels in a force_recovery namespace is recovered through
// ConnectRequest.subs when the client reconnects.
func TestRecoverServerSideSubscription(t *testing.T) {
	ts := startServer(t, recNamespaces)
	for _, p := range protocols {
		t.Run(string(p), func(t *testing.T) {
			ch := "rforce:server-side-" + string(p)
			tok := token(t, map[string]any{"sub": "ss", "exp": time.Now().Add(time.Hour).Unix(), "channels": []string{ch}})
			cfg, d := recConfig(centrifuge.Config{Token: tok})
			c := newClient(t, ts, p, cfg)
			subscribed := make(chan centrifuge.ServerSubscribedEvent, 100)
			pubs := make(chan centrifuge.ServerPublicationEvent, 1000)
			c.OnSubscribed(feed[centrifuge.ServerSubscribedEvent](t, subscribed))
			c.OnPublication(feed[centrifuge.ServerPublicationEvent](t, pubs))
			connect(t, c)
			ev := waitFor(t, subscribed, "server-side subscribed")
			if ev.Channel != ch || !ev.Recoverable || !ev.Positioned || ev.WasRecovering || ev.Recovered || ev.StreamPosition == nil {
				t.Fatalf("server-side subscribed %+v", ev)
			}
			st := newRecStream(ts, ch)
			expect := func(from, to uint64) {
				t.Helper()
				for off := from; off <= to; off++ {
					e := waitFor(t, pubs, fmt.Sprintf("server-side publication %d", off))
					var dd struct{ K string }
					_ = json.Unmarshal(e.Data, &dd)
					if e.Channel != ch || e.Offset != off || dd.K != st.data[off] {
						t.Fatalf("server-side publication %s offset %d data %s, want offset %d k=%q", e.Channel, e.Offset, e.Data, off, st.data[off])
					}
				}
			}
			first, last := st.publish(t, 2)
			expect(first, last)
			for round := range 2 {
				d.cutAndHold(t)
				waitChannelClients(t, ts, ch, 0)
				first, last = st.publish(t, 7)
				d.release()
				ev := waitFor(t, subscribed, "server-side resubscribe")
				if ev.Channel != ch || !ev.WasRecovering || !ev.Recovered || ev.StreamPosition == nil || ev.StreamPosition.Epoch != st.epoch {
					t.Fatalf("round %d: server-side resubscribed %+v (position %+v), want recovered in epoch %s", round, ev, ev.StreamPosition, st.epoch)
				}
				expect(first, last)
				_, live := st.publish(t, 1)
				expect(live, live)
				if len(pubs) != 0 {
					t.Fatalf("round %d: %d extra server-side publications", round, len(pubs))
				}
			}
			if d.numDials() != 3 {
				t.Fatalf("client dialed %d times, want 3", d.numDials())
			}
		})
	}
}

// TestRecoverCacheMode: with force_recovery_mode "cache" only the latest
// publication comes on recovery, with recovered:true; nothing comes when
// the client already has it.
func TestRecoverCacheMode(t *testing.T) {
	ts := startServer(t, recNamespaces)
	const ch = "rcache:latest"
	clients := recClients(t, ts, ch, centrifuge.SubscriptionConfig{})
	st := newRecStream(ts, ch)
	first, last := st.publish(t, 2)
	for _, rs := range clients {
		rs.expectPubs(t, st, first, last)
	}
	cutAll(t, ts, ch, clients)
	_, last = st.publish(t, 5)
	releaseAll(clients)
	for _, rs := range clients {
		ev := rs.expectResubscribed(t, true)
		if ev.StreamPosition.Epoch != st.epoch {
			t.Fatalf("%s: cache recovery position %+v, want epoch %s", rs.p, ev.StreamPosition, st.epoch)
		}
		rs.expectPubs(t, st, last, last)
	}
	expectLive(t, st, clients...)
	// The client has the latest publication: recovery sends nothing.
	cutAll(t, ts, ch, clients)
	releaseAll(clients)
	for _, rs := range clients {
		rs.expectResubscribed(t, true)
	}
	expectLive(t, st, clients...)
}

// recHistoryResult is the API history result.
type recHistoryResult struct {
	Publications []recAPIPub `json:"publications"`
	Epoch        string      `json:"epoch"`
	Offset       uint64      `json:"offset"`
}

// recAPIPub is a publication in an API history result.
type recAPIPub struct {
	Data   json.RawMessage `json:"data"`
	Offset uint64          `json:"offset"`
}
