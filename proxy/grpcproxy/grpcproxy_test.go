package grpcproxy_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/bridge/proxypb"
	"github.com/gyrehq/gyre/config"
	"github.com/gyrehq/gyre/proxy/grpcproxy"
	"github.com/gyrehq/gyre/proxy/httpproxy"
	"github.com/gyrehq/gyre/proxy/proxytest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func newProxy(t *testing.T, cfg grpcproxy.Config) *grpcproxy.Proxy {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "test"
	}
	p, err := grpcproxy.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func TestConformance(t *testing.T) {
	proxytest.Run(t, proxytest.Transport{
		Serve:    proxytest.ServeGRPC,
		Endpoint: func(addr string) string { return "grpc://" + addr },
		New: func(t *testing.T, endpoint string, o proxytest.Options) proxytest.Proxy {
			return newProxy(t, grpcproxy.Config{Endpoint: endpoint, Timeout: o.Timeout, HTTPHeaders: o.Headers,
				StaticMetadata: o.Static, BinaryEncoding: o.Binary, IncludeConnectionMeta: o.IncludeMeta})
		},
		ErrProxyFailed: grpcproxy.ErrProxyFailed,
	})
}

var client = gyre.ProxyClient{ClientID: "c1", Transport: "websocket", Protocol: "json", User: "42",
	Headers: map[string][]string{"X-Md": {"v"}, "Bad Key!": {"x"}, "Grpc-Timeout": {"1S"}}}

// backend is a CentrifugoProxy server with programmable answers.
type backend struct {
	proxypb.UnimplementedCentrifugoProxyServer
	mu          sync.Mutex
	md          metadata.MD
	compression string
	err         error
	res         *proxypb.RPCResponse
	pub         *proxypb.PublishResponse
}

func (b *backend) Publish(context.Context, *proxypb.PublishRequest) (*proxypb.PublishResponse, error) {
	return b.pub, nil
}

func (b *backend) RPC(ctx context.Context, _ *proxypb.RPCRequest) (*proxypb.RPCResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.md = md
	return b.res, b.err
}

// The stats.Handler methods record the compression of incoming requests.
func (b *backend) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }
func (b *backend) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}
func (b *backend) HandleConn(context.Context, stats.ConnStats) {}
func (b *backend) HandleRPC(_ context.Context, s stats.RPCStats) {
	if h, ok := s.(*stats.InHeader); ok {
		b.mu.Lock()
		b.compression = h.Compression
		b.mu.Unlock()
	}
}

func (b *backend) seen() metadata.MD {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.md
}

// serve starts b on 127.0.0.1:0 and returns its address.
func serve(t *testing.T, b *backend) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.StatsHandler(b))
	proxypb.RegisterCentrifugoProxyServer(srv, b)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(lis)
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-done
	})
	return lis.Addr().String()
}

func TestMetadataCredentialsCompression(t *testing.T) {
	b := &backend{res: &proxypb.RPCResponse{Result: &proxypb.RPCResult{Data: []byte(`"ok"`)}}}
	addr := serve(t, b)
	p := newProxy(t, grpcproxy.Config{Endpoint: addr, GRPCMetadata: []string{"x-md", "bad key!", "grpc-timeout"},
		StaticMetadata: map[string]string{"X-Static": "s"}, CredentialsKey: "Token", CredentialsValue: "secret", Compression: true})
	data, err := p.ProxyRPC(context.Background(), gyre.RPCProxyRequest{Client: client, Method: "m"})
	if err != nil || string(data) != `"ok"` {
		t.Fatalf("rpc = %q, %v", data, err)
	}
	md := b.seen()
	for k, want := range map[string][]string{"x-md": {"v"}, "x-static": {"s"}, "token": {"secret"}} {
		if got := md.Get(k); !slices.Equal(got, want) {
			t.Errorf("metadata %s = %q, want %q", k, got, want)
		}
	}
	if got := md.Get("bad key!"); len(got) != 0 {
		t.Errorf("invalid key forwarded: %q", got)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.compression != "gzip" {
		t.Errorf("request compression = %q, want gzip", b.compression)
	}
}

func TestStatusErrors(t *testing.T) {
	for name, b := range map[string]*backend{
		"unavailable":     {err: status.Error(codes.Unavailable, "down")},
		"unimplemented":   {err: status.Error(codes.Unimplemented, "no")},
		"bad b64data":     {res: &proxypb.RPCResponse{Result: &proxypb.RPCResult{B64Data: "!!"}}},
		"error no code":   {res: &proxypb.RPCResponse{Error: &proxypb.Error{Message: "x"}}},
		"disconnect zero": {res: &proxypb.RPCResponse{Disconnect: &proxypb.Disconnect{}}},
	} {
		t.Run(name, func(t *testing.T) {
			p := newProxy(t, grpcproxy.Config{Name: "rr", Endpoint: serve(t, b)})
			_, err := p.ProxyRPC(context.Background(), gyre.RPCProxyRequest{Client: client, Method: "m", Data: []byte("secret-body")})
			if !errors.Is(err, grpcproxy.ErrProxyFailed) || !errors.Is(err, httpproxy.ErrProxyFailed) {
				t.Fatalf("err = %v, want ErrProxyFailed", err)
			}
			if msg := err.Error(); !strings.Contains(msg, `grpcproxy "rr" rpc`) || strings.Contains(msg, "secret-body") {
				t.Errorf("error message %q", msg)
			}
		})
	}
}

func TestPayloadPrecedence(t *testing.T) {
	b := &backend{
		res: &proxypb.RPCResponse{Result: &proxypb.RPCResult{Data: []byte("raw"), B64Data: "AQ=="}},
		pub: &proxypb.PublishResponse{Result: &proxypb.PublishResult{Data: []byte("raw"), B64Data: "AQ=="}},
	}
	p := newProxy(t, grpcproxy.Config{Endpoint: serve(t, b)})
	data, err := p.ProxyRPC(context.Background(), gyre.RPCProxyRequest{Client: client, Method: "m"})
	if err != nil || string(data) != "\x01" {
		t.Errorf("rpc: b64data must beat data, got %q, %v", data, err)
	}
	pub, err := p.ProxyPublish(context.Background(), gyre.PublishProxyRequest{Client: client, Channel: "c", Data: []byte("1")})
	if err != nil || string(pub.Data) != "raw" {
		t.Errorf("publish: data must beat b64data, got %+v, %v", pub, err)
	}
}

func TestCloseAndLazyConnect(t *testing.T) {
	// New does not connect: an endpoint nobody listens on is fine until a
	// call.
	p, err := grpcproxy.New(grpcproxy.Config{Name: "lazy", Endpoint: "127.0.0.1:1", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = p.ProxyRPC(context.Background(), gyre.RPCProxyRequest{Client: client, Method: "m"})
	if !errors.Is(err, grpcproxy.ErrProxyFailed) || !strings.Contains(err.Error(), "closed") {
		t.Errorf("call after Close: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestNewAndTarget(t *testing.T) {
	for _, e := range []string{"", "http://a:1", "host", "grpc://host", "a:0", "a:x", "grpc://a:70000"} {
		if _, err := grpcproxy.New(grpcproxy.Config{Name: "n", Endpoint: e}); err == nil {
			t.Errorf("New(%q) succeeded", e)
		}
	}
	for in, want := range map[string]string{"grpc://rr:10001": "rr:10001", "GRPC://[::1]:5": "[::1]:5", "127.0.0.1:9": "127.0.0.1:9"} {
		if got, err := grpcproxy.Target(in); err != nil || got != want {
			t.Errorf("Target(%q) = %q, %v", in, got, err)
		}
	}
	p := newProxy(t, grpcproxy.Config{Name: "named", Endpoint: "h:1"})
	if p.Name() != "named" {
		t.Errorf("Name = %q", p.Name())
	}
}

func TestFromConfig(t *testing.T) {
	p := config.Proxy{Endpoint: "grpc://rr:1", HTTPHeaders: []string{"Cookie"}, GRPCMetadata: []string{"m"}, BinaryEncoding: true,
		GRPC: config.ProxyGRPC{Compression: true, StaticMetadata: map[string]string{"a": "b"}, CredentialsKey: "k", CredentialsValue: "v"}}
	c := grpcproxy.FromConfig("n", p)
	if c.Name != "n" || c.Endpoint != "grpc://rr:1" || c.Timeout != time.Second || !c.BinaryEncoding || c.IncludeConnectionMeta ||
		c.HTTPHeaders[0] != "Cookie" || c.GRPCMetadata[0] != "m" || !c.Compression || c.StaticMetadata["a"] != "b" ||
		c.CredentialsKey != "k" || c.CredentialsValue != "v" {
		t.Errorf("FromConfig = %+v", c)
	}
}
