package bridgegrpc_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/bridge"
	"github.com/gyrehq/gyre/bridge/bridgegrpc"
	"github.com/gyrehq/gyre/bridge/bridgetest"
	"github.com/gyrehq/gyre/bridge/interceptors"
	"github.com/gyrehq/gyre/bridge/rpcroute"
	"github.com/gyrehq/gyre/bridge/topics"
	"github.com/gyrehq/gyre/proxy/grpcproxy"
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

func TestOverGRPCWithGyreProxy(t *testing.T) {
	for _, binary := range []bool{false, true} {
		t.Run(map[bool]string{false: "json", true: "binary"}[binary], func(t *testing.T) {
			a := &app{}
			addr := bridgetest.ServeGRPC(t, a.bridge(t))
			p, err := grpcproxy.New(grpcproxy.Config{Name: "default", Endpoint: "grpc://" + addr, Timeout: 5 * time.Second,
				HTTPHeaders: []string{"X-Trace"}, BinaryEncoding: binary, Compression: true})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			runConformance(t, p, a, binary)
		})
	}
}

// proxy is what grpcproxy.Proxy implements.
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
	// The handler's deadline is the proxy's gRPC deadline (5s from the call).
	if d := deadline.Sub(start); d <= 4*time.Second || d > 5*time.Second+time.Second/10 {
		t.Fatalf("handler deadline %v after the call, want ~5s", d)
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

func TestMissingServiceIsInternalErrorOverGRPC(t *testing.T) {
	b, _ := bridge.New()
	addr := bridgetest.ServeGRPC(t, b)
	p, _ := grpcproxy.New(grpcproxy.Config{Name: "default", Endpoint: addr})
	defer p.Close()
	_, err := p.ProxyRPC(context.Background(), gyre.RPCProxyRequest{Method: "x"})
	var ge gyre.Error
	if !errors.As(err, &ge) || ge.Code != 100 || !ge.Temporary {
		t.Fatalf("err = %v", err)
	}
}

func TestListen(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "bridge.sock")
	for _, addr := range []string{"tcp://127.0.0.1:0", "127.0.0.1:0", "unix://" + sock} {
		l, err := bridgegrpc.Listen(addr)
		if err != nil {
			t.Fatalf("Listen(%q): %v", addr, err)
		}
		l.Close()
	}
	// A stale socket file is removed: listening twice works.
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	if ul, ok := l.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(false)
	}
	l.Close()
	l, err = bridgegrpc.Listen("unix://" + sock)
	if err != nil {
		t.Fatalf("stale socket: %v", err)
	}
	l.Close()
	if _, err := bridgegrpc.Listen("http://x:1"); err == nil {
		t.Fatal("http:// accepted")
	}
}

func TestServeAndShutdown(t *testing.T) {
	b, _ := bridge.New(bridge.OnRPC(func(ctx context.Context, req *bridge.RPCRequest) error { return req.RespondJSON(1) }))
	s, err := bridgegrpc.FromConfig(b, bridge.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	l, err := bridgegrpc.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	p, _ := grpcproxy.New(grpcproxy.Config{Name: "default", Endpoint: l.Addr().String()})
	if d, err := p.ProxyRPC(context.Background(), gyre.RPCProxyRequest{Method: "x"}); err != nil || string(d) != "1" {
		t.Fatalf("rpc %q %v", d, err)
	}
	p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
