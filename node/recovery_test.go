package node

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/gyrehq/gyre"
)

// Unit tests of positioning and recovery (PROTOCOL.md §3). Publications are
// handed to the node the way a broker does, through brokerHandler, so a
// test can deliver a skipped offset, a duplicate or a foreign epoch that a
// real stream never produces.

var recProtocols = []protocol.Type{protocol.TypeJSON, protocol.TypeProtobuf}

// recCursor reads a fake transport's replies one by one.
type recCursor struct {
	tr   *fakeTransport
	seen int
}

func (c *recCursor) next(t *testing.T) *protocol.Reply {
	t.Helper()
	rs := c.tr.waitReplies(t, c.seen+1)
	r := rs[c.seen]
	c.seen++
	return r
}

// expectPub reads the next reply and checks it is the publication push at
// offset off in channel ch.
func (c *recCursor) expectPub(t *testing.T, ch string, off uint64) {
	t.Helper()
	r := c.next(t)
	if r.Push == nil || r.Push.Channel != ch || r.Push.Pub == nil || r.Push.Pub.Offset != off {
		t.Fatalf("got %v, want publication %d in %s", r, off, ch)
	}
	if want := fmt.Sprintf(`{"n":%d}`, off); string(r.Push.Pub.Data) != want {
		t.Fatalf("publication %d data %s, want %s", off, r.Push.Pub.Data, want)
	}
}

// expectUnsubscribe reads the next reply and checks it is the unsubscribe
// push with code in channel ch.
func (c *recCursor) expectUnsubscribe(t *testing.T, ch string, code uint32) {
	t.Helper()
	r := c.next(t)
	if r.Push == nil || r.Push.Channel != ch || r.Push.Unsubscribe == nil || r.Push.Unsubscribe.Code != code {
		t.Fatalf("got %v, want unsubscribe %d in %s", r, code, ch)
	}
}

// recSend sends one command and returns its reply (after skipping nothing:
// the command's reply must be the next reply).
func recSend(t *testing.T, s *Session, c *recCursor, cmd *protocol.Command) *protocol.Reply {
	t.Helper()
	if !s.HandleFrame(encodeCommands(t, c.tr.proto, cmd)) {
		t.Fatal("session closed")
	}
	r := c.next(t)
	if r.Id != cmd.Id {
		t.Fatalf("got %v, want the reply to command %d", r, cmd.Id)
	}
	return r
}

// recPub builds a publication as the broker would deliver it.
func recPub(off uint64) *gyre.Publication {
	return &gyre.Publication{Offset: off, Data: fmt.Appendf(nil, `{"n":%d}`, off)}
}

// recPublish publishes n publications with data {"n":offset} through the
// node and returns the top.
func recPublish(t *testing.T, n *Node, ch string, count int) gyre.StreamPosition {
	t.Helper()
	var sp gyre.StreamPosition
	for range count {
		_, top, err := n.broker.History(context.Background(), ch, gyre.HistoryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sp, err = n.Publish(context.Background(), PublishRequest{Channel: ch, Data: fmt.Appendf(nil, `{"n":%d}`, top.Offset+1)})
		if err != nil {
			t.Fatal(err)
		}
	}
	return sp
}

func (s *Session) recSubscribed(ch string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.subs[ch]
	return ok
}

// TestPositionGapClientSide: a positioned client-side subscription gets
// publications in order, drops duplicates (offset ≤ last) silently and is
// unsubscribed with push 2500 "insufficient state" on a skipped offset.
func TestPositionGapClientSide(t *testing.T) {
	for _, p := range recProtocols {
		t.Run(string(p), func(t *testing.T) {
			n := newTestNode(t, nil)
			s, tr := connectSession(t, n, p)
			c := &recCursor{tr: tr, seen: 1}
			const ch = "room"
			top := recPublish(t, n, ch, 2)
			r := recSend(t, s, c, &protocol.Command{Id: 2, Subscribe: &protocol.SubscribeRequest{Channel: ch, Positioned: true}})
			res := r.Subscribe
			if res == nil || !res.Positioned || res.Recoverable || res.Offset != 2 || res.Epoch != top.Epoch {
				t.Fatalf("subscribe result %v, want positioned at {2 %s}", res, top.Epoch)
			}
			h := brokerHandler{n}
			deliver := func(off uint64, epoch string) {
				t.Helper()
				if err := h.HandlePublication(ch, recPub(off), gyre.StreamPosition{Offset: off, Epoch: epoch}); err != nil {
					t.Fatal(err)
				}
			}
			deliver(3, top.Epoch)
			c.expectPub(t, ch, 3)
			deliver(3, top.Epoch) // duplicate
			deliver(1, top.Epoch) // older
			deliver(4, top.Epoch)
			c.expectPub(t, ch, 4) // the duplicates were dropped
			deliver(6, top.Epoch) // 5 is missing
			c.expectUnsubscribe(t, ch, 2500)
			if s.recSubscribed(ch) {
				t.Fatal("still subscribed after insufficient state")
			}
			// The client may subscribe again (as the SDK does on 2500).
			r = recSend(t, s, c, &protocol.Command{Id: 3, Subscribe: &protocol.SubscribeRequest{Channel: ch, Positioned: true}})
			if r.Subscribe == nil || !r.Subscribe.Positioned {
				t.Fatalf("resubscribe: %v", r)
			}
		})
	}
}

// TestPositionEpochChange: a publication from another epoch means the
// stream was lost: unsubscribe push 2500.
func TestPositionEpochChange(t *testing.T) {
	for _, p := range recProtocols {
		t.Run(string(p), func(t *testing.T) {
			n := newTestNode(t, nil)
			s, tr := connectSession(t, n, p)
			c := &recCursor{tr: tr, seen: 1}
			const ch = "epoch"
			top := recPublish(t, n, ch, 1)
			recSend(t, s, c, &protocol.Command{Id: 2, Subscribe: &protocol.SubscribeRequest{Channel: ch, Positioned: true}})
			h := brokerHandler{n}
			if err := h.HandlePublication(ch, recPub(2), gyre.StreamPosition{Offset: 2, Epoch: top.Epoch + "x"}); err != nil {
				t.Fatal(err)
			}
			c.expectUnsubscribe(t, ch, 2500)
			if s.recSubscribed(ch) {
				t.Fatal("still subscribed after an epoch change")
			}
		})
	}
}

// recVerifier accepts any connection token as user "u" with server-side
// channels.
type recVerifier struct{ channels []string }

func (v recVerifier) VerifyConnectToken(context.Context, string) (gyre.ConnectToken, error) {
	return gyre.ConnectToken{UserID: "u", Channels: v.channels}, nil
}

func (v recVerifier) VerifySubscribeToken(context.Context, string) (gyre.SubscribeToken, error) {
	return gyre.SubscribeToken{}, gyre.ErrInvalidToken
}

func recPositionedNode(t *testing.T, channels ...string) *Node {
	return newTestNode(t, func(c *Config) {
		c.Client.Insecure = false
		c.TokenVerifier = recVerifier{channels: channels}
		c.Channels.Namespaces = map[string]gyre.ChannelOptions{
			"pos": {ForcePositioning: true, HistorySize: 10, HistoryTTL: gyre.Duration(time.Minute)},
			"rec": {ForceRecovery: true, HistorySize: 10, HistoryTTL: gyre.Duration(time.Minute), AllowSubscribeForClient: true},
		}
	})
}

// TestPositionGapServerSide: a positioned server-side subscription drops
// duplicates and, on a skipped offset or a foreign epoch, the connection is
// closed with disconnect 3010 "insufficient state" (the client reconnects
// and recovers).
func TestPositionGapServerSide(t *testing.T) {
	for _, p := range recProtocols {
		for _, kind := range []string{"gap", "epoch"} {
			t.Run(string(p)+"/"+kind, func(t *testing.T) {
				const ch = "pos:feed"
				n := recPositionedNode(t, ch)
				top := recPublish(t, n, ch, 2)
				tr := newFakeTransport(p)
				s, err := n.NewSession(tr, ConnInfo{})
				if err != nil {
					t.Fatal(err)
				}
				c := &recCursor{tr: tr}
				r := recSend(t, s, c, &protocol.Command{Id: 1, Connect: &protocol.ConnectRequest{Token: "any"}})
				sr := r.Connect.GetSubs()[ch]
				if sr == nil || !sr.Positioned || sr.Offset != 2 || sr.Epoch != top.Epoch {
					t.Fatalf("connect result subs %v, want %s positioned at {2 %s}", r.Connect.GetSubs(), ch, top.Epoch)
				}
				h := brokerHandler{n}
				deliver := func(off uint64, epoch string) {
					t.Helper()
					if err := h.HandlePublication(ch, recPub(off), gyre.StreamPosition{Offset: off, Epoch: epoch}); err != nil {
						t.Fatal(err)
					}
				}
				deliver(3, top.Epoch)
				c.expectPub(t, ch, 3)
				deliver(2, top.Epoch)
				deliver(3, top.Epoch)
				deliver(4, top.Epoch)
				c.expectPub(t, ch, 4)
				select {
				case d := <-tr.closed:
					t.Fatalf("closed with %v after duplicates", d)
				default:
				}
				if kind == "gap" {
					deliver(6, top.Epoch)
				} else {
					deliver(5, top.Epoch+"x")
				}
				select {
				case d := <-tr.closed:
					if d.Code != 3010 {
						t.Fatalf("closed with %v, want 3010", d)
					}
				case <-time.After(5 * time.Second):
					t.Fatal("not disconnected after a gap in a server-side subscription")
				}
			})
		}
	}
}

// TestRecoverSubscribeResult: the subscribe result fields of recovery on
// the wire: recovered publications, offset = the client's offset,
// was_recovering; not recovered on a wrong epoch or a trimmed stream (with
// the top); error 112 with the reject-unrecovered flag.
func TestRecoverSubscribeResult(t *testing.T) {
	for _, p := range recProtocols {
		t.Run(string(p), func(t *testing.T) {
			n := newTestNode(t, func(c *Config) {
				c.Channels.Namespaces = map[string]gyre.ChannelOptions{
					"rec": {ForceRecovery: true, HistorySize: 10, HistoryTTL: gyre.Duration(time.Minute)},
				}
			})
			s, tr := connectSession(t, n, p)
			c := &recCursor{tr: tr, seen: 1}
			const ch = "rec:a"
			top := recPublish(t, n, ch, 5)
			id := uint32(1)
			sub := func(req *protocol.SubscribeRequest) *protocol.Reply {
				t.Helper()
				id++
				req.Channel = ch
				return recSend(t, s, c, &protocol.Command{Id: id, Subscribe: req})
			}
			unsub := func() {
				t.Helper()
				id++
				recSend(t, s, c, &protocol.Command{Id: id, Unsubscribe: &protocol.UnsubscribeRequest{Channel: ch}})
			}

			// Recovered: publications 3..5, offset = the client's 2.
			res := sub(&protocol.SubscribeRequest{Recover: true, Offset: 2, Epoch: top.Epoch}).Subscribe
			if res == nil || !res.Recovered || !res.WasRecovering || !res.Recoverable || !res.Positioned ||
				res.Offset != 2 || res.Epoch != top.Epoch || len(res.Publications) != 3 {
				t.Fatalf("recover from 2: %v", res)
			}
			for i, pub := range res.Publications {
				if off := uint64(3 + i); pub.Offset != off || string(pub.Data) != fmt.Sprintf(`{"n":%d}`, off) {
					t.Fatalf("recovered publication %d: %v", i, pub)
				}
			}
			// Live publications continue from the top; a duplicate of a
			// recovered one is dropped.
			h := brokerHandler{n}
			_ = h.HandlePublication(ch, recPub(5), gyre.StreamPosition{Offset: 5, Epoch: top.Epoch})
			recPublish(t, n, ch, 1)
			c.expectPub(t, ch, 6)
			unsub()

			// At the top: recovered, nothing to send.
			res = sub(&protocol.SubscribeRequest{Recover: true, Offset: 6, Epoch: top.Epoch}).Subscribe
			if !res.Recovered || !res.WasRecovering || res.Offset != 6 || len(res.Publications) != 0 {
				t.Fatalf("recover at the top: %v", res)
			}
			unsub()

			// Wrong epoch: not recovered, the top, no publications.
			res = sub(&protocol.SubscribeRequest{Recover: true, Offset: 2, Epoch: "other"}).Subscribe
			if res.Recovered || !res.WasRecovering || res.Offset != 6 || res.Epoch != top.Epoch || len(res.Publications) != 0 {
				t.Fatalf("recover from another epoch: %v", res)
			}
			unsub()

			// Wrong epoch with the reject-unrecovered flag: error 112.
			r := sub(&protocol.SubscribeRequest{Recover: true, Offset: 2, Epoch: "other", Flag: 2})
			if r.Error == nil || r.Error.Code != 112 {
				t.Fatalf("reject unrecovered: %v, want error 112", r)
			}

			// Trimmed: history_size 10, offsets 7..16 kept; from 2 the
			// gap cannot be closed.
			top = recPublish(t, n, ch, 10)
			res = sub(&protocol.SubscribeRequest{Recover: true, Offset: 2, Epoch: top.Epoch}).Subscribe
			if res.Recovered || !res.WasRecovering || res.Offset != 16 || len(res.Publications) != 0 {
				t.Fatalf("recover past the history: %v", res)
			}
			unsub()
			// The oldest kept item follows the client's offset: recovered.
			res = sub(&protocol.SubscribeRequest{Recover: true, Offset: 6, Epoch: top.Epoch}).Subscribe
			if !res.Recovered || res.Offset != 6 || len(res.Publications) != 10 || res.Publications[0].Offset != 7 {
				t.Fatalf("recover from the edge of the history: %v", res)
			}
		})
	}
}

// recRacingBroker wraps the memory broker: while a subscribe reads the
// history of the armed channel, it publishes more into it, as if other
// nodes published at that very moment. before publications land before the
// history read (so they are both recovered and buffered), after ones land
// after it (buffered only).
type recRacingBroker struct {
	gyre.Broker
	mu            sync.Mutex
	armed         string
	before, after int
}

// Close closes the wrapped broker, so Node.Shutdown stops its goroutines.
func (b *recRacingBroker) Close(ctx context.Context) error {
	if c, ok := b.Broker.(gyre.Closer); ok {
		return c.Close(ctx)
	}
	return nil
}

func (b *recRacingBroker) arm(ch string, before, after int) {
	b.mu.Lock()
	b.armed, b.before, b.after = ch, before, after
	b.mu.Unlock()
}

func (b *recRacingBroker) publishN(ctx context.Context, ch string, count int) error {
	for range count {
		_, top, err := b.Broker.History(ctx, ch, gyre.HistoryOptions{})
		if err != nil {
			return err
		}
		_, _, err = b.Broker.Publish(ctx, ch, fmt.Appendf(nil, `{"n":%d}`, top.Offset+1), gyre.PublishOptions{HistorySize: 100, HistoryTTL: time.Minute})
		if err != nil {
			return err
		}
	}
	return nil
}

func (b *recRacingBroker) History(ctx context.Context, ch string, opts gyre.HistoryOptions) ([]*gyre.Publication, gyre.StreamPosition, error) {
	b.mu.Lock()
	fire := b.armed == ch
	before, after := b.before, b.after
	if fire {
		b.armed = ""
	}
	b.mu.Unlock()
	if !fire {
		return b.Broker.History(ctx, ch, opts)
	}
	if err := b.publishN(ctx, ch, before); err != nil {
		return nil, gyre.StreamPosition{}, err
	}
	pubs, top, err := b.Broker.History(ctx, ch, opts)
	if err != nil {
		return pubs, top, err
	}
	return pubs, top, b.publishN(ctx, ch, after)
}

// TestRecoverMergesBufferedPublications: publications that arrive while a
// subscribe is in progress are buffered and merged with the recovered ones:
// every offset once, in order, right after the subscribe reply.
func TestRecoverMergesBufferedPublications(t *testing.T) {
	for _, p := range recProtocols {
		for _, recover := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/recover=%v", p, recover), func(t *testing.T) {
				var rb *recRacingBroker
				n := newTestNode(t, func(c *Config) {
					rb = &recRacingBroker{Broker: c.Broker}
					c.Broker = rb
					c.Channels.Namespaces = map[string]gyre.ChannelOptions{
						"rec": {ForceRecovery: true, HistorySize: 100, HistoryTTL: gyre.Duration(time.Minute)},
					}
				})
				s, tr := connectSession(t, n, p)
				c := &recCursor{tr: tr, seen: 1}
				const ch = "rec:merge"
				top := recPublish(t, n, ch, 3)
				rb.arm(ch, 4, 5) // 4..7 published before the history read, 8..12 after
				req := &protocol.SubscribeRequest{Channel: ch}
				if recover {
					req.Recover, req.Offset, req.Epoch = true, 1, top.Epoch
				}
				res := recSend(t, s, c, &protocol.Command{Id: 2, Subscribe: req}).Subscribe
				next := uint64(8)
				if recover {
					if !res.Recovered || res.Offset != 1 || len(res.Publications) != 6 {
						t.Fatalf("subscribe result %v, want 2..7 recovered", res)
					}
					for i, pub := range res.Publications {
						if pub.Offset != uint64(2+i) {
							t.Fatalf("recovered offsets: %v", res.Publications)
						}
					}
				} else if res.Offset != 7 || len(res.Publications) != 0 {
					t.Fatalf("subscribe result %v, want the top 7", res)
				}
				for off := next; off <= 12; off++ {
					c.expectPub(t, ch, off)
				}
				recPublish(t, n, ch, 1)
				c.expectPub(t, ch, 13)
				if got := len(tr.replies(t)); got != c.seen {
					t.Fatalf("%d replies, want %d: %v", got, c.seen, tr.replies(t)[c.seen:])
				}
			})
		}
	}
}
