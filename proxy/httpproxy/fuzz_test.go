package httpproxy_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/proxy/httpproxy"
)

// bodyTransport answers every request with status 200 and a fixed body,
// without a network.
type bodyTransport string

func (b bodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	_ = r.Body.Close()
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(string(b))), Request: r}, nil
}

// FuzzHTTPProxyResponse feeds arbitrary response bodies to every event: no
// panic, and every error is the application's or wraps ErrProxyFailed.
func FuzzHTTPProxyResponse(f *testing.F) {
	for _, seed := range []string{
		`{"result":{"user":"42","expire_at":1,"info":{"a":1},"b64data":"AQ==","channels":["a"],"subs":{"c":{"override":{"presence":{"value":true}}}},"meta":{}}}`,
		`{"error":{"code":403,"message":"no","temporary":true}}`,
		`{"disconnect":{"code":4500,"reason":"bye"}}`,
		`{"result":{"expired":true}}`,
		`{"result":{"data":null,"b64data":"!!","tags":{"a":"b"},"skip_history":true}}`,
		`{"result":null}`, `null`, `[]`, `{`, ``, `{"result":{"subs":{"c":null}}}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		p, err := httpproxy.New(httpproxy.Config{Name: "fuzz", Endpoint: "http://backend/", Client: &http.Client{Transport: bodyTransport(body)}})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		c := gyre.ProxyClient{ClientID: "c", User: "u", Meta: []byte(`{}`)}
		check := func(err error) {
			if err == nil || errors.Is(err, httpproxy.ErrProxyFailed) {
				return
			}
			var e gyre.Error
			if _, ok := gyre.AsDisconnect(err); ok || errors.As(err, &e) {
				return
			}
			t.Fatalf("unexpected error type %T: %v", err, err)
		}
		_, err = p.ProxyConnect(ctx, gyre.ConnectProxyRequest{Client: c, Data: []byte(`{}`)})
		check(err)
		_, err = p.ProxyRefresh(ctx, gyre.RefreshProxyRequest{Client: c})
		check(err)
		_, err = p.ProxySubscribe(ctx, gyre.SubscribeProxyRequest{Client: c, Channel: "ch"})
		check(err)
		_, err = p.ProxyPublish(ctx, gyre.PublishProxyRequest{Client: c, Channel: "ch", Data: []byte(`1`)})
		check(err)
		_, err = p.ProxySubRefresh(ctx, gyre.SubRefreshProxyRequest{Client: c, Channel: "ch"})
		check(err)
		_, err = p.ProxyRPC(ctx, gyre.RPCProxyRequest{Client: c, Method: "m"})
		check(err)
	})
}
