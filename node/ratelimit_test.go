package node

import (
	"testing"
	"time"

	"github.com/centrifugal/protocol"
)

func TestRateLimiterBucket(t *testing.T) {
	r := newRateLimiter(10, 3)
	now := time.Unix(1000, 0)
	for i := range 3 {
		if !r.allow(now) {
			t.Fatalf("command %d of the burst rejected", i)
		}
	}
	if r.allow(now) {
		t.Fatal("4th command at once allowed")
	}
	if !r.allow(now.Add(100 * time.Millisecond)) {
		t.Fatal("a token should come back after 1/rate")
	}
	if r.rejected != 0 {
		t.Fatal("rejections not reset")
	}
}

// TestCommandRateLimit: over the limit commands get error 111; a client
// that keeps going is closed with 3013.
func TestCommandRateLimit(t *testing.T) {
	n := newTestNode(t, func(c *Config) { c.Client.CommandRateLimit, c.Client.CommandRateLimitBurst = 1, 2 })
	tr := newFakeTransport(protocol.TypeJSON)
	s, err := n.NewSession(tr, ConnInfo{})
	if err != nil {
		t.Fatal(err)
	}
	cmds := []*protocol.Command{{Id: 1, Connect: &protocol.ConnectRequest{}}}
	for i := range 3 {
		cmds = append(cmds, &protocol.Command{Id: uint32(i + 2), Presence: &protocol.PresenceRequest{Channel: "x"}})
	}
	s.HandleFrame(encodeCommands(t, protocol.TypeJSON, cmds...))
	rs := tr.waitReplies(t, 4)
	if rs[2].Error == nil || rs[2].Error.Code != 111 || !rs[2].Error.Temporary {
		t.Fatalf("3rd command reply %+v, want error 111", rs[2])
	}
	var flood []*protocol.Command
	for i := range 20 {
		flood = append(flood, &protocol.Command{Id: uint32(i + 10), Presence: &protocol.PresenceRequest{Channel: "x"}})
	}
	if s.HandleFrame(encodeCommands(t, protocol.TypeJSON, flood...)) {
		t.Fatal("session still open after a flood")
	}
	select {
	case d := <-tr.closed:
		if d.Code != 3013 {
			t.Fatalf("closed with %d, want 3013", d.Code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("not closed")
	}
}
