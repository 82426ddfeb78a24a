package httpproxy_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/config"
	"github.com/gyrehq/gyre/proxy/httpproxy"
	"github.com/gyrehq/gyre/proxy/proxytest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func newProxy(t *testing.T, cfg httpproxy.Config) *httpproxy.Proxy {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "test"
	}
	p, err := httpproxy.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func TestConformance(t *testing.T) {
	proxytest.Run(t, proxytest.Transport{
		Serve:    proxytest.ServeHTTP,
		Endpoint: func(addr string) string { return "http://" + addr + "/proxy" },
		New: func(t *testing.T, endpoint string, o proxytest.Options) proxytest.Proxy {
			return newProxy(t, httpproxy.Config{Endpoint: endpoint, Timeout: o.Timeout, HTTPHeaders: o.Headers,
				StaticHeaders: o.Static, BinaryEncoding: o.Binary, IncludeConnectionMeta: o.IncludeMeta})
		},
		ErrProxyFailed: httpproxy.ErrProxyFailed,
	})
}

// serve starts a backend that answers every request with status and body.
func serve(t *testing.T, status int, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

var client = gyre.ProxyClient{ClientID: "c1", Transport: "websocket", Protocol: "json", User: "42"}

func TestGarbageAnswers(t *testing.T) {
	tests := []struct {
		name, body string
		status     int
		want       string // in the error message
	}{
		{"not JSON", `<html>oops</html>`, 200, "invalid response: not a JSON object"},
		{"empty", ``, 200, "invalid response: not a JSON object"},
		{"null", `null`, 200, "invalid response: not a JSON object"},
		{"array", `[1]`, 200, "invalid response: not a JSON object"},
		{"truncated", `{"result":{"user":"4`, 200, "invalid response"},
		{"trailing garbage", `{"result":{}} x`, 200, "invalid response"},
		{"user not a string", `{"result":{"user":42}}`, 200, "invalid response"},
		{"expire_at a string", `{"result":{"expire_at":"soon"}}`, 200, "invalid response"},
		{"negative error code", `{"error":{"code":-1}}`, 200, "invalid response"},
		{"error without code", `{"error":{"message":"x"}}`, 200, "invalid response: error without a code"},
		{"disconnect without code", `{"disconnect":{"reason":"x"}}`, 200, "invalid response: disconnect without a code"},
		{"bad b64info", `{"result":{"b64info":"!!"}}`, 200, "invalid response: b64info is not base64"},
		{"bad b64data in subs", `{"result":{"subs":{"c":{"b64data":"%%"}}}}`, 200, "invalid response: b64data is not base64"},
		{"subs wrong type", `{"result":{"subs":["c"]}}`, 200, "invalid response"},
		{"status 500", `{"result":{}}`, 500, "unexpected HTTP status 500"},
		{"status 404", ``, 404, "unexpected HTTP status 404"},
		{"redirect not followed", ``, 302, "unexpected HTTP status 302"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProxy(t, httpproxy.Config{Name: "auth", Endpoint: serve(t, tt.status, tt.body)})
			res, err := p.ProxyConnect(context.Background(), gyre.ConnectProxyRequest{Client: client, Data: []byte(`{"secret":"s3"}`)})
			if !errors.Is(err, httpproxy.ErrProxyFailed) {
				t.Fatalf("got %+v, %v; want ErrProxyFailed", res, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) || !strings.Contains(msg, `httpproxy "auth" connect`) {
				t.Errorf("error %q does not name the proxy or contain %q", msg, tt.want)
			}
			if strings.Contains(msg, "s3") {
				t.Errorf("error %q leaks the request body", msg)
			}
		})
	}
}

func TestStatusTransforms(t *testing.T) {
	cfg := config.Default().Channel.Proxy.Publish
	cfg.HTTP.StatusToCodeTransforms = []config.StatusTransform{
		{StatusCode: 403, ToError: config.TransformError{Code: 403, Message: "forbidden", Temporary: true}},
		{StatusCode: 410, ToDisconnect: config.TransformDisconnect{Code: 4501, Reason: "gone"}},
	}
	for status, want := range map[int]error{
		403: gyre.Error{Code: 403, Message: "forbidden", Temporary: true},
		410: gyre.Disconnect{Code: 4501, Reason: "gone"},
	} {
		cfg.Endpoint = serve(t, status, "ignored")
		p := newProxy(t, httpproxy.FromConfig("pub", cfg))
		_, err := p.ProxyPublish(context.Background(), gyre.PublishProxyRequest{Client: client, Channel: "c", Data: []byte(`1`)})
		if err != want {
			t.Errorf("status %d: err = %v, want %v", status, err, want)
		}
	}
	cfg.Endpoint = serve(t, 500, "")
	p := newProxy(t, httpproxy.FromConfig("pub", cfg))
	if _, err := p.ProxyPublish(context.Background(), gyre.PublishProxyRequest{Client: client, Channel: "c"}); !errors.Is(err, httpproxy.ErrProxyFailed) {
		t.Errorf("unmapped status: err = %v", err)
	}
}

func TestPrecedence(t *testing.T) {
	ctx := context.Background()
	// Publish: non-null data beats b64data; elsewhere b64 beats raw.
	p := newProxy(t, httpproxy.Config{Endpoint: serve(t, 200, `{"result":{"data":{"a":1},"b64data":"AQ=="}}`)})
	pub, err := p.ProxyPublish(ctx, gyre.PublishProxyRequest{Client: client, Channel: "c", Data: []byte(`1`)})
	if err != nil || string(pub.Data) != `{"a":1}` {
		t.Errorf("publish = %+v, %v", pub, err)
	}
	p = newProxy(t, httpproxy.Config{Endpoint: serve(t, 200, `{"result":{"data":null,"b64data":"AQ=="}}`)})
	pub, err = p.ProxyPublish(ctx, gyre.PublishProxyRequest{Client: client, Channel: "c", Data: []byte(`1`)})
	if err != nil || string(pub.Data) != "\x01" {
		t.Errorf("publish with null data = %+v, %v", pub, err)
	}
	p = newProxy(t, httpproxy.Config{Endpoint: serve(t, 200, `{"result":{"data":{"a":1},"b64data":"AQ=="}}`)})
	data, err := p.ProxyRPC(ctx, gyre.RPCProxyRequest{Client: client, Method: "m"})
	if err != nil || string(data) != "\x01" {
		t.Errorf("rpc = %q, %v", data, err)
	}
	p = newProxy(t, httpproxy.Config{Endpoint: serve(t, 200, `{"result":null,"error":null,"disconnect":null}`)})
	if res, err := p.ProxyConnect(ctx, gyre.ConnectProxyRequest{Client: client}); res != nil || err != nil {
		t.Errorf("null result: %+v, %v", res, err)
	}
	p = newProxy(t, httpproxy.Config{Endpoint: serve(t, 200, `{"result":{"user":"","info":null,"meta":null},"extra":1}`)})
	res, err := p.ProxyConnect(ctx, gyre.ConnectProxyRequest{Client: client})
	if err != nil || res == nil || res.User != "" || res.Info != nil || res.Meta != nil {
		t.Errorf("anonymous result: %+v, %v", res, err)
	}
}

func TestRequestPayloadNotJSON(t *testing.T) {
	p := newProxy(t, httpproxy.Config{Name: "x", Endpoint: serve(t, 200, `{}`)})
	_, err := p.ProxyRPC(context.Background(), gyre.RPCProxyRequest{Client: client, Method: "m", Data: []byte{0xff, 0x00}})
	if !errors.Is(err, httpproxy.ErrProxyFailed) || !strings.Contains(err.Error(), "binary_encoding") {
		t.Errorf("err = %v", err)
	}
}

func TestResponseTooLarge(t *testing.T) {
	body := `{"result":{"data":"` + strings.Repeat("x", httpproxy.MaxResponseSize) + `"}}`
	p := newProxy(t, httpproxy.Config{Endpoint: serve(t, 200, body), Timeout: 10 * time.Second})
	_, err := p.ProxyRPC(context.Background(), gyre.RPCProxyRequest{Client: client, Method: "m"})
	if !errors.Is(err, httpproxy.ErrProxyFailed) || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("err = %v", err)
	}
}

func TestNew(t *testing.T) {
	for _, e := range []string{"", "grpc://a:1", "a:1", "ftp://x", "http://[::1"} {
		if _, err := httpproxy.New(httpproxy.Config{Name: "n", Endpoint: e}); err == nil {
			t.Errorf("New(%q) succeeded", e)
		}
	}
	p, err := httpproxy.New(httpproxy.Config{Name: "n", Endpoint: "HTTPS://example.com/x"})
	if err != nil || p.Name() != "n" {
		t.Fatalf("New: %v", err)
	}
	_ = p.Close()
	// A caller's client is used and not closed.
	c := &http.Client{}
	if _, err := httpproxy.New(httpproxy.Config{Endpoint: "http://x", Client: c}); err != nil {
		t.Fatal(err)
	}
}

func TestFromConfig(t *testing.T) {
	p := config.Proxy{Endpoint: "http://app/x", HTTPHeaders: []string{"Cookie"}, BinaryEncoding: true, IncludeConnectionMeta: true,
		HTTP: config.ProxyHTTP{StaticHeaders: map[string]string{"A": "b"}}}
	c := httpproxy.FromConfig("n", p)
	if c.Name != "n" || c.Endpoint != "http://app/x" || c.Timeout != time.Second || !c.BinaryEncoding || !c.IncludeConnectionMeta ||
		c.HTTPHeaders[0] != "Cookie" || c.StaticHeaders["A"] != "b" || c.StatusTransforms != nil {
		t.Errorf("FromConfig = %+v", c)
	}
}
