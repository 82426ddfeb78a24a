package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/centrifugal/centrifuge-go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/bridge/apipb"
	"github.com/gyrehq/gyre/bridge/proxypb"
	"github.com/gyrehq/gyre/config"
	"github.com/gyrehq/gyre/server"
)

// httpBackend answers Gyre's HTTP proxy the way an application would.
func httpBackend(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	decode := func(r *http.Request) map[string]any {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return m
	}
	mux.HandleFunc("/connect", func(w http.ResponseWriter, r *http.Request) {
		req := decode(r)
		data, _ := req["data"].(map[string]any)
		if data["password"] != "open sesame" {
			reply(w, map[string]any{"error": map[string]any{"code": 1001, "message": "wrong password"}})
			return
		}
		reply(w, map[string]any{"result": map[string]any{"user": "http-user", "data": map[string]any{"hello": "http"}}})
	})
	mux.HandleFunc("/subscribe", func(w http.ResponseWriter, r *http.Request) {
		req := decode(r)
		if req["user"] != "http-user" {
			reply(w, map[string]any{"error": map[string]any{"code": 1403, "message": "who are you"}})
			return
		}
		reply(w, map[string]any{"result": map[string]any{}})
	})
	mux.HandleFunc("/publish", func(w http.ResponseWriter, r *http.Request) {
		req := decode(r)
		reply(w, map[string]any{"result": map[string]any{"data": map[string]any{"rewritten": req["data"]}}})
	})
	mux.HandleFunc("/rpc", func(w http.ResponseWriter, r *http.Request) {
		req := decode(r)
		reply(w, map[string]any{"result": map[string]any{"data": map[string]any{"method": req["method"], "user": req["user"]}}})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// grpcBackend answers Gyre's gRPC proxy.
type grpcBackend struct {
	proxypb.UnimplementedCentrifugoProxyServer
}

func (grpcBackend) Connect(_ context.Context, r *proxypb.ConnectRequest) (*proxypb.ConnectResponse, error) {
	if string(r.Data) != `{"password":"open sesame"}` {
		return &proxypb.ConnectResponse{Error: &proxypb.Error{Code: 1001, Message: "wrong password"}}, nil
	}
	return &proxypb.ConnectResponse{Result: &proxypb.ConnectResult{User: "grpc-user", Data: []byte(`{"hello":"grpc"}`)}}, nil
}

func (grpcBackend) Subscribe(_ context.Context, r *proxypb.SubscribeRequest) (*proxypb.SubscribeResponse, error) {
	if r.User != "grpc-user" {
		return &proxypb.SubscribeResponse{Error: &proxypb.Error{Code: 1403, Message: "who are you"}}, nil
	}
	return &proxypb.SubscribeResponse{Result: &proxypb.SubscribeResult{}}, nil
}

func (grpcBackend) Publish(_ context.Context, r *proxypb.PublishRequest) (*proxypb.PublishResponse, error) {
	return &proxypb.PublishResponse{Result: &proxypb.PublishResult{Data: []byte(`{"rewritten":` + string(r.Data) + `}`)}}, nil
}

func (grpcBackend) RPC(_ context.Context, r *proxypb.RPCRequest) (*proxypb.RPCResponse, error) {
	return &proxypb.RPCResponse{Result: &proxypb.RPCResult{Data: []byte(`{"method":"` + r.Method + `","user":"` + r.User + `"}`)}}, nil
}

func startGRPCBackend(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	proxypb.RegisterCentrifugoProxyServer(gs, grpcBackend{})
	go func() { _ = gs.Serve(ln) }()
	t.Cleanup(gs.Stop)
	return "grpc://" + ln.Addr().String()
}

// TestProxiesEndToEnd: a centrifuge-go client connects through a connect
// proxy that sets its user, subscribes through a subscribe proxy, publishes
// through a publish proxy that rewrites the data and calls an RPC — with
// the backend on HTTP and on gRPC; the gRPC server API publishes to it.
func TestProxiesEndToEnd(t *testing.T) {
	for _, backend := range []string{"http", "grpc", "embedded"} {
		t.Run(backend, func(t *testing.T) {
			var endpoint func(event string) string
			user := backend + "-user"
			var opts server.Options
			switch backend {
			case "http":
				base := httpBackend(t)
				endpoint = func(event string) string { return base + "/" + event }
			case "grpc":
				addr := startGRPCBackend(t)
				endpoint = func(string) string { return addr }
			case "embedded":
				// The same gRPC backend, called in process with no network hop.
				user = "grpc-user"
				opts.Bridge = grpcBackend{}
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
				cfg.Channel.Namespaces = append(cfg.Channel.Namespaces, config.Namespace{Name: "proxied", ChannelOptions: gyre.ChannelOptions{
					SubscribeProxyEnabled: true, PublishProxyEnabled: true,
				}})
				cfg.GRPCAPI.Enabled = true
				cfg.GRPCAPI.Address = "127.0.0.1"
				cfg.GRPCAPI.Port = 0
				cfg.GRPCAPI.Key = "grpc-api-key"
			}, opts)
			for _, p := range protocols {
				t.Run(string(p), func(t *testing.T) {
					// A wrong password is the application's error, passed as is.
					bad := newClient(t, ts, p, centrifuge.Config{Data: []byte(`{"password":"nope"}`)})
					errs := make(chan error, 1)
					bad.OnError(func(e centrifuge.ErrorEvent) {
						select {
						case errs <- e.Error:
						default:
						}
					})
					_ = bad.Connect()
					if err := waitFor(t, errs, "connect error"); !containsCode(err, 1001) {
						t.Fatalf("connect error = %v, want code 1001", err)
					}
					bad.Close()

					c := newClient(t, ts, p, centrifuge.Config{Data: []byte(`{"password":"open sesame"}`)})
					connected := make(chan centrifuge.ConnectedEvent, 1)
					c.OnConnected(feed[centrifuge.ConnectedEvent](t, connected))
					if err := c.Connect(); err != nil {
						t.Fatal(err)
					}
					ev := waitFor(t, connected, "connected")
					if want := `{"hello":"` + strings.TrimSuffix(user, "-user") + `"}`; string(ev.Data) != want {
						t.Fatalf("connect data = %s", ev.Data)
					}
					ch := "proxied:room-" + string(p)
					sub, pubs := subscribe(t, c, ch, centrifuge.SubscriptionConfig{})
					if _, err := sub.Publish(ctxT(t), []byte(`{"text":"hi"}`)); err != nil {
						t.Fatal(err)
					}
					e := waitFor(t, pubs, "rewritten publication")
					if string(e.Data) != `{"rewritten":{"text":"hi"}}` || e.Info == nil || e.Info.User != user {
						t.Fatalf("publication %s from %+v", e.Data, e.Info)
					}
					res, err := c.RPC(ctxT(t), "whoami", []byte(`{}`))
					if err != nil {
						t.Fatal(err)
					}
					if string(res.Data) != `{"method":"whoami","user":"`+user+`"}` {
						t.Fatalf("rpc data = %s", res.Data)
					}

					// The gRPC server API (generated client) publishes to it.
					conn, err := grpc.NewClient(ts.srv.GRPCAddr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
					if err != nil {
						t.Fatal(err)
					}
					defer conn.Close()
					api := apipb.NewCentrifugoApiClient(conn)
					ctx := metadata.AppendToOutgoingContext(ctxT(t), "authorization", "apikey grpc-api-key")
					resp, err := api.Publish(ctx, &apipb.PublishRequest{Channel: ch, Data: []byte(`{"from":"grpc api"}`)})
					if err != nil || resp.Error != nil {
						t.Fatalf("gRPC publish: %v %v", err, resp.GetError())
					}
					if e := waitFor(t, pubs, "API publication"); string(e.Data) != `{"from":"grpc api"}` {
						t.Fatalf("API publication %s", e.Data)
					}
					if _, err := api.Publish(metadata.AppendToOutgoingContext(ctxT(t), "authorization", "apikey wrong"), &apipb.PublishRequest{Channel: ch, Data: []byte(`{}`)}); err == nil {
						t.Fatal("gRPC API accepted a wrong key")
					}
				})
			}
		})
	}
}

func containsCode(err error, code uint32) bool {
	var e centrifuge.Error
	if errorsAs(err, &e) {
		return e.Code == code
	}
	var pe *centrifuge.Error
	if errorsAs(err, &pe) {
		return pe.Code == code
	}
	return false
}
