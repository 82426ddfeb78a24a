package e2e

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"
)

// errDialHeld is what a held cutDialer returns to the client, which then
// backs off and dials again.
var errDialHeld = errors.New("cutDialer: dialing is held by the test")

// cutDialer is a centrifuge.Config.NetDialContext that records the TCP
// connection the client dials, so a test can cut it abruptly: the raw
// net.Conn is closed, no WebSocket close frame is sent, and the client sees
// a plain connection loss. The client then reconnects on its own and
// resubscribes with recover:true.
//
// hold makes dials fail until release, so a test can do things (publish,
// restart the server) while the client is certainly disconnected.
type cutDialer struct {
	mu    sync.Mutex
	conn  net.Conn // the connection dialed last; nil after a cut
	held  bool
	dials int
}

// recConfig returns cfg wired to a new cutDialer, with reconnect delays
// short enough that a released client is back within milliseconds.
func recConfig(cfg centrifuge.Config) (centrifuge.Config, *cutDialer) {
	d := &cutDialer{}
	cfg.NetDialContext = d.dial
	cfg.MinReconnectDelay = 5 * time.Millisecond
	cfg.MaxReconnectDelay = 50 * time.Millisecond
	return cfg, d
}

func (d *cutDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	held := d.held
	d.mu.Unlock()
	if held {
		return nil, errDialHeld
	}
	var nd net.Dialer
	c, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.held {
		// hold() ran while this dial was in flight: it must not succeed.
		_ = c.Close()
		return nil, errDialHeld
	}
	d.conn = c
	d.dials++
	return c, nil
}

// cut closes the client's current TCP connection without a close frame.
// The client reconnects by itself (unless held).
func (d *cutDialer) cut(t *testing.T) {
	t.Helper()
	if err := d.cutConn(); err != nil {
		t.Fatal(err)
	}
}

// cutConn is cut for goroutines other than the test's: it returns an error
// instead of failing the test.
func (d *cutDialer) cutConn() error {
	d.mu.Lock()
	c := d.conn
	d.conn = nil
	d.mu.Unlock()
	if c == nil {
		return errors.New("cutDialer: no connection to cut")
	}
	return c.Close()
}

// hold makes every following dial fail until release.
func (d *cutDialer) hold() {
	d.mu.Lock()
	d.held = true
	d.mu.Unlock()
}

// release lets the client dial again; it reconnects after its backoff.
func (d *cutDialer) release() {
	d.mu.Lock()
	d.held = false
	d.mu.Unlock()
}

// cutAndHold cuts the connection and keeps the client from reconnecting
// until release.
func (d *cutDialer) cutAndHold(t *testing.T) {
	t.Helper()
	d.hold()
	d.cut(t)
}

// numDials reports how many connections the client has made.
func (d *cutDialer) numDials() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dials
}

// waitChannelClients polls the server API `channels` until channel ch has
// exactly n local subscribers (0: the channel is gone from the list), so a
// test knows the server itself has seen a disconnect or a (re)subscribe.
func waitChannelClients(t *testing.T, ts *testServer, ch string, n int) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		got := 0
		res := apiCall(t, ts, "channels", map[string]any{"pattern": ch})
		if r, ok := res["result"].(map[string]any); ok {
			if chs, ok := r["channels"].(map[string]any); ok {
				if info, ok := chs[ch].(map[string]any); ok {
					if v, ok := info["num_clients"].(float64); ok {
						got = int(v)
					}
				}
			}
		}
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("channel %s: server reports %d clients, want %d", ch, got, n)
		}
		<-tick.C
	}
}
