package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/centrifugal/centrifuge-go"
	"github.com/gorilla/websocket"

	"github.com/gyrehq/gyre/config"
)

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctxT(t), http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestHealthAndMetrics: /health answers {} and /metrics exposes the node
// gauges, on the internal port when it is split from the client port.
func TestHealthAndMetrics(t *testing.T) {
	ts := startServer(t, func(cfg *config.Config) {
		cfg.Health.Enabled = true
		cfg.Prometheus.Enabled = true
		cfg.HTTPServer.InternalAddress = "127.0.0.1"
		cfg.HTTPServer.InternalPort = freePort(t)
	})
	internal := "http://" + ts.srv.InternalAddr().String()
	if ts.srv.InternalAddr().String() == ts.srv.Addr().String() {
		t.Fatal("internal port not split")
	}
	if code, body := httpGet(t, internal+"/health"); code != 200 || body != "{}" {
		t.Fatalf("health = %d %q", code, body)
	}
	c := newClient(t, ts, protoJSON, centrifuge.Config{Token: userToken(t, "m")})
	connect(t, c)
	code, body := httpGet(t, internal+"/metrics")
	if code != 200 || !strings.Contains(body, "gyre_node_num_clients 1") || !strings.Contains(body, "gyre_client_connections_accepted 1") {
		t.Fatalf("metrics = %d\n%s", code, body)
	}
	// The API and metrics are not on the client port.
	if code, _ := httpGet(t, "http://"+ts.srv.Addr().String()+"/metrics"); code != 404 {
		t.Fatalf("metrics on the client port: %d", code)
	}
}

// TestOriginCheck: browsers from origins not in client.allowed_origins get
// HTTP 403 before the upgrade; matching globs pass; no Origin passes.
func TestOriginCheck(t *testing.T) {
	ts := startServer(t, func(cfg *config.Config) {
		cfg.Client.AllowedOrigins = []string{"https://*.example.com"}
	})
	tests := []struct {
		origin string
		ok     bool
	}{
		{"", true},
		{"https://app.example.com", true},
		{"https://APP.EXAMPLE.COM", true},
		{"https://evil.com", false},
		{"http://app.example.com", false},
	}
	for _, tc := range tests {
		h := http.Header{}
		if tc.origin != "" {
			h.Set("Origin", tc.origin)
		}
		conn, resp, err := websocket.DefaultDialer.DialContext(ctxT(t), ts.url, h)
		if tc.ok {
			if err != nil {
				t.Fatalf("origin %q rejected: %v", tc.origin, err)
			}
			conn.Close()
			continue
		}
		if err == nil {
			conn.Close()
			t.Fatalf("origin %q accepted", tc.origin)
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("origin %q: want 403, got %v", tc.origin, resp)
		}
	}
}

// TestConnectionLimit: past client.connection_limit new connections get
// HTTP 503 before the upgrade; existing ones are unaffected.
func TestConnectionLimit(t *testing.T) {
	ts := startServer(t, func(cfg *config.Config) { cfg.Client.ConnectionLimit = 1 })
	c := newClient(t, ts, protoJSON, centrifuge.Config{Token: userToken(t, "first")})
	connect(t, c)
	_, resp, err := websocket.DefaultDialer.DialContext(ctxT(t), ts.url, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("second connection: err=%v resp=%v, want 503", err, resp)
	}
	_, pubs := subscribe(t, c, "chat:limit", centrifuge.SubscriptionConfig{})
	apiCall(t, ts, "publish", map[string]any{"channel": "chat:limit", "data": map[string]any{}})
	waitFor(t, pubs, "publication on the first connection")
}

// TestCompression: with websocket.compression on, a client that negotiates
// permessage-deflate sends and receives normally.
func TestCompression(t *testing.T) {
	ts := startServer(t, func(cfg *config.Config) { cfg.WebSocket.Compression = true })
	for _, p := range protocols {
		c := newClient(t, ts, p, centrifuge.Config{Token: userToken(t, "z"), EnableCompression: true})
		connect(t, c)
		sub, pubs := subscribe(t, c, "chat:zip-"+string(p), centrifuge.SubscriptionConfig{})
		big := `{"text":"` + strings.Repeat("compressible ", 500) + `"}`
		if _, err := sub.Publish(ctxT(t), []byte(big)); err != nil {
			t.Fatal(err)
		}
		if e := waitFor(t, pubs, "compressed publication"); string(e.Data) != big {
			t.Fatal("payload changed")
		}
	}
}

// TestConnectionRateLimit: past client.connection_rate_limit new
// connections within the second get HTTP 503 before the upgrade.
func TestConnectionRateLimit(t *testing.T) {
	ts := startServer(t, func(cfg *config.Config) { cfg.Client.ConnectionRateLimit = 2 })
	var refused int
	for range 5 {
		conn, resp, err := websocket.DefaultDialer.DialContext(ctxT(t), ts.url, nil)
		if err == nil {
			conn.Close()
			continue
		}
		if resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("dial: %v %v, want 503", err, resp)
		}
		refused++
	}
	if refused < 2 {
		t.Fatalf("%d of 5 rapid connections refused, want at least 2 with a limit of 2/s", refused)
	}
}

// TestUserConnectionLimit: one connection too many for a user is closed with
// 3504 (connection limit, no reconnect); the others stay.
func TestUserConnectionLimit(t *testing.T) {
	ts := startServer(t, func(cfg *config.Config) { cfg.Client.UserConnectionLimit = 2 })
	for range 2 {
		connect(t, newClient(t, ts, protoJSON, centrifuge.Config{Token: userToken(t, "busy")}))
	}
	c := newClient(t, ts, protoJSON, centrifuge.Config{Token: userToken(t, "busy")})
	disconnected := make(chan centrifuge.DisconnectedEvent, 1)
	c.OnDisconnected(feed[centrifuge.DisconnectedEvent](t, disconnected))
	_ = c.Connect()
	if e := waitFor(t, disconnected, "third connection refused"); e.Code != 3504 {
		t.Fatalf("code %d, want 3504", e.Code)
	}
	other := newClient(t, ts, protoJSON, centrifuge.Config{Token: userToken(t, "someone-else")})
	connect(t, other)
}

// TestDebugEndpoint: pprof is served on the internal port, to API key
// holders only.
func TestDebugEndpoint(t *testing.T) {
	ts := startServer(t, func(cfg *config.Config) {
		cfg.Debug.Enabled = true
		cfg.HTTPServer.InternalAddress = "127.0.0.1"
		cfg.HTTPServer.InternalPort = freePort(t)
	})
	base := "http://" + ts.srv.InternalAddr().String() + "/debug/pprof/"
	if code, _ := httpGet(t, base); code != http.StatusUnauthorized {
		t.Fatalf("without a key: %d, want 401", code)
	}
	req, _ := http.NewRequestWithContext(ctxT(t), http.MethodGet, base+"goroutine?debug=1", nil)
	req.Header.Set("X-API-Key", testAPIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "goroutine profile") {
		t.Fatalf("with the key: %d %.200s", resp.StatusCode, body)
	}
	if code, _ := httpGet(t, "http://"+ts.srv.Addr().String()+"/debug/pprof/"); code != http.StatusNotFound {
		t.Fatalf("pprof on the client port: %d, want 404", code)
	}
}

// TestUserIDHTTPHeader: with client.user_id_http_header, a trusted proxy's
// header names the user of a connection without a token.
func TestUserIDHTTPHeader(t *testing.T) {
	ts := startServer(t, func(cfg *config.Config) { cfg.Client.UserIDHTTPHeader = "X-User-Id" })
	c := newClient(t, ts, protoJSON, centrifuge.Config{Header: http.Header{"X-User-Id": []string{"from-proxy"}}})
	connect(t, c)
	sub, _ := subscribe(t, c, "chat:hdr", centrifuge.SubscriptionConfig{})
	pr, err := sub.Presence(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, ci := range pr.Clients {
		if ci.User != "from-proxy" {
			t.Fatalf("user %q, want from-proxy", ci.User)
		}
	}
	if len(pr.Clients) != 1 {
		t.Fatalf("presence %+v", pr.Clients)
	}
}
