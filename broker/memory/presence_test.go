package memory

import (
	"testing"

	"github.com/gyrehq/gyre"
)

func TestPresenceForgetsEmptyChannels(t *testing.T) {
	m := NewPresenceManager()
	for _, id := range []string{"a", "b"} {
		if err := m.AddPresence(ctx, "ch", &gyre.ClientInfo{ClientID: id, UserID: "u"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"a", "b"} {
		if err := m.RemovePresence(ctx, "ch", id, "u"); err != nil {
			t.Fatal(err)
		}
	}
	for i := range m.shards {
		if n := len(m.shards[i].channels); n != 0 {
			t.Errorf("shard %d still holds %d channels", i, n)
		}
	}
}

func TestPresenceUserMovesBetweenUsers(t *testing.T) {
	m := NewPresenceManager()
	add := func(client, user string) {
		t.Helper()
		if err := m.AddPresence(ctx, "ch", &gyre.ClientInfo{ClientID: client, UserID: user}); err != nil {
			t.Fatal(err)
		}
	}
	add("c1", "u1")
	add("c2", "u1")
	add("c1", "u2") // the same client re-added under another user
	stats, err := m.PresenceStats(ctx, "ch")
	if err != nil || stats != (gyre.PresenceStats{NumClients: 2, NumUsers: 2}) {
		t.Errorf("stats = %+v, %v; want 2 clients, 2 users", stats, err)
	}
	// RemovePresence uses the stored user, not the argument.
	if err := m.RemovePresence(ctx, "ch", "c1", "u1"); err != nil {
		t.Fatal(err)
	}
	stats, _ = m.PresenceStats(ctx, "ch")
	if stats != (gyre.PresenceStats{NumClients: 1, NumUsers: 1}) {
		t.Errorf("stats after removal = %+v, want 1 client, 1 user", stats)
	}
	if err := m.AddPresence(ctx, "ch", nil); err == nil {
		t.Error("AddPresence(nil) succeeded")
	}
}
