package proxytest

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gyrehq/gyre"
)

func ptr[T any](v T) *T { return &v }

// client is the connection every case's requests come from.
var client = gyre.ProxyClient{
	ClientID:  "c1",
	Transport: "websocket",
	Protocol:  "json",
	User:      "42",
	Meta:      []byte(`{"plan":"pro"}`),
	Headers: map[string][]string{
		"Authorization": {"Bearer abc"},
		"cookie":        {"a=1", "b=2"},
		"X-Secret":      {"never forwarded"},
		"X-Static":      {"from client"},
	},
}

// start serves h and returns a proxy for it with options o.
func start(t *testing.T, tr Transport, o Options, h Handler) Proxy {
	t.Helper()
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Second
	}
	p := tr.New(t, tr.Endpoint(tr.Serve(t, h)), o)
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// reply returns a handler that records the request and answers r.
func reply(seen **Request, r *Reply) Handler {
	return func(_ context.Context, req *Request) *Reply {
		*seen = req
		return r
	}
}

// Run runs the conformance table against tr.
func Run(t *testing.T, tr Transport) {
	ctx := context.Background()

	t.Run("connect request and full result", func(t *testing.T) {
		var seen *Request
		want := &gyre.ConnectProxyResult{
			User: "42", ExpireAt: 1735689600, Info: []byte(`{"name":"Alex"}`), Data: []byte(`{"hello":true}`),
			Channels: []string{"news", "chat:1"},
			Subs: map[string]gyre.SubscribeGrant{
				"notify:42": {Info: []byte(`{"x":1}`), Data: []byte(`"d"`), ExpireAt: 99,
					Override: &gyre.SubscribeOverride{Presence: ptr(true), JoinLeave: ptr(false), ForceRecovery: ptr(true)}},
				"plain": {},
			},
			Meta: []byte(`{"secret":1}`),
		}
		p := start(t, tr, Options{}, reply(&seen, &Reply{Result: want}))
		got, err := p.ProxyConnect(ctx, gyre.ConnectProxyRequest{Client: client, Data: []byte(`{"k":1}`), Name: "js", Version: "5.4.0"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("result (-want +got):\n%s", diff)
		}
		if seen.Client != "c1" || seen.Transport != "websocket" || seen.Protocol != "json" || seen.Encoding != "json" ||
			string(seen.Data) != `{"k":1}` || seen.B64Data != "" || seen.Name != "js" || seen.Version != "5.4.0" || seen.Meta != nil {
			t.Errorf("request = %+v", seen)
		}
	})

	t.Run("connect b64 fields", func(t *testing.T) {
		bin := []byte{0, 1, 2, 0xff}
		want := &gyre.ConnectProxyResult{User: "7", Info: bin, Data: bin,
			Subs: map[string]gyre.SubscribeGrant{"ch": {Info: bin, Data: bin}}}
		var seen *Request
		p := start(t, tr, Options{}, reply(&seen, &Reply{Result: want, B64: true}))
		got, err := p.ProxyConnect(ctx, gyre.ConnectProxyRequest{Client: client})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("result (-want +got):\n%s", diff)
		}
	})

	t.Run("connect without result", func(t *testing.T) {
		var seen *Request
		p := start(t, tr, Options{}, reply(&seen, &Reply{}))
		got, err := p.ProxyConnect(ctx, gyre.ConnectProxyRequest{Client: client})
		if got != nil || err != nil {
			t.Errorf("got %+v, %v; want nil, nil", got, err)
		}
	})

	t.Run("deny with custom error", func(t *testing.T) {
		var seen *Request
		e := gyre.Error{Code: 4403, Message: "forbidden", Temporary: true}
		p := start(t, tr, Options{}, reply(&seen, &Reply{Error: &e, Result: &gyre.SubscribeGrant{}}))
		_, err := p.ProxySubscribe(ctx, gyre.SubscribeProxyRequest{Client: client, Channel: "chat:1", Token: "tok"})
		var got gyre.Error
		if !errors.As(err, &got) || got != e {
			t.Errorf("err = %v, want %v", err, e)
		}
		if errors.Is(err, tr.ErrProxyFailed) {
			t.Error("an application error is not a failure")
		}
		if seen.Channel != "chat:1" || seen.Token != "tok" || seen.User != "42" {
			t.Errorf("request = %+v", seen)
		}
	})

	t.Run("disconnect wins over error", func(t *testing.T) {
		var seen *Request
		d := gyre.Disconnect{Code: 4501, Reason: "banned"}
		p := start(t, tr, Options{}, reply(&seen, &Reply{Disconnect: &d, Error: &gyre.Error{Code: 500}}))
		for name, call := range map[string]func() error{
			"connect": func() error { _, err := p.ProxyConnect(ctx, gyre.ConnectProxyRequest{Client: client}); return err },
			"publish": func() error {
				_, err := p.ProxyPublish(ctx, gyre.PublishProxyRequest{Client: client, Channel: "c", Data: []byte(`1`)})
				return err
			},
			"rpc": func() error { _, err := p.ProxyRPC(ctx, gyre.RPCProxyRequest{Client: client, Method: "m"}); return err },
		} {
			got, ok := gyre.AsDisconnect(call())
			if !ok || got != d {
				t.Errorf("%s: got %v, want %v", name, got, d)
			}
		}
	})

	t.Run("publish rewrite", func(t *testing.T) {
		var seen *Request
		want := &gyre.PublishProxyResult{Data: []byte(`{"text":"***"}`), SkipHistory: true, Tags: map[string]string{"a": "b"}, IdempotencyKey: "k1"}
		p := start(t, tr, Options{}, reply(&seen, &Reply{Result: want}))
		got, err := p.ProxyPublish(ctx, gyre.PublishProxyRequest{Client: client, Channel: "chat:1", Data: []byte(`{"text":"bad"}`)})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("result (-want +got):\n%s", diff)
		}
		if seen.User != "42" || seen.Channel != "chat:1" || string(seen.Data) != `{"text":"bad"}` {
			t.Errorf("request = %+v", seen)
		}
	})

	t.Run("publish and subscribe without result", func(t *testing.T) {
		var seen *Request
		p := start(t, tr, Options{}, reply(&seen, &Reply{}))
		pub, err := p.ProxyPublish(ctx, gyre.PublishProxyRequest{Client: client, Channel: "c", Data: []byte(`1`)})
		if err != nil || pub == nil || pub.Data != nil {
			t.Errorf("publish = %+v, %v; want an empty result", pub, err)
		}
		sub, err := p.ProxySubscribe(ctx, gyre.SubscribeProxyRequest{Client: client, Channel: "c"})
		if err != nil || sub == nil || !cmp.Equal(*sub, gyre.SubscribeGrant{}) {
			t.Errorf("subscribe = %+v, %v; want an empty grant", sub, err)
		}
		data, err := p.ProxyRPC(ctx, gyre.RPCProxyRequest{Client: client, Method: "m"})
		if err != nil || data != nil {
			t.Errorf("rpc = %q, %v", data, err)
		}
	})

	t.Run("subscribe grant with override and b64", func(t *testing.T) {
		var seen *Request
		want := &gyre.SubscribeGrant{Info: []byte("\x00info"), Data: []byte("\x01data"), ExpireAt: 1234,
			Override: &gyre.SubscribeOverride{ForcePushJoinLeave: ptr(true), ForcePositioning: ptr(false)}}
		p := start(t, tr, Options{}, reply(&seen, &Reply{Result: want, B64: true}))
		got, err := p.ProxySubscribe(ctx, gyre.SubscribeProxyRequest{Client: client, Channel: "c", Data: []byte(`{"want":1}`)})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("grant (-want +got):\n%s", diff)
		}
		if string(seen.Data) != `{"want":1}` {
			t.Errorf("request data = %q", seen.Data)
		}
	})

	t.Run("refresh", func(t *testing.T) {
		var seen *Request
		res := &gyre.RefreshProxyResult{ExpireAt: 2000000000, Info: []byte(`{"v":2}`), Meta: []byte(`{"m":2}`)}
		p := start(t, tr, Options{}, reply(&seen, &Reply{Result: res}))
		got, err := p.ProxyRefresh(ctx, gyre.RefreshProxyRequest{Client: client})
		if err != nil || !cmp.Equal(res, got) {
			t.Errorf("refresh = %+v, %v; want %+v", got, err, res)
		}
		if seen.User != "42" || seen.Meta != nil {
			t.Errorf("request = %+v", seen)
		}
	})

	t.Run("refresh expired", func(t *testing.T) {
		var seen *Request
		p := start(t, tr, Options{}, reply(&seen, &Reply{Result: &gyre.RefreshProxyResult{Expired: true}}))
		got, err := p.ProxyRefresh(ctx, gyre.RefreshProxyRequest{Client: client})
		if err != nil || !got.Expired {
			t.Errorf("refresh = %+v, %v; want expired", got, err)
		}
		p2 := start(t, tr, Options{}, reply(&seen, &Reply{}))
		got, err = p2.ProxyRefresh(ctx, gyre.RefreshProxyRequest{Client: client})
		if err != nil || !got.Expired {
			t.Errorf("refresh without result = %+v, %v; want expired", got, err)
		}
		sr, err := p2.ProxySubRefresh(ctx, gyre.SubRefreshProxyRequest{Client: client, Channel: "c"})
		if err != nil || !sr.Expired {
			t.Errorf("sub_refresh without result = %+v, %v; want expired", sr, err)
		}
	})

	t.Run("sub_refresh", func(t *testing.T) {
		var seen *Request
		res := &gyre.SubRefreshProxyResult{ExpireAt: 77, Info: []byte(`{"i":1}`)}
		p := start(t, tr, Options{}, reply(&seen, &Reply{Result: res}))
		got, err := p.ProxySubRefresh(ctx, gyre.SubRefreshProxyRequest{Client: client, Channel: "chat:9"})
		if err != nil || !cmp.Equal(res, got) {
			t.Errorf("sub_refresh = %+v, %v; want %+v", got, err, res)
		}
		if seen.Channel != "chat:9" || seen.User != "42" {
			t.Errorf("request = %+v", seen)
		}
	})

	t.Run("rpc", func(t *testing.T) {
		var seen *Request
		p := start(t, tr, Options{}, reply(&seen, &Reply{Result: &RPCResult{Data: []byte(`{"sum":3}`)}}))
		got, err := p.ProxyRPC(ctx, gyre.RPCProxyRequest{Client: client, Method: "add", Data: []byte(`[1,2]`)})
		if err != nil || string(got) != `{"sum":3}` {
			t.Errorf("rpc = %q, %v", got, err)
		}
		if seen.Method != "add" || string(seen.Data) != `[1,2]` {
			t.Errorf("request = %+v", seen)
		}
	})

	t.Run("user always sent", func(t *testing.T) {
		var seen *Request
		anon := client
		anon.User = ""
		p := start(t, tr, Options{}, reply(&seen, &Reply{}))
		calls := []func(){
			func() { _, _ = p.ProxyRefresh(ctx, gyre.RefreshProxyRequest{Client: anon}) },
			func() { _, _ = p.ProxySubscribe(ctx, gyre.SubscribeProxyRequest{Client: anon, Channel: "c"}) },
			func() {
				_, _ = p.ProxyPublish(ctx, gyre.PublishProxyRequest{Client: anon, Channel: "c", Data: []byte("1")})
			},
			func() { _, _ = p.ProxySubRefresh(ctx, gyre.SubRefreshProxyRequest{Client: anon, Channel: "c"}) },
			func() { _, _ = p.ProxyRPC(ctx, gyre.RPCProxyRequest{Client: anon, Method: "m"}) },
		}
		for i, call := range calls {
			seen = nil
			call()
			if seen == nil || !seen.HasUser || seen.User != "" {
				t.Errorf("call %d: request = %+v, want an empty user field", i, seen)
			}
		}
	})

	t.Run("headers allow-list and static", func(t *testing.T) {
		var seen *Request
		o := Options{Headers: []string{"AUTHORIZATION", "Cookie", "x-static", "X-Missing"}, Static: map[string]string{"X-Static": "static", "X-App": "gyre"}}
		p := start(t, tr, o, reply(&seen, &Reply{}))
		if _, err := p.ProxyConnect(ctx, gyre.ConnectProxyRequest{Client: client}); err != nil {
			t.Fatal(err)
		}
		h := seen.Headers
		for k, want := range map[string][]string{"authorization": {"Bearer abc"}, "cookie": {"a=1", "b=2"}, "x-static": {"from client"}, "x-app": {"gyre"}} {
			if !slices.Equal(h[k], want) {
				t.Errorf("header %s = %q, want %q", k, h[k], want)
			}
		}
		for _, k := range []string{"x-secret", "x-missing"} {
			if _, ok := h[k]; ok {
				t.Errorf("header %s forwarded: %q", k, h[k])
			}
		}
		// Without an allow-list only static headers go out.
		p2 := start(t, tr, Options{Static: map[string]string{"X-Static": "static"}}, reply(&seen, &Reply{}))
		if _, err := p2.ProxyRPC(ctx, gyre.RPCProxyRequest{Client: client, Method: "m"}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(seen.Headers["x-static"], []string{"static"}) || seen.Headers["authorization"] != nil {
			t.Errorf("headers = %v", seen.Headers)
		}
	})

	t.Run("binary encoding", func(t *testing.T) {
		var seen *Request
		p := start(t, tr, Options{Binary: true}, reply(&seen, &Reply{}))
		bin := []byte{0xde, 0xad, 0xbe, 0xef}
		want := base64.StdEncoding.EncodeToString(bin)
		check := func(name string) {
			t.Helper()
			if seen.Encoding != "binary" || seen.B64Data != want || len(seen.Data) != 0 {
				t.Errorf("%s: request = %+v, want encoding binary and b64data %s", name, seen, want)
			}
		}
		_, _ = p.ProxyConnect(ctx, gyre.ConnectProxyRequest{Client: client, Data: bin})
		check("connect")
		_, _ = p.ProxySubscribe(ctx, gyre.SubscribeProxyRequest{Client: client, Channel: "c", Data: bin})
		check("subscribe")
		_, _ = p.ProxyPublish(ctx, gyre.PublishProxyRequest{Client: client, Channel: "c", Data: bin})
		check("publish")
		_, _ = p.ProxyRPC(ctx, gyre.RPCProxyRequest{Client: client, Method: "m", Data: bin})
		check("rpc")
	})

	t.Run("include connection meta", func(t *testing.T) {
		var seen *Request
		p := start(t, tr, Options{IncludeMeta: true}, reply(&seen, &Reply{}))
		calls := map[string]func(){
			"refresh":   func() { _, _ = p.ProxyRefresh(ctx, gyre.RefreshProxyRequest{Client: client}) },
			"subscribe": func() { _, _ = p.ProxySubscribe(ctx, gyre.SubscribeProxyRequest{Client: client, Channel: "c"}) },
			"publish": func() {
				_, _ = p.ProxyPublish(ctx, gyre.PublishProxyRequest{Client: client, Channel: "c", Data: []byte("1")})
			},
			"sub_refresh": func() { _, _ = p.ProxySubRefresh(ctx, gyre.SubRefreshProxyRequest{Client: client, Channel: "c"}) },
			"rpc":         func() { _, _ = p.ProxyRPC(ctx, gyre.RPCProxyRequest{Client: client, Method: "m"}) },
		}
		for name, call := range calls {
			seen = nil
			call()
			if seen == nil || !bytes.Equal(seen.Meta, client.Meta) {
				t.Errorf("%s: request = %+v, want meta %s", name, seen, client.Meta)
			}
		}
	})

	t.Run("timeout", func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		// The backend answers only after the call is over: answering when
		// its own context ends could beat the caller's deadline by a hair
		// (the deadline a gRPC server sees is the caller's, rounded down).
		p := start(t, tr, Options{Timeout: 150 * time.Millisecond}, func(context.Context, *Request) *Reply {
			<-release
			return &Reply{}
		})
		begin := time.Now()
		_, err := p.ProxyRPC(ctx, gyre.RPCProxyRequest{Client: client, Method: "slow"})
		elapsed := time.Since(begin)
		if !errors.Is(err, tr.ErrProxyFailed) {
			t.Errorf("err = %v, want ErrProxyFailed", err)
		}
		if elapsed > 3*time.Second {
			t.Errorf("call took %v with a 150ms timeout", elapsed)
		}
	})

	t.Run("caller context cancelled", func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		entered := make(chan struct{}, 1)
		p := start(t, tr, Options{}, func(ctx context.Context, _ *Request) *Reply {
			entered <- struct{}{}
			select {
			case <-release:
			case <-ctx.Done():
			}
			return &Reply{}
		})
		cctx, cancel := context.WithCancel(ctx)
		errc := make(chan error, 1)
		go func() {
			_, err := p.ProxyPublish(cctx, gyre.PublishProxyRequest{Client: client, Channel: "c", Data: []byte("1")})
			errc <- err
		}()
		select {
		case <-entered:
		case <-time.After(10 * time.Second):
			t.Fatal("backend never called")
		}
		cancel()
		select {
		case err := <-errc:
			if !errors.Is(err, tr.ErrProxyFailed) {
				t.Errorf("err = %v, want ErrProxyFailed", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("call did not return after cancel")
		}
	})

	t.Run("backend down", func(t *testing.T) {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := lis.Addr().String()
		lis.Close()
		p := tr.New(t, tr.Endpoint(addr), Options{Timeout: 2 * time.Second})
		defer p.Close()
		_, err = p.ProxyConnect(ctx, gyre.ConnectProxyRequest{Client: client})
		if !errors.Is(err, tr.ErrProxyFailed) {
			t.Fatalf("err = %v, want ErrProxyFailed", err)
		}
		if _, ok := gyre.AsDisconnect(err); ok {
			t.Error("a failure is not a disconnect")
		}
	})
}
