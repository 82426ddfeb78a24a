// Package bridgetest helps test bridge services and interceptors: request
// builders with JSON data, Run to dispatch one request through a service
// and interceptors with the Bridge's exactly-once semantics, and servers
// on 127.0.0.1 (gRPC and HTTP) stopped at the end of the test.
//
// # Concurrency
//
// The helpers may be called from parallel tests; each builds its own
// values.
package bridgetest

import (
	"context"
	"encoding/json"
	"net"
	"net/http/httptest"
	"testing"

	"github.com/gyrehq/gyre/bridge"
	"github.com/gyrehq/gyre/bridge/bridgegrpc"
	"github.com/gyrehq/gyre/bridge/bridgehttp"
)

// jsonOf encodes data: nil stays nil, []byte is used as is.
func jsonOf(data any) []byte {
	switch d := data.(type) {
	case nil:
		return nil
	case []byte:
		return d
	case json.RawMessage:
		return d
	}
	b, err := json.Marshal(data)
	if err != nil {
		panic("bridgetest: " + err.Error())
	}
	return b
}

func common(user string) bridge.Common {
	return bridge.Common{Client: "test-client", Transport: "websocket", Protocol: "json", Encoding: "json", User: user}
}

// Connect returns a connect request with data encoded as JSON.
func Connect(data any) *bridge.ConnectRequest {
	return &bridge.ConnectRequest{Common: common(""), Data: jsonOf(data), Name: "bridgetest"}
}

// Refresh returns a refresh request of user.
func Refresh(user string) *bridge.RefreshRequest {
	return &bridge.RefreshRequest{Common: common(user)}
}

// Subscribe returns a subscribe request.
func Subscribe(user, channel string, data any) *bridge.SubscribeRequest {
	return &bridge.SubscribeRequest{Common: common(user), Channel: channel, Data: jsonOf(data)}
}

// Publish returns a publish request.
func Publish(user, channel string, data any) *bridge.PublishRequest {
	return &bridge.PublishRequest{Common: common(user), Channel: channel, Data: jsonOf(data)}
}

// RPC returns an rpc request.
func RPC(user, method string, data any) *bridge.RPCRequest {
	return &bridge.RPCRequest{Common: common(user), Method: method, Data: jsonOf(data)}
}

// SubRefresh returns a subrefresh request.
func SubRefresh(user, channel string) *bridge.SubRefreshRequest {
	return &bridge.SubRefreshRequest{Common: common(user), Channel: channel}
}

// Run dispatches req through ics and s (registered for req's type) and
// returns the answer.
func Run(t testing.TB, s bridge.Service, req bridge.Request, ics ...bridge.Interceptor) bridge.Answer {
	t.Helper()
	b, err := bridge.New(bridge.WithService(req.Type(), s), bridge.WithInterceptors(string(req.Type()), ics...))
	if err != nil {
		t.Fatalf("bridgetest.Run: %v", err)
	}
	return b.Dispatch(context.Background(), req)
}

// ServeGRPC serves b with bridgegrpc on 127.0.0.1:0 until the test ends
// and returns host:port.
func ServeGRPC(t testing.TB, b *bridge.Bridge, opts ...bridgegrpc.Option) string {
	t.Helper()
	s, err := bridgegrpc.New(b, opts...)
	if err != nil {
		t.Fatalf("bridgetest.ServeGRPC: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("bridgetest.ServeGRPC: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		_ = s.Shutdown(context.Background())
		if err := <-done; err != nil {
			t.Errorf("bridgetest.ServeGRPC: %v", err)
		}
	})
	return l.Addr().String()
}

// ServeHTTP serves b with bridgehttp on 127.0.0.1 until the test ends and
// returns the base URL (http://127.0.0.1:port); events are posted to
// base+"/connect" etc.
func ServeHTTP(t testing.TB, b *bridge.Bridge, opts ...bridgehttp.Option) string {
	t.Helper()
	srv := httptest.NewServer(bridgehttp.New(b, opts...))
	t.Cleanup(srv.Close)
	return srv.URL
}
