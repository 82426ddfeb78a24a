package multinode

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gyrehq/gyre/internal/testservice"
)

// startNodes starts one gyre process per name, all with cfg.
func startNodes(t *testing.T, cfg map[string]any, names ...string) []*gyreNode {
	t.Helper()
	nodes := make([]*gyreNode, len(names))
	for i, name := range names {
		nodes[i] = startNode(t, name, cfg)
	}
	return nodes
}

// TestRedisCrossNode: three nodes on one Redis. Clients on A, B and C
// subscribe to one channel; the client on B publishes (client publish)
// while the HTTP API of C publishes too. Every client, whatever its node,
// receives all publications once, in offset order, with contiguous
// offsets, in the same order as the others; each publisher's messages keep
// their order. Presence (client and API, from every node) lists the
// clients of every node; join and leave cross nodes.
func TestRedisCrossNode(t *testing.T) {
	needCluster(t)
	rds := testservice.StartRedis(t)
	nodes := startNodes(t, config(redisEngine(rds.Addr(), uniquePrefix(t)), true), "A", "B", "C")
	crossNode(t, nodes, "chat:room", true)
}

// TestNATSCrossNode is TestRedisCrossNode over the NATS broker with Redis
// presence: no history, so no offsets; delivery across nodes, each
// publisher's order, presence and join/leave.
func TestNATSCrossNode(t *testing.T) {
	needCluster(t)
	nats := testservice.StartNATS(t)
	rds := testservice.StartRedis(t)
	nodes := startNodes(t, config(natsBroker(nats.URL(), rds.Addr(), uniquePrefix(t)), false), "A", "B", "C")
	crossNode(t, nodes, "live:room", false)
}

func crossNode(t *testing.T, nodes []*gyreNode, ch string, positioned bool) {
	A, B, C := nodes[0], nodes[1], nodes[2]
	a := newClient(t, "a@A", "alice", false, A.addr)
	b := newClient(t, "b@B", "bob", true, B.addr)
	c := newClient(t, "c@C", "carol", false, C.addr)
	for _, cl := range []*tclient{a, b, c} {
		cl.connect(t)
	}
	sa := a.subscribe(t, ch, positioned)
	sb := b.subscribe(t, ch, positioned)
	sc := c.subscribe(t, ch, positioned)

	// Joins of B's and C's clients reach A; C's reaches B.
	waitJoins(t, sa, b.clientID(), c.clientID())
	waitJoins(t, sb, c.clientID())

	// Presence from every node, by client and by API, lists all three.
	all := []string{a.clientID(), b.clientID(), c.clientID()}
	checkPresence(t, nodes, []*stream{sa, sb, sc}, ch, all)

	// B's client and C's API publish concurrently.
	const N = 50
	var wg sync.WaitGroup
	errs := make(chan error, 2*N)
	wg.Go(func() {
		for n := 1; n <= N; n++ {
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			_, err := sb.sub.Publish(ctx, msgData("clientB", n))
			cancel()
			if err != nil {
				errs <- fmt.Errorf("client publish %d on B: %w", n, err)
				return
			}
		}
	})
	wg.Go(func() {
		for n := 1; n <= N; n++ {
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			_, err := C.publish(ctx, ch, json.RawMessage(msgData("apiC", n)))
			cancel()
			if err != nil {
				errs <- fmt.Errorf("API publish %d on C: %w", n, err)
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, s := range []*stream{sa, sb, sc} {
		s.waitCount(t, 2*N)
	}
	var first []received
	for _, s := range []*stream{sa, sb, sc} {
		s.check(t)
		got, _, _, _ := s.snapshot()
		if len(got) != 2*N {
			t.Errorf("%s received %d publications, want %d", s.name, len(got), 2*N)
		}
		seq := map[string][]int{}
		for i, r := range got {
			seq[r.msg.Src] = append(seq[r.msg.Src], r.msg.N)
			if positioned && r.offset != uint64(i+1) {
				t.Errorf("%s: publication #%d has offset %d, want %d", s.name, i+1, r.offset, i+1)
			}
		}
		for _, src := range []string{"clientB", "apiC"} {
			if want := seqTo(N); !slices.Equal(seq[src], want) {
				t.Errorf("%s: from %s got %v, want 1..%d in order", s.name, src, seq[src], N)
			}
		}
		if positioned {
			// One stream: every node delivers the same order.
			if first == nil {
				first = got
			} else if !slices.Equal(got, first) {
				t.Errorf("%s received another order than %s", s.name, sa.name)
			}
		}
	}
	if positioned {
		if top := B.streamTop(t, ch); top.Offset != 2*N {
			t.Errorf("stream top through B's API = %+v, want offset %d", top, 2*N)
		}
	}

	// Leave across nodes: C's client unsubscribes, B's disconnects.
	if err := sc.sub.Unsubscribe(); err != nil {
		t.Fatal(err)
	}
	waitLeaves(t, sa, c.clientID())
	waitLeaves(t, sb, c.clientID())
	checkPresence(t, nodes, []*stream{sa, sb}, ch, all[:2])
	if err := b.c.Disconnect(); err != nil {
		t.Fatal(err)
	}
	waitLeaves(t, sa, b.clientID())
	checkPresence(t, nodes, []*stream{sa}, ch, all[:1])
}

func seqTo(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i + 1
	}
	return s
}

// waitJoins waits until s has seen join events of every client in ids.
func waitJoins(t *testing.T, s *stream, ids ...string) {
	t.Helper()
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	for len(want) > 0 {
		e := waitFor(t, s.joins, fmt.Sprintf("%s: join of %v", s.name, want))
		delete(want, e.Client)
	}
}

// waitLeaves waits until s has seen leave events of every client in ids.
func waitLeaves(t *testing.T, s *stream, ids ...string) {
	t.Helper()
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	for len(want) > 0 {
		e := waitFor(t, s.leaves, fmt.Sprintf("%s: leave of %v", s.name, want))
		delete(want, e.Client)
	}
}

// checkPresence waits until the API `presence` of every node and the
// client presence of every stream report exactly the clients in want.
func checkPresence(t *testing.T, nodes []*gyreNode, streams []*stream, ch string, want []string) {
	t.Helper()
	want = slices.Sorted(slices.Values(want))
	for _, n := range nodes {
		eventually(t, waitTimeout, "API presence on node "+n.name, func() (bool, string) {
			// Right after a Redis restart a node may still be reconnecting
			// (API error 100): that is a reason to retry, not to fail.
			ids, err := n.presenceClients(ch)
			if err != nil {
				return false, err.Error()
			}
			got := slices.Sorted(slices.Values(ids))
			return slices.Equal(got, want), fmt.Sprintf("got %v, want %v", got, want)
		})
	}
	for _, s := range streams {
		eventually(t, waitTimeout, "client presence of "+s.name, func() (bool, string) {
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			defer cancel()
			res, err := s.sub.Presence(ctx)
			if err != nil {
				return false, err.Error()
			}
			var got []string
			for id, info := range res.Clients {
				if info.Client != id {
					return false, fmt.Sprintf("entry %s names client %s", id, info.Client)
				}
				got = append(got, id)
			}
			slices.Sort(got)
			return slices.Equal(got, want), fmt.Sprintf("got %v, want %v", got, want)
		})
	}
}

// TestReconnectToAnotherNode: clients on A lose their node while B's API
// keeps publishing, reconnect to B and recover exactly what they missed:
// x's TCP connection is cut while A stays up, y's node is killed with
// SIGKILL. Both are held away until at least 30 publications were made.
func TestReconnectToAnotherNode(t *testing.T) {
	needCluster(t)
	rds := testservice.StartRedis(t)
	nodes := startNodes(t, config(redisEngine(rds.Addr(), uniquePrefix(t)), true), "A", "B")
	A, B := nodes[0], nodes[1]
	const ch = "chat:failover"

	x := newClient(t, "x@A", "xavier", false, A.addr, B.addr)
	y := newClient(t, "y@A", "yvonne", true, A.addr, B.addr)
	x.connect(t)
	y.connect(t)
	for _, cl := range []*tclient{x, y} {
		if got := cl.d.lastAddr(); got != A.addr {
			t.Fatalf("%s connected to %s, want A (%s)", cl.name, got, A.addr)
		}
	}
	sx := x.subscribe(t, ch, true)
	sy := y.subscribe(t, ch, true)

	pub := startPublisher(t, B, ch, "apiB", 3*time.Millisecond)
	pub.waitPublished(t, 10)
	sx.waitPosition(t, pub.lastOK())
	sy.waitPosition(t, pub.lastOK())

	// x: cut the TCP connection to A (A stays up) and move x to B.
	x.d.hold()
	x.d.prefer(B.addr, A.addr)
	x.d.cut(t)
	waitFor(t, x.connecting, "x reconnecting after the cut")
	pub.waitPublished(t, 30)
	x.d.release()
	expectRecovered(t, sx, "x after the cut")
	if got := x.d.lastAddr(); got != B.addr {
		t.Errorf("x reconnected to %s, want B (%s)", got, B.addr)
	}
	// A removed x's old session from presence; B added the new one.
	checkPresence(t, nodes, []*stream{sx, sy}, ch, []string{x.clientID(), y.clientID()})

	// y: kill node A; y dials A first, which refuses now, then B.
	y.d.hold()
	A.kill()
	waitFor(t, y.connecting, "y reconnecting after A was killed")
	pub.waitPublished(t, 30)
	y.d.release()
	expectRecovered(t, sy, "y after SIGKILL of A")
	if got := y.d.lastAddr(); got != B.addr {
		t.Errorf("y reconnected to %s, want B (%s)", got, B.addr)
	}

	pub.waitPublished(t, 10)
	pub.stop()
	ok, failed := pub.results()
	if len(failed) > 0 {
		t.Errorf("%d publishes through B failed, first: %s", len(failed), failed[0])
	}
	top := B.streamTop(t, ch)
	if last := pub.lastOK(); top != last {
		t.Errorf("stream top %+v, last acknowledged publish %+v", top, last)
	}
	for _, s := range []*stream{sx, sy} {
		s.waitPosition(t, top)
		s.check(t)
		checkNothingDropped(t, s, ok, false)
	}
	t.Logf("%d publications; x and y each recovered once on B", len(ok))
}

// expectRecovered waits for the next subscribed event of s and requires a
// successful recovery.
func expectRecovered(t *testing.T, s *stream, what string) {
	t.Helper()
	ev := waitFor(t, s.subscribed, what+": subscribed")
	if !ev.WasRecovering || !ev.Recovered {
		_, _, errs, events := s.snapshot()
		t.Fatalf("%s: subscribed %+v (position %+v), want wasRecovering and recovered\nerrors %v\nevents %v",
			what, ev, ev.StreamPosition, errs, events)
	}
}

// checkNothingDropped requires that every acknowledged publish reached s,
// except those an explicit signal covers: a non-recovered resubscribe
// that left their epoch at or before them, or entered theirs after them.
// With allowJumps false there must be no such signal at all.
func checkNothingDropped(t *testing.T, s *stream, ok []pubResult, allowJumps bool) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !allowJumps && len(s.jumps) > 0 {
		t.Errorf("%s: unexpected non-recovered resubscribes %+v", s.name, s.jumps)
	}
	missing := 0
	var firstMissing pubResult
	for _, r := range ok {
		if s.gotSet[r] {
			continue
		}
		covered := false
		for _, j := range s.jumps {
			if (r.Epoch == j.fromEpoch && r.Offset >= j.fromNext) || (r.Epoch == j.toEpoch && r.Offset <= j.toOffset) {
				covered = true
				break
			}
		}
		if !covered {
			if missing == 0 {
				firstMissing = r
			}
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%s: %d acknowledged publications silently lost (first: offset %d epoch %s); jumps %+v; events %v",
			s.name, missing, firstMissing.Offset, firstMissing.Epoch, s.jumps, s.events)
	}
}

// TestRedisRestartUnderLoad: B's API publishes continuously while clients
// on A and C are subscribed with recovery; the Redis process is killed
// (SIGKILL) and started again, twice. Publishes during an outage may fail
// and count as not published. Nodes reconnect, and for every client
// nothing is lost silently: each acknowledged publication arrives exactly
// once and in order, or the client was told through a resubscribe with
// wasRecovering && !recovered (after an unsubscribe 2500 from the node's
// delivery-gap handling). In the end every client follows the stream to
// its last offset.
//
//   - "volatile": Redis without persistence loses every stream, the next
//     publish starts a new epoch: clients must get the explicit signal.
//   - "aof": Redis with appendfsync always keeps the stream: the epoch
//     stays and every client must recover everything (recovered: true).
func TestRedisRestartUnderLoad(t *testing.T) {
	needCluster(t)
	t.Run("volatile", func(t *testing.T) { redisRestart(t, false) })
	t.Run("aof", func(t *testing.T) {
		redisRestart(t, true, "--appendonly", "yes", "--appendfsync", "always")
	})
}

func redisRestart(t *testing.T, persistent bool, redisArgs ...string) {
	rds := testservice.StartRedis(t, redisArgs...)
	if persistent {
		if got, err := testservice.RedisDo(rds.Addr(), "CONFIG", "GET", "appendonly"); err != nil || got != "appendonly\nyes" {
			t.Fatalf("redis appendonly = %q, %v", got, err)
		}
	}
	nodes := startNodes(t, config(redisEngine(rds.Addr(), uniquePrefix(t)), true), "A", "B", "C")
	A, B, C := nodes[0], nodes[1], nodes[2]
	const ch = "chat:restart"

	clients := []*tclient{
		newClient(t, "p@A", "paul", false, A.addr),
		newClient(t, "q@A", "quinn", true, A.addr),
		newClient(t, "r@C", "rita", false, C.addr),
		newClient(t, "s@C", "sam", true, C.addr),
	}
	var streams []*stream
	for _, cl := range clients {
		cl.connect(t)
		streams = append(streams, cl.subscribe(t, ch, true))
	}

	pub := startPublisher(t, B, ch, "apiB", 3*time.Millisecond)
	pub.waitPublished(t, 20)
	before := pub.lastOK()
	for _, s := range streams {
		s.waitPosition(t, before)
	}

	start := time.Now()
	const restarts = 2
	for i := range restarts {
		_, failedBefore := pub.results()
		rds.Stop()
		eventually(t, waitTimeout, fmt.Sprintf("20 publishes to fail while Redis is down (restart %d)", i+1), func() (bool, string) {
			_, failed := pub.results()
			return len(failed) >= len(failedBefore)+20, fmt.Sprintf("%d failures", len(failed)-len(failedBefore))
		})
		rds.Restart(testservice.RedisPing(rds))
		pub.waitPublished(t, 50)
	}
	// A last restart with a quiet channel: the publisher stops during the
	// outage and one publication follows the restart. The nodes' PUB/SUB
	// connections may still be reconnecting when it is made; then only
	// the delivery-gap report (not a later publication revealing the gap)
	// brings it to the clients in time.
	rds.Stop()
	pub.stop()
	rds.Restart(testservice.RedisPing(rds))
	var last pubResult
	eventually(t, waitTimeout, "a publish through B after the last restart", func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		r, err := B.publish(ctx, ch, json.RawMessage(msgData("apiB-last", 1)))
		if err != nil {
			return false, err.Error()
		}
		last = r
		return true, ""
	})
	elapsed := time.Since(start)

	ok, failed := pub.results()
	ok = append(ok, last)
	top := B.streamTop(t, ch)
	if top != last {
		t.Errorf("stream top %+v, last acknowledged publish %+v", top, last)
	}
	if persistent && top.Epoch != before.Epoch {
		t.Errorf("epoch changed from %s to %s although Redis persisted the stream (AOF)", before.Epoch, top.Epoch)
	}
	if !persistent && top.Epoch == before.Epoch {
		t.Errorf("epoch %s survived restarts of a Redis without persistence", top.Epoch)
	}
	for _, s := range streams {
		s.waitPosition(t, top)
		s.check(t)
		checkNothingDropped(t, s, ok, !persistent)
		s.mu.Lock()
		t.Logf("%s: %d publications, %d non-recovered resubscribes, %d recovered, unsubscribe codes %v",
			s.name, len(s.got), len(s.jumps), s.recovered, s.unsubCodes)
		s.mu.Unlock()
	}
	// Every client resubscribed after the last restart, so presence (lost
	// with a volatile Redis) lists all of them again, on every node.
	var ids []string
	for _, cl := range clients {
		ids = append(ids, cl.clientID())
	}
	checkPresence(t, nodes, streams, ch, ids)
	t.Logf("%d restarts in %v: %d publishes acknowledged, %d failed; epoch %s -> %s, top %d",
		restarts+1, elapsed.Round(time.Millisecond), len(ok), len(failed), before.Epoch, top.Epoch, top.Offset)
}

// TestSIGTERMMovesClients: SIGTERM on node A; A exits with status 0, its
// clients are told 3001 (shutdown) and reconnect to B, where they recover
// what was published (through C's API) in between.
func TestSIGTERMMovesClients(t *testing.T) {
	needCluster(t)
	rds := testservice.StartRedis(t)
	nodes := startNodes(t, config(redisEngine(rds.Addr(), uniquePrefix(t)), true), "A", "B", "C")
	A, B, C := nodes[0], nodes[1], nodes[2]
	const ch = "chat:shutdown"

	u := newClient(t, "u@A", "ursula", false, A.addr, B.addr)
	v := newClient(t, "v@A", "victor", true, A.addr, B.addr)
	w := newClient(t, "w@C", "wendy", false, C.addr)
	var streams []*stream
	for _, cl := range []*tclient{u, v, w} {
		cl.connect(t)
		streams = append(streams, cl.subscribe(t, ch, true))
	}
	pub := startPublisher(t, C, ch, "apiC", 3*time.Millisecond)
	pub.waitPublished(t, 10)

	if err := A.terminate(t); err != nil {
		t.Errorf("node A exited with %v after SIGTERM, want status 0", err)
	}
	for i, cl := range []*tclient{u, v} {
		if e := waitFor(t, cl.connecting, cl.name+" reconnecting"); e.Code != 3001 {
			t.Errorf("%s: connecting with code %d (%s), want 3001 shutdown", cl.name, e.Code, e.Reason)
		}
		expectRecovered(t, streams[i], cl.name+" after A shut down")
		if got := cl.d.lastAddr(); got != B.addr {
			t.Errorf("%s reconnected to %s, want B (%s)", cl.name, got, B.addr)
		}
	}
	pub.waitPublished(t, 10)
	pub.stop()
	ok, failed := pub.results()
	if len(failed) > 0 {
		t.Errorf("%d publishes through C failed, first: %s", len(failed), failed[0])
	}
	top := C.streamTop(t, ch)
	for _, s := range streams {
		s.waitPosition(t, top)
		s.check(t)
		checkNothingDropped(t, s, ok, false)
	}
	// B's presence now lists the moved clients, and not A's old sessions
	// (A removed them on shutdown).
	checkPresence(t, []*gyreNode{B, C}, streams, ch, []string{u.clientID(), v.clientID(), w.clientID()})
}
