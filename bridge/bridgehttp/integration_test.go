package bridgehttp_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/bridge"
	"github.com/gyrehq/gyre/bridge/bridgehttp"
	"github.com/gyrehq/gyre/bridge/bridgetest"
	"github.com/gyrehq/gyre/bridge/interceptors"
	"github.com/gyrehq/gyre/bridge/rpcroute"
	"github.com/gyrehq/gyre/bridge/topics"
	"github.com/gyrehq/gyre/proxy/httpproxy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// app is a bridge with every service, the Auth interceptor on connect, and
// a record of the last request's deadline and headers.
type app struct {
	mu       sync.Mutex
	deadline time.Time
	headers  map[string][]string
	data     []byte
}

func (a *app) bridge(t *testing.T) *bridge.Bridge {
	t.Helper()
	record := func(ctx context.Context, req bridge.Request, next bridge.Handler) error {
		a.mu.Lock()
		a.deadline, _ = ctx.Deadline()
		a.headers = req.Info().Headers
		a.data = req.Payload()
		a.mu.Unlock()
		return next(ctx, req)
	}
	auth := interceptors.Auth(interceptors.AuthConfig{Verify: func(_ context.Context, tok string, _ bridge.Request) (any, error) {
		if tok == "secret" {
			return "42", nil
		}
		return nil, errors.New("bad token")
	}})
	b, err := bridge.New(
		bridge.WithInterceptors(bridge.AllTypes, record),
		bridge.WithInterceptors(string(bridge.Connect), auth),
		bridge.OnConnect(func(ctx context.Context, req *bridge.ConnectRequest) error {
			id, _ := bridge.ActorAs[string](ctx)
			return req.Respond(bridge.ConnectResult{User: id, ExpireAt: 1700000000, Info: []byte(`{"name":"Alex"}`), Channels: []string{"user.42"},
				Subs: map[string]bridge.SubscribeOptions{"news": {Data: []byte(`{"n":1}`), Override: &bridge.Override{Presence: bridge.Bool(true)}}}})
		}),
		bridge.OnRefresh(func(ctx context.Context, req *bridge.RefreshRequest) error {
			return req.Respond(bridge.RefreshResult{ExpireAt: 1800000000, Info: []byte(`{"v":2}`)})
		}),
		bridge.WithService(bridge.Subscribe, topics.New().MustRegister("user.{id}", func(_ context.Context, m topics.Match) (bool, error) {
			return m.Params["id"] == m.User, nil
		}).Service()),
		bridge.OnPublish(func(ctx context.Context, req *bridge.PublishRequest) error {
			if req.Channel == "readonly" {
				return req.Disconnect(4503, "read only")
			}
			return req.Respond(bridge.PublishResult{Data: []byte(`{"rewritten":true}`), SkipHistory: true})
		}),
		bridge.WithService(bridge.RPC, rpcroute.New().MustRegister("ping", func(context.Context, *bridge.RPCRequest) (any, error) { return "pong", nil })),
		bridge.OnSubRefresh(func(ctx context.Context, req *bridge.SubRefreshRequest) error {
			return req.Respond(bridge.SubRefreshResult{Expired: true})
		}),
	)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// proxy is what the per-event proxies implement together.
type proxy interface {
	gyre.ConnectProxy
	gyre.RefreshProxy
	gyre.SubscribeProxy
	gyre.PublishProxy
	gyre.SubRefreshProxy
	gyre.RPCProxy
}

func runConformance(t *testing.T, p proxy, a *app, binary bool) {
	ctx := context.Background()
	client := gyre.ProxyClient{ClientID: "c1", Transport: "websocket", Protocol: "json", User: "42", Headers: map[string][]string{"X-Trace": {"t-1"}, "Cookie": {"no"}}}

	start := time.Now()
	cr, err := p.ProxyConnect(ctx, gyre.ConnectProxyRequest{Client: client, Data: []byte(`{"authToken":"secret"}`), Name: "js"})
	if err != nil {
		t.Fatal(err)
	}
	if cr.User != "42" || cr.ExpireAt != 1700000000 || string(cr.Info) != `{"name":"Alex"}` || cr.Channels[0] != "user.42" ||
		string(cr.Subs["news"].Data) != `{"n":1}` || !*cr.Subs["news"].Override.Presence {
		t.Fatalf("connect result %+v", cr)
	}
	a.mu.Lock()
	deadline, headers, data := a.deadline, a.headers, a.data
	a.mu.Unlock()
	// The handler's deadline is bridgehttp's timeout (3s).
	if d := deadline.Sub(start); d <= 2*time.Second || d > 3*time.Second+time.Second/10 {
		t.Fatalf("handler deadline %v after the call, want ~3s", d)
	}
	if headers["x-trace"][0] != "t-1" || headers["cookie"] != nil {
		t.Fatalf("headers %v", headers)
	}
	if string(data) != `{"authToken":"secret"}` { // b64data decoded in binary mode
		t.Fatalf("data %q", data)
	}

	_, err = p.ProxyConnect(ctx, gyre.ConnectProxyRequest{Client: client, Data: []byte(`{"authToken":"nope"}`)})
	var ge gyre.Error
	if !errors.As(err, &ge) || ge.Code != interceptors.CodeUnauthorized {
		t.Fatalf("bad token: %v", err)
	}

	rr, err := p.ProxyRefresh(ctx, gyre.RefreshProxyRequest{Client: client})
	if err != nil || rr.Expired || rr.ExpireAt != 1800000000 || string(rr.Info) != `{"v":2}` {
		t.Fatalf("refresh %+v %v", rr, err)
	}
	if _, err := p.ProxySubscribe(ctx, gyre.SubscribeProxyRequest{Client: client, Channel: "user.42"}); err != nil {
		t.Fatalf("own channel: %v", err)
	}
	_, err = p.ProxySubscribe(ctx, gyre.SubscribeProxyRequest{Client: client, Channel: "user.7"})
	if !errors.As(err, &ge) || ge.Code != topics.CodeForbidden {
		t.Fatalf("other channel: %v", err)
	}
	pr, err := p.ProxyPublish(ctx, gyre.PublishProxyRequest{Client: client, Channel: "chat", Data: []byte(`{"text":"hi"}`)})
	if err != nil || string(pr.Data) != `{"rewritten":true}` || !pr.SkipHistory {
		t.Fatalf("publish %+v %v", pr, err)
	}
	_, err = p.ProxyPublish(ctx, gyre.PublishProxyRequest{Client: client, Channel: "readonly", Data: []byte(`{}`)})
	var gd gyre.Disconnect
	if !errors.As(err, &gd) || gd.Code != 4503 || gd.Reason != "read only" {
		t.Fatalf("publish disconnect: %v", err)
	}
	data2, err := p.ProxyRPC(ctx, gyre.RPCProxyRequest{Client: client, Method: "ping"})
	if err != nil || string(data2) != `"pong"` {
		t.Fatalf("rpc %q %v", data2, err)
	}
	_, err = p.ProxyRPC(ctx, gyre.RPCProxyRequest{Client: client, Method: "nope"})
	if !errors.As(err, &ge) || ge.Code != rpcroute.CodeMethodNotFound {
		t.Fatalf("rpc unknown: %v", err)
	}
	sr, err := p.ProxySubRefresh(ctx, gyre.SubRefreshProxyRequest{Client: client, Channel: "user.42"})
	if err != nil || !sr.Expired {
		t.Fatalf("sub_refresh %+v %v", sr, err)
	}
}

// perEvent routes each event to the httpproxy.Proxy of its endpoint, as a
// server configured with one endpoint per event does.
type perEvent struct{ connect, refresh, subscribe, publish, rpc, subRefresh *httpproxy.Proxy }

func (p perEvent) ProxyConnect(ctx context.Context, r gyre.ConnectProxyRequest) (*gyre.ConnectProxyResult, error) {
	return p.connect.ProxyConnect(ctx, r)
}
func (p perEvent) ProxyRefresh(ctx context.Context, r gyre.RefreshProxyRequest) (*gyre.RefreshProxyResult, error) {
	return p.refresh.ProxyRefresh(ctx, r)
}
func (p perEvent) ProxySubscribe(ctx context.Context, r gyre.SubscribeProxyRequest) (*gyre.SubscribeGrant, error) {
	return p.subscribe.ProxySubscribe(ctx, r)
}
func (p perEvent) ProxyPublish(ctx context.Context, r gyre.PublishProxyRequest) (*gyre.PublishProxyResult, error) {
	return p.publish.ProxyPublish(ctx, r)
}
func (p perEvent) ProxyRPC(ctx context.Context, r gyre.RPCProxyRequest) ([]byte, error) {
	return p.rpc.ProxyRPC(ctx, r)
}
func (p perEvent) ProxySubRefresh(ctx context.Context, r gyre.SubRefreshProxyRequest) (*gyre.SubRefreshProxyResult, error) {
	return p.subRefresh.ProxySubRefresh(ctx, r)
}

func (p perEvent) close() {
	for _, x := range []*httpproxy.Proxy{p.connect, p.refresh, p.subscribe, p.publish, p.rpc, p.subRefresh} {
		x.Close()
	}
}

func newPerEvent(t *testing.T, base string, binary bool) perEvent {
	t.Helper()
	mk := func(path string) *httpproxy.Proxy {
		p, err := httpproxy.New(httpproxy.Config{Name: "default", Endpoint: base + path, Timeout: 5 * time.Second,
			HTTPHeaders: []string{"X-Trace"}, BinaryEncoding: binary})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	return perEvent{mk("/gyre/connect"), mk("/gyre/refresh"), mk("/gyre/subscribe"), mk("/gyre/publish"), mk("/gyre/rpc"), mk("/gyre/sub_refresh")}
}

func TestOverHTTPWithGyreProxy(t *testing.T) {
	for _, binary := range []bool{false, true} {
		t.Run(map[bool]string{false: "json", true: "binary"}[binary], func(t *testing.T) {
			a := &app{}
			base := bridgetest.ServeHTTP(t, a.bridge(t), bridgehttp.WithTimeout(3*time.Second))
			p := newPerEvent(t, base, binary)
			defer p.close()
			runConformance(t, p, a, binary)
		})
	}
}

func TestHTTPStatuses(t *testing.T) {
	b, _ := bridge.New(bridge.OnRPC(func(ctx context.Context, req *bridge.RPCRequest) error {
		return req.Respond(bridge.RPCResult{Data: []byte{0xff}})
	}))
	base := bridgetest.ServeHTTP(t, b)
	tests := []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"GET", "/rpc", "", http.StatusMethodNotAllowed, ""},
		{"POST", "/unknown", "{}", http.StatusNotFound, ""},
		{"POST", "/rpc", "not json", http.StatusBadRequest, ""},
		{"POST", "/rpc", `{"b64data":"%%"}`, http.StatusBadRequest, ""},
		{"POST", "/rpc", `{"method":"x"}`, http.StatusOK, `{"result":{"b64data":"/w=="}}` + "\n"}, // not JSON → b64 twin
		{"POST", "/publish", `{}`, http.StatusOK, `{"error":{"code":100,"message":"internal server error","temporary":true}}` + "\n"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, base+tt.path, bytes.NewBufferString(tt.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || (tt.want != "" && buf.String() != tt.want) {
			t.Errorf("%s %s %s: %d %q", tt.method, tt.path, tt.body, resp.StatusCode, buf.String())
		}
	}
	http.DefaultClient.CloseIdleConnections()
}
