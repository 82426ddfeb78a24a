package node

import (
	"testing"
	"time"

	"github.com/centrifugal/protocol"
)

// TestPositionCheckDetectsLoss: the periodic position check tells a
// positioned client-side subscriber that publications were lost (a stream
// top ahead of its position across two checks, or another epoch) with an
// unsubscribe push 2500, so the SDK resubscribes and recovers.
func TestPositionCheckDetectsLoss(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(sub *subscriber)
	}{
		{"offset behind the top", func(sub *subscriber) { sub.offset = 0 }},
		{"epoch changed", func(sub *subscriber) { sub.epoch = "another" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newTestNode(t, func(c *Config) { c.Client.ChannelPositionCheckDelay = 20 * time.Millisecond })
			tr := newFakeTransport(protocol.TypeJSON)
			s, err := n.NewSession(tr, ConnInfo{})
			if err != nil {
				t.Fatal(err)
			}
			s.HandleFrame(encodeCommands(t, protocol.TypeJSON,
				&protocol.Command{Id: 1, Connect: &protocol.ConnectRequest{}},
				&protocol.Command{Id: 2, Subscribe: &protocol.SubscribeRequest{Channel: "pos", Positioned: true}},
			))
			rs := tr.waitReplies(t, 2)
			if rs[1].Subscribe == nil || !rs[1].Subscribe.Positioned {
				t.Fatalf("subscribe reply %+v", rs[1])
			}
			if _, err := n.Publish(t.Context(), PublishRequest{Channel: "pos", Data: []byte(`{}`)}); err != nil {
				t.Fatal(err)
			}
			tr.waitReplies(t, 3)
			s.mu.Lock()
			sub := s.subs["pos"]
			s.mu.Unlock()
			sub.mu.Lock()
			tc.spoil(sub)
			sub.mu.Unlock()
			rs = tr.waitReplies(t, 4)
			u := rs[3].Push.GetUnsubscribe()
			if u == nil || u.Code != 2500 {
				t.Fatalf("push %+v, want unsubscribe 2500", rs[3])
			}
		})
	}
}

// TestPositionCheckQuietWhenInStep: no false alarm while positions match.
func TestPositionCheckQuietWhenInStep(t *testing.T) {
	n := newTestNode(t, func(c *Config) { c.Client.ChannelPositionCheckDelay = 10 * time.Millisecond })
	s, tr := connectSession(t, n, protocol.TypeJSON)
	s.HandleFrame(encodeCommands(t, protocol.TypeJSON, &protocol.Command{Id: 2, Subscribe: &protocol.SubscribeRequest{Channel: "quiet", Positioned: true}}))
	tr.waitReplies(t, 2)
	for i := range 5 {
		if _, err := n.Publish(t.Context(), PublishRequest{Channel: "quiet", Data: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
		tr.waitReplies(t, 3+i)
	}
	// Let several checks (every 10ms) run: the absence of an unsubscribe
	// push over that window is what this test asserts.
	<-time.After(200 * time.Millisecond)
	for _, r := range tr.replies(t)[2:] {
		if r.Push == nil || r.Push.Pub == nil {
			t.Fatalf("unexpected reply %+v", r)
		}
	}
}

// TestDeliveryGap: a broker reporting lost deliveries makes positioned
// subscribers resubscribe (2500) and leaves others alone.
func TestDeliveryGap(t *testing.T) {
	n := newTestNode(t, nil)
	_, positioned := connectSession(t, n, protocol.TypeJSON)
	_, plain := connectSession(t, n, protocol.TypeJSON, "gap")
	var s *Session
	for sess := range n.sessions {
		if sess.transport == positioned {
			s = sess
		}
	}
	s.HandleFrame(encodeCommands(t, protocol.TypeJSON, &protocol.Command{Id: 5, Subscribe: &protocol.SubscribeRequest{Channel: "gap", Positioned: true}}))
	positioned.waitReplies(t, 2)
	brokerHandler{n}.HandleDeliveryGap("gap")
	rs := positioned.waitReplies(t, 3)
	if u := rs[2].Push.GetUnsubscribe(); u == nil || u.Code != 2500 {
		t.Fatalf("positioned subscriber got %+v, want unsubscribe 2500", rs[2])
	}
	if got := len(plain.replies(t)); got != 2 {
		t.Fatalf("plain subscriber got %d replies, want 2", got)
	}
}
