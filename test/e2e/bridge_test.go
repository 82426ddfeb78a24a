package e2e

import (
	"context"
	"errors"
	"net"
	"net/http/httptest"
	"testing"

	"github.com/centrifugal/centrifuge-go"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/bridge"
	"github.com/gyrehq/gyre/bridge/apiclient"
	"github.com/gyrehq/gyre/bridge/apipb"
	"github.com/gyrehq/gyre/bridge/bridgegrpc"
	"github.com/gyrehq/gyre/bridge/bridgehttp"
	"github.com/gyrehq/gyre/bridge/interceptors"
	"github.com/gyrehq/gyre/bridge/rpcroute"
	"github.com/gyrehq/gyre/bridge/topics"
	"github.com/gyrehq/gyre/config"
	"github.com/gyrehq/gyre/server"
)

// testBridge is an application on the bridge: token auth, topic rules,
// publish rewrite and an RPC method.
func testBridge(t *testing.T) *bridge.Bridge {
	t.Helper()
	auth := interceptors.Auth(interceptors.AuthConfig{
		Verify: func(_ context.Context, token string, _ bridge.Request) (any, error) {
			if token != "secret-of-alice" {
				return nil, bridge.NewError(401, "unauthorized")
			}
			return "alice", nil
		},
	})
	rooms := topics.New().MustRegister("room:{name}", func(_ context.Context, m topics.Match) (bool, error) {
		return m.Params["name"] != "closed", nil
	})
	rpc := rpcroute.New().MustRegister("whoami", func(ctx context.Context, req *bridge.RPCRequest) (any, error) {
		return map[string]string{"user": req.User}, nil
	})
	b, err := bridge.New(
		bridge.WithInterceptors(string(bridge.Connect), auth),
		bridge.OnConnect(func(ctx context.Context, req *bridge.ConnectRequest) error {
			actor, _ := bridge.ActorAs[string](ctx)
			return req.Respond(bridge.ConnectResult{User: actor})
		}),
		bridge.WithService(bridge.Subscribe, rooms.Service()),
		bridge.OnPublish(func(_ context.Context, req *bridge.PublishRequest) error {
			return req.Respond(bridge.PublishResult{Data: []byte(`{"by":"` + req.User + `","text":` + string(req.Data) + `}`)})
		}),
		bridge.WithService(bridge.RPC, rpc),
	)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBridgeWithServer: the bridge answers a real Gyre server's proxy calls
// over gRPC, over HTTP and embedded in the same process; a centrifuge-go
// client connects (auth interceptor), subscribes (topic rules), publishes
// (rewritten), calls an RPC, and the bridge's API client publishes to it.
func TestBridgeWithServer(t *testing.T) {
	for _, mode := range []string{"grpc", "http", "embedded"} {
		t.Run(mode, func(t *testing.T) {
			b := testBridge(t)
			var endpoint func(event string) string
			var opts server.Options
			switch mode {
			case "grpc":
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				srv, err := bridgegrpc.New(b)
				if err != nil {
					t.Fatal(err)
				}
				go func() { _ = srv.Serve(ln) }()
				t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
				endpoint = func(string) string { return "grpc://" + ln.Addr().String() }
			case "http":
				hs := httptest.NewServer(bridgehttp.New(b))
				t.Cleanup(hs.Close)
				endpoint = func(event string) string { return hs.URL + "/" + event }
			case "embedded":
				opts.Bridge = b.ProxyServer()
				endpoint = func(string) string { return config.EmbeddedEndpoint }
			}
			ts := startServerWith(t, func(cfg *config.Config) {
				px := func(event string) config.Proxy {
					return config.Proxy{Endpoint: endpoint(event), Timeout: gyre.Duration(waitTimeout)}
				}
				cfg.Client.Proxy.Connect = config.ToggledProxy{Enabled: true, Proxy: px("connect")}
				cfg.Channel.Proxy.Subscribe = px("subscribe")
				cfg.Channel.Proxy.Publish = px("publish")
				cfg.RPC.Proxy = px("rpc")
				cfg.RPC.WithoutNamespace.ProxyEnabled = true
				cfg.Channel.Namespaces = append(cfg.Channel.Namespaces, config.Namespace{Name: "room", ChannelOptions: gyre.ChannelOptions{
					SubscribeProxyEnabled: true, PublishProxyEnabled: true,
				}})
				cfg.GRPCAPI = config.GRPCAPI{Enabled: true, Address: "127.0.0.1", Key: "bridge-key"}
			}, opts)

			bad := newClient(t, ts, protoJSON, centrifuge.Config{Data: []byte(`{"authToken":"forged"}`)})
			errs := make(chan error, 1)
			bad.OnError(func(e centrifuge.ErrorEvent) {
				select {
				case errs <- e.Error:
				default:
				}
			})
			_ = bad.Connect()
			if err := waitFor(t, errs, "refused connect"); !containsCode(err, 401) {
				t.Fatalf("forged token: %v, want 401", err)
			}
			bad.Close()

			c := newClient(t, ts, protoProtobuf, centrifuge.Config{Data: []byte(`{"authToken":"secret-of-alice"}`)})
			connect(t, c)
			closed, _ := c.NewSubscription("room:closed")
			subErr := make(chan error, 1)
			closed.OnError(func(e centrifuge.SubscriptionErrorEvent) {
				select {
				case subErr <- e.Error:
				default:
				}
			})
			_ = closed.Subscribe()
			if err := waitFor(t, subErr, "refused subscribe"); !containsCode(err, 403) {
				t.Fatalf("room:closed: %v, want 403", err)
			}
			sub, pubs := subscribe(t, c, "room:lobby", centrifuge.SubscriptionConfig{})
			if _, err := sub.Publish(ctxT(t), []byte(`"hi"`)); err != nil {
				t.Fatal(err)
			}
			if e := waitFor(t, pubs, "rewritten publication"); string(e.Data) != `{"by":"alice","text":"hi"}` {
				t.Fatalf("publication %s", e.Data)
			}
			res, err := c.RPC(ctxT(t), "whoami", nil)
			if err != nil {
				t.Fatal(err)
			}
			if string(res.Data) != `{"user":"alice"}` {
				t.Fatalf("rpc %s", res.Data)
			}
			api, err := apiclient.NewGRPC(ts.srv.GRPCAddr().String(), apiclient.WithAPIKey("bridge-key"))
			if err != nil {
				t.Fatal(err)
			}
			defer api.Close()
			if _, err := api.Publish(ctxT(t), &apipb.PublishRequest{Channel: "room:lobby", Data: []byte(`{"from":"app"}`)}); err != nil {
				var ae *apiclient.Error
				if errors.As(err, &ae) {
					t.Fatalf("api publish: code %d %s", ae.Code, ae.Message)
				}
				t.Fatal(err)
			}
			if e := waitFor(t, pubs, "API publication"); string(e.Data) != `{"from":"app"}` {
				t.Fatalf("publication %s", e.Data)
			}
		})
	}
}
