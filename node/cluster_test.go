package node

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/broker/redis"
	"github.com/gyrehq/gyre/internal/testservice"
)

// newRedisNode starts a distributed node on the shared Redis with prefix.
func newRedisNode(t *testing.T, addr, prefix string) *Node {
	t.Helper()
	b, err := redis.NewBroker(redis.Config{Prefix: prefix, Shards: []redis.ShardConfig{{Address: addr}}})
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(Config{
		Broker: b, Presence: b.PresenceManager(), Distributed: true,
		Client:   ClientConfig{Insecure: true},
		Channels: ChannelConfig{WithoutNamespace: gyre.ChannelOptions{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = n.Shutdown(ctx)
	})
	return n
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-time.After(20 * time.Millisecond)
	}
}

// TestClusterControl: with two nodes on one Redis, info lists both,
// channels covers both, and API disconnect/unsubscribe reach a client on the
// other node.
func TestClusterControl(t *testing.T) {
	addr := testservice.Redis(t)
	prefix := fmt.Sprintf("gyretest.control.%d", rand.Uint64())
	a := newRedisNode(t, addr, prefix)
	b := newRedisNode(t, addr, prefix)
	s, tr := connectSession(t, b, protocol.TypeJSON, "on-b")
	_ = s
	ctx := t.Context()
	eventually(t, "node A to see node B", func() bool { return len(a.Info(ctx)) == 2 })
	if got := a.Channels(ctx)["on-b"]; got != 1 {
		t.Fatalf("channels from A: on-b has %d subscribers, want 1", got)
	}
	// The insecure connect gives user "": unsubscribe by that user.
	if err := a.Unsubscribe(ctx, "on-b", "", ""); err != nil {
		t.Fatal(err)
	}
	rs := tr.waitReplies(t, 3)
	if u := rs[2].Push.GetUnsubscribe(); u == nil || u.Code != 2000 {
		t.Fatalf("push %+v, want unsubscribe 2000", rs[2])
	}
	if err := a.Disconnect(ctx, "", gyre.DisconnectForceNoReconnect, "", nil); err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-tr.closed:
		if d.Code != 3503 {
			t.Fatalf("closed with %d, want 3503", d.Code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("client on node B not disconnected through node A")
	}
}
