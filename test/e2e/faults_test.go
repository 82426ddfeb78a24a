package e2e

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"
	"github.com/gorilla/websocket"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/config"
	"github.com/gyrehq/gyre/node"
)

// TestShutdownUnderLoad: stopping the server while publications flow tells
// every client 3001 (shutdown, reconnect) and returns within
// shutdown.timeout; goroutine leaks are checked by TestMain.
func TestShutdownUnderLoad(t *testing.T) {
	ts := startServer(t, func(cfg *config.Config) { cfg.Shutdown.Timeout = gyre.Duration(5 * time.Second) })
	const clients = 20
	codes := make(chan uint32, clients)
	var all []*centrifuge.Client
	done := make(chan struct{})
	var drainers sync.WaitGroup
	defer func() { close(done); drainers.Wait() }()
	for i := range clients {
		p := protocols[i%2]
		c := newClient(t, ts, p, centrifuge.Config{Token: userToken(t, fmt.Sprintf("load-%d", i))})
		var once sync.Once
		c.OnConnecting(func(e centrifuge.ConnectingEvent) {
			if e.Code != 0 { // the initial connect reports code 0
				once.Do(func() { codes <- e.Code })
			}
		})
		connect(t, c)
		// The publisher below goes on until the server has stopped, which
		// may be more publications than the buffer holds: drain them.
		_, pubs := subscribe(t, c, "chat:load", centrifuge.SubscriptionConfig{})
		drainers.Add(1)
		go func() {
			defer drainers.Done()
			for {
				select {
				case <-pubs:
				case <-done:
					return
				}
			}
		}()
		all = append(all, c)
	}
	stop := make(chan struct{})
	var published atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := ts.srv.Node().Publish(ctxT(t), node.PublishRequest{Channel: "chat:load", Data: []byte(`{"n":1}`)}); err == nil {
				published.Add(1)
			}
		}
	}()
	for published.Load() < 200 {
		<-time.After(5 * time.Millisecond)
	}
	start := time.Now()
	ts.cancel()
	var runErr error
	select {
	case runErr = <-ts.done:
	case <-time.After(waitTimeout):
		t.Fatal("server did not stop")
	}
	ts.done <- runErr // for the harness cleanup
	took := time.Since(start)
	close(stop)
	wg.Wait()
	if runErr != nil {
		t.Fatalf("Run returned %v", runErr)
	}
	if took > 5*time.Second {
		t.Fatalf("shutdown took %v, more than shutdown.timeout", took)
	}
	for range clients {
		if code := waitFor(t, codes, "client told about the shutdown"); code != 3001 {
			t.Fatalf("client saw %d, want 3001", code)
		}
	}
	for _, c := range all {
		c.Close()
	}
	t.Logf("shutdown with %d clients after %d publications took %v", clients, published.Load(), took)
}

// TestClientVanishesMidWrite: a client whose TCP connection disappears
// while publications are being written to it is cleaned up, and the others
// keep receiving.
func TestClientVanishesMidWrite(t *testing.T) {
	ts := startServer(t, nil)
	const ch = "chat:vanish"
	steady := newClient(t, ts, protoProtobuf, centrifuge.Config{Token: userToken(t, "steady")})
	connect(t, steady)
	_, pubs := subscribe(t, steady, ch, centrifuge.SubscriptionConfig{})

	ghost, _, err := websocket.DefaultDialer.DialContext(ctxT(t), ts.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	cmds := fmt.Sprintf(`{"id":1,"connect":{"token":%q}}`+"\n"+`{"id":2,"subscribe":{"channel":%q}}`, userToken(t, "ghost"), ch)
	if err := ghost.WriteMessage(websocket.TextMessage, []byte(cmds)); err != nil {
		t.Fatal(err)
	}
	for got := 0; got < 2; {
		_, msg, err := ghost.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		got += strings.Count(string(msg), `"id":`)
	}
	sessions := ts.srv.Node().NumSessions()
	payload := []byte(`{"blob":"` + strings.Repeat("y", 4096) + `"}`)
	for i := 1; i <= 100; i++ {
		if i == 50 {
			_ = ghost.UnderlyingConn().Close() // gone, mid-stream
		}
		if _, err := ts.srv.Node().Publish(ctxT(t), node.PublishRequest{Channel: ch, Data: payload}); err != nil {
			t.Fatal(err)
		}
		if e := waitFor(t, pubs, "publication"); e.Offset != uint64(i) {
			t.Fatalf("offset %d, want %d", e.Offset, i)
		}
	}
	deadline := time.Now().Add(waitTimeout)
	for ts.srv.Node().NumSessions() != sessions-1 {
		if time.Now().After(deadline) {
			t.Fatalf("vanished client not cleaned up: %d sessions", ts.srv.Node().NumSessions())
		}
		<-time.After(10 * time.Millisecond)
	}
}
