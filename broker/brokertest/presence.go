package brokertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gyrehq/gyre"
)

// RunPresence runs the presence manager conformance suite as subtests of
// t. newPM is called once per subtest and must return a presence manager,
// arranging its own cleanup with t.Cleanup.
func RunPresence(t *testing.T, newPM func(t *testing.T) gyre.PresenceManager) {
	t.Helper()
	tests := []struct {
		name string
		run  func(p *presenceHarness)
	}{
		{"Empty", testPresenceEmpty},
		{"AddAndStats", testPresenceAddAndStats},
		{"Refresh", testPresenceRefresh},
		{"Remove", testPresenceRemove},
		{"ChannelsAreIsolated", testPresenceChannelsIsolated},
		{"ReturnsCopies", testPresenceReturnsCopies},
		{"Concurrent", testPresenceConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pm := newPM(t)
			ctx, cancel := context.WithTimeout(t.Context(), WaitTimeout)
			defer cancel()
			tc.run(&presenceHarness{t: t, ctx: ctx, pm: pm})
		})
	}
}

// presenceHarness bundles what a presence subtest uses; its helpers fail
// the test on errors.
type presenceHarness struct {
	t   *testing.T
	ctx context.Context
	pm  gyre.PresenceManager
}

func (p *presenceHarness) add(ch string, info *gyre.ClientInfo) {
	p.t.Helper()
	if err := p.pm.AddPresence(p.ctx, ch, info); err != nil {
		p.t.Fatalf("AddPresence(%q, %+v): %v", ch, info, err)
	}
}

func (p *presenceHarness) remove(ch, clientID, userID string) {
	p.t.Helper()
	if err := p.pm.RemovePresence(p.ctx, ch, clientID, userID); err != nil {
		p.t.Fatalf("RemovePresence(%q, %q): %v", ch, clientID, err)
	}
}

// check compares the channel's presence and stats with want.
func (p *presenceHarness) check(ch string, want map[string]*gyre.ClientInfo, wantStats gyre.PresenceStats) {
	p.t.Helper()
	got, err := p.pm.Presence(p.ctx, ch)
	if err != nil {
		p.t.Fatalf("Presence(%q): %v", ch, err)
	}
	if want == nil {
		want = map[string]*gyre.ClientInfo{}
	}
	if got == nil {
		got = map[string]*gyre.ClientInfo{}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		p.t.Errorf("Presence(%q) (-want +got):\n%s", ch, diff)
	}
	stats, err := p.pm.PresenceStats(p.ctx, ch)
	if err != nil {
		p.t.Fatalf("PresenceStats(%q): %v", ch, err)
	}
	if stats != wantStats {
		p.t.Errorf("PresenceStats(%q) = %+v, want %+v", ch, stats, wantStats)
	}
}

func client(id, user string) *gyre.ClientInfo {
	return &gyre.ClientInfo{
		ClientID: id,
		UserID:   user,
		ConnInfo: []byte(`{"conn":"` + id + `"}`),
		ChanInfo: []byte(`{"chan":"` + user + `"}`),
	}
}

func testPresenceEmpty(p *presenceHarness) {
	p.check(uniqueChannel(p.t, "empty"), nil, gyre.PresenceStats{})
}

func testPresenceAddAndStats(p *presenceHarness) {
	ch := uniqueChannel(p.t, "add")
	c1, c2, c3 := client("c1", "u1"), client("c2", "u1"), client("c3", "u2")
	for _, c := range []*gyre.ClientInfo{c1, c2, c3} {
		p.add(ch, c)
	}
	p.check(ch, map[string]*gyre.ClientInfo{"c1": c1, "c2": c2, "c3": c3}, gyre.PresenceStats{NumClients: 3, NumUsers: 2})
}

func testPresenceRefresh(p *presenceHarness) {
	ch := uniqueChannel(p.t, "refresh")
	c1, c2 := client("c1", "u1"), client("c2", "u1")
	p.add(ch, c1)
	p.add(ch, c2)
	p.add(ch, c1) // a refresh changes nothing
	p.check(ch, map[string]*gyre.ClientInfo{"c1": c1, "c2": c2}, gyre.PresenceStats{NumClients: 2, NumUsers: 1})

	updated := client("c1", "u1")
	updated.ChanInfo = []byte(`{"chan":"updated"}`)
	p.add(ch, updated)
	p.check(ch, map[string]*gyre.ClientInfo{"c1": updated, "c2": c2}, gyre.PresenceStats{NumClients: 2, NumUsers: 1})
}

func testPresenceRemove(p *presenceHarness) {
	ch := uniqueChannel(p.t, "remove")
	c1, c2, c3 := client("c1", "u1"), client("c2", "u1"), client("c3", "u2")
	for _, c := range []*gyre.ClientInfo{c1, c2, c3} {
		p.add(ch, c)
	}
	p.remove(ch, "c1", "u1")
	p.check(ch, map[string]*gyre.ClientInfo{"c2": c2, "c3": c3}, gyre.PresenceStats{NumClients: 2, NumUsers: 2})
	p.remove(ch, "c3", "u2")
	p.check(ch, map[string]*gyre.ClientInfo{"c2": c2}, gyre.PresenceStats{NumClients: 1, NumUsers: 1})
	p.remove(ch, "unknown", "u9") // not an error
	p.remove(ch, "c2", "u1")
	p.check(ch, nil, gyre.PresenceStats{})
	p.remove(ch, "c2", "u1") // from an empty channel: not an error
	// The channel can be used again.
	p.add(ch, c1)
	p.check(ch, map[string]*gyre.ClientInfo{"c1": c1}, gyre.PresenceStats{NumClients: 1, NumUsers: 1})
}

func testPresenceChannelsIsolated(p *presenceHarness) {
	a, b := uniqueChannel(p.t, "a"), uniqueChannel(p.t, "b")
	c1, c2 := client("c1", "u1"), client("c2", "u2")
	p.add(a, c1)
	p.add(b, c2)
	p.check(a, map[string]*gyre.ClientInfo{"c1": c1}, gyre.PresenceStats{NumClients: 1, NumUsers: 1})
	p.check(b, map[string]*gyre.ClientInfo{"c2": c2}, gyre.PresenceStats{NumClients: 1, NumUsers: 1})
	p.remove(a, "c1", "u1")
	p.check(b, map[string]*gyre.ClientInfo{"c2": c2}, gyre.PresenceStats{NumClients: 1, NumUsers: 1})
}

func testPresenceReturnsCopies(p *presenceHarness) {
	ch := uniqueChannel(p.t, "copies")
	added := client("c1", "u1")
	p.add(ch, added)
	want := client("c1", "u1")

	// The caller's ClientInfo is not kept.
	added.UserID = "someone-else"
	added.ConnInfo[0] = 'X'

	// Nor is what Presence returns.
	got, err := p.pm.Presence(p.ctx, ch)
	if err != nil {
		p.t.Fatalf("Presence: %v", err)
	}
	got["c1"].ClientID = "changed"
	got["c1"].ChanInfo = nil
	delete(got, "c1")
	got["c9"] = client("c9", "u9")

	p.check(ch, map[string]*gyre.ClientInfo{"c1": want}, gyre.PresenceStats{NumClients: 1, NumUsers: 1})
}

func testPresenceConcurrent(p *presenceHarness) {
	ch := uniqueChannel(p.t, "concurrent")
	const users, clientsPerUser = 8, 20
	run := func(op func(id, user string) error) {
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			errs []error
		)
		for u := range users {
			wg.Go(func() {
				for c := range clientsPerUser {
					if err := op(fmt.Sprintf("c%d-%d", u, c), fmt.Sprintf("u%d", u)); err != nil {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			p.t.Fatal(err)
		}
	}
	want := make(map[string]*gyre.ClientInfo)
	run(func(id, user string) error { return p.pm.AddPresence(p.ctx, ch, client(id, user)) })
	for u := range users {
		for c := range clientsPerUser {
			id := fmt.Sprintf("c%d-%d", u, c)
			want[id] = client(id, fmt.Sprintf("u%d", u))
		}
	}
	p.check(ch, want, gyre.PresenceStats{NumClients: users * clientsPerUser, NumUsers: users})
	run(func(id, user string) error { return p.pm.RemovePresence(p.ctx, ch, id, user) })
	p.check(ch, nil, gyre.PresenceStats{})
}
