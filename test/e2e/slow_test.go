package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"
	"github.com/gorilla/websocket"

	"github.com/gyrehq/gyre/config"
	"github.com/gyrehq/gyre/node"
)

// TestSlowConsumerIsolated: a client that stops reading is disconnected
// with 3008 (slow) once its queue passes client.queue_max_size, while a
// client that reads gets every publication in order.
func TestSlowConsumerIsolated(t *testing.T) {
	ts := startServer(t, func(cfg *config.Config) {
		cfg.Client.QueueMaxSize = 64 << 10
		cfg.Prometheus.Enabled = true
	})
	const ch = "chat:slow"
	fast := newClient(t, ts, protoJSON, centrifuge.Config{Token: userToken(t, "fast")})
	connect(t, fast)
	_, pubs := subscribe(t, fast, ch, centrifuge.SubscriptionConfig{})

	// The slow client subscribes, then never reads again.
	slow, _, err := websocket.DefaultDialer.DialContext(ctxT(t), ts.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	cmds := fmt.Sprintf(`{"id":1,"connect":{"token":%q}}`+"\n"+`{"id":2,"subscribe":{"channel":%q}}`, userToken(t, "slow"), ch)
	if err := slow.WriteMessage(websocket.TextMessage, []byte(cmds)); err != nil {
		t.Fatal(err)
	}
	for got := 0; got < 2; {
		_, msg, err := slow.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		got += strings.Count(string(msg), `"id":`)
	}

	payload := []byte(`{"blob":"` + strings.Repeat("x", 16<<10) + `"}`)
	const n = 400 // 6.4 MB: more than the queue limit plus loopback socket buffers
	before := ts.srv.Node().NumSessions()
	// Publish at the pace of the fast client (its queue has the same small
	// limit); the slow client's queue only grows.
	for i := 1; i <= n; i++ {
		if _, err := ts.srv.Node().Publish(ctxT(t), node.PublishRequest{Channel: ch, Data: payload}); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
		e := waitFor(t, pubs, "publication to the fast client")
		if e.Offset != uint64(i) {
			t.Fatalf("fast client got offset %d, want %d", e.Offset, i)
		}
	}
	deadline := time.Now().Add(waitTimeout)
	for ts.srv.Node().NumSessions() != before-1 {
		if time.Now().After(deadline) {
			t.Fatalf("slow client still connected: %d sessions", ts.srv.Node().NumSessions())
		}
		<-time.After(20 * time.Millisecond)
	}
	_, body := httpGet(t, "http://"+ts.srv.InternalAddr().String()+"/metrics")
	if !strings.Contains(body, `gyre_client_num_server_disconnects{code="3008"} 1`) {
		t.Fatalf("no 3008 disconnect counted:\n%s", grepLines(body, "disconnects"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
