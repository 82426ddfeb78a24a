package proxytest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/grpc"
	_ "google.golang.org/grpc/encoding/gzip" // the server accepts gzip requests
	"google.golang.org/grpc/metadata"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/bridge/proxypb"
)

// ServeHTTP starts an HTTP backend on 127.0.0.1:0 that decodes every POST
// body as a proxy request and answers 200 with the JSON of h's reply.
func ServeHTTP(t *testing.T, h Handler) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Client, Transport, Protocol, Encoding string
			User                                  *string
			Channel, Token, Method, Name, Version string
			Channels                              []string
			Data                                  json.RawMessage
			B64Data                               string `json:"b64data"`
			Meta                                  json.RawMessage
		}
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "want a JSON POST", http.StatusBadRequest)
			return
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		req := &Request{
			Event: strings.TrimPrefix(r.URL.Path, "/"), Client: in.Client, Transport: in.Transport, Protocol: in.Protocol,
			Encoding: in.Encoding, HasUser: in.User != nil, Channel: in.Channel, Token: in.Token, Method: in.Method,
			Name: in.Name, Version: in.Version, Channels: in.Channels, Data: in.Data, B64Data: in.B64Data, Meta: in.Meta,
			Headers: map[string][]string{},
		}
		if in.User != nil {
			req.User = *in.User
		}
		for k, vv := range r.Header {
			req.Headers[strings.ToLower(k)] = vv
		}
		body, err := json.Marshal(jsonReply(h(r.Context(), req)))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// jsonReply builds the JSON object of a reply.
func jsonReply(r *Reply) map[string]any {
	out := map[string]any{}
	if r == nil {
		return out
	}
	if e := r.Error; e != nil {
		out["error"] = map[string]any{"code": e.Code, "message": e.Message, "temporary": e.Temporary}
	}
	if d := r.Disconnect; d != nil {
		out["disconnect"] = map[string]any{"code": d.Code, "reason": d.Reason}
	}
	payload := func(m map[string]any, key string, v []byte) {
		switch {
		case v == nil:
		case r.B64:
			m["b64"+key] = base64.StdEncoding.EncodeToString(v)
		default:
			m[key] = json.RawMessage(v)
		}
	}
	grant := func(g *gyre.SubscribeGrant) map[string]any {
		m := map[string]any{"expire_at": g.ExpireAt}
		payload(m, "info", g.Info)
		payload(m, "data", g.Data)
		if o := g.Override; o != nil {
			ov := map[string]any{}
			for key, b := range map[string]*bool{"presence": o.Presence, "join_leave": o.JoinLeave,
				"force_push_join_leave": o.ForcePushJoinLeave, "force_recovery": o.ForceRecovery, "force_positioning": o.ForcePositioning} {
				if b != nil {
					ov[key] = map[string]bool{"value": *b}
				}
			}
			m["override"] = ov
		}
		return m
	}
	switch res := r.Result.(type) {
	case *gyre.ConnectProxyResult:
		m := map[string]any{"user": res.User, "expire_at": res.ExpireAt, "channels": res.Channels}
		payload(m, "info", res.Info)
		payload(m, "data", res.Data)
		if res.Meta != nil {
			m["meta"] = json.RawMessage(res.Meta)
		}
		if res.Subs != nil {
			subs := map[string]any{}
			for ch, g := range res.Subs {
				subs[ch] = grant(&g)
			}
			m["subs"] = subs
		}
		out["result"] = m
	case *gyre.RefreshProxyResult:
		m := map[string]any{"expired": res.Expired, "expire_at": res.ExpireAt}
		payload(m, "info", res.Info)
		if res.Meta != nil {
			m["meta"] = json.RawMessage(res.Meta)
		}
		out["result"] = m
	case *gyre.SubscribeGrant:
		out["result"] = grant(res)
	case *gyre.PublishProxyResult:
		m := map[string]any{"skip_history": res.SkipHistory, "tags": res.Tags, "idempotency_key": res.IdempotencyKey}
		payload(m, "data", res.Data)
		out["result"] = m
	case *gyre.SubRefreshProxyResult:
		m := map[string]any{"expired": res.Expired, "expire_at": res.ExpireAt}
		payload(m, "info", res.Info)
		out["result"] = m
	case *RPCResult:
		m := map[string]any{}
		payload(m, "data", res.Data)
		out["result"] = m
	}
	return out
}

// ServeGRPC starts a gRPC backend on 127.0.0.1:0 implementing
// proxypb.CentrifugoProxyServer with h.
func ServeGRPC(t *testing.T, h Handler) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	proxypb.RegisterCentrifugoProxyServer(srv, &grpcBackend{h: h})
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

// grpcBackend adapts a Handler to the gRPC service.
type grpcBackend struct {
	proxypb.UnimplementedCentrifugoProxyServer
	h Handler
}

// serve runs the handler for one call.
func (b *grpcBackend) serve(ctx context.Context, event string, req *Request) *Reply {
	req.Event, req.HasUser, req.Headers = event, true, map[string][]string{}
	md, _ := metadata.FromIncomingContext(ctx)
	for k, vv := range md {
		req.Headers[k] = vv
	}
	if r := b.h(ctx, req); r != nil {
		return r
	}
	return &Reply{}
}

func pbError(r *Reply) *proxypb.Error {
	if r.Error == nil {
		return nil
	}
	return &proxypb.Error{Code: r.Error.Code, Message: r.Error.Message, Temporary: r.Error.Temporary}
}

func pbDisconnect(r *Reply) *proxypb.Disconnect {
	if r.Disconnect == nil {
		return nil
	}
	return &proxypb.Disconnect{Code: r.Disconnect.Code, Reason: r.Disconnect.Reason}
}

// pbPayload splits a payload into the bytes and b64 fields.
func pbPayload(r *Reply, v []byte) ([]byte, string) {
	if r.B64 && v != nil {
		return nil, base64.StdEncoding.EncodeToString(v)
	}
	return v, ""
}

func pbBool(b *bool) *proxypb.BoolValue {
	if b == nil {
		return nil
	}
	return &proxypb.BoolValue{Value: *b}
}

func pbOptions(r *Reply, g *gyre.SubscribeGrant) *proxypb.SubscribeOptions {
	o := &proxypb.SubscribeOptions{ExpireAt: g.ExpireAt}
	o.Info, o.B64Info = pbPayload(r, g.Info)
	o.Data, o.B64Data = pbPayload(r, g.Data)
	if ov := g.Override; ov != nil {
		o.Override = &proxypb.SubscribeOptionOverride{Presence: pbBool(ov.Presence), JoinLeave: pbBool(ov.JoinLeave),
			ForcePushJoinLeave: pbBool(ov.ForcePushJoinLeave), ForceRecovery: pbBool(ov.ForceRecovery), ForcePositioning: pbBool(ov.ForcePositioning)}
	}
	return o
}

func (b *grpcBackend) Connect(ctx context.Context, in *proxypb.ConnectRequest) (*proxypb.ConnectResponse, error) {
	r := b.serve(ctx, "Connect", &Request{Client: in.Client, Transport: in.Transport, Protocol: in.Protocol, Encoding: in.Encoding,
		Data: in.Data, B64Data: in.B64Data, Name: in.Name, Version: in.Version, Channels: in.Channels})
	out := &proxypb.ConnectResponse{Error: pbError(r), Disconnect: pbDisconnect(r)}
	if res, ok := r.Result.(*gyre.ConnectProxyResult); ok {
		c := &proxypb.ConnectResult{User: res.User, ExpireAt: res.ExpireAt, Channels: res.Channels, Meta: res.Meta}
		c.Info, c.B64Info = pbPayload(r, res.Info)
		c.Data, c.B64Data = pbPayload(r, res.Data)
		if res.Subs != nil {
			c.Subs = map[string]*proxypb.SubscribeOptions{}
			for ch, g := range res.Subs {
				c.Subs[ch] = pbOptions(r, &g)
			}
		}
		out.Result = c
	}
	return out, nil
}

func (b *grpcBackend) Refresh(ctx context.Context, in *proxypb.RefreshRequest) (*proxypb.RefreshResponse, error) {
	r := b.serve(ctx, "Refresh", &Request{Client: in.Client, Transport: in.Transport, Protocol: in.Protocol, Encoding: in.Encoding,
		User: in.User, Meta: in.Meta})
	out := &proxypb.RefreshResponse{Error: pbError(r), Disconnect: pbDisconnect(r)}
	if res, ok := r.Result.(*gyre.RefreshProxyResult); ok {
		c := &proxypb.RefreshResult{Expired: res.Expired, ExpireAt: res.ExpireAt, Meta: res.Meta}
		c.Info, c.B64Info = pbPayload(r, res.Info)
		out.Result = c
	}
	return out, nil
}

func (b *grpcBackend) Subscribe(ctx context.Context, in *proxypb.SubscribeRequest) (*proxypb.SubscribeResponse, error) {
	r := b.serve(ctx, "Subscribe", &Request{Client: in.Client, Transport: in.Transport, Protocol: in.Protocol, Encoding: in.Encoding,
		User: in.User, Channel: in.Channel, Token: in.Token, Meta: in.Meta, Data: in.Data, B64Data: in.B64Data})
	out := &proxypb.SubscribeResponse{Error: pbError(r), Disconnect: pbDisconnect(r)}
	if res, ok := r.Result.(*gyre.SubscribeGrant); ok {
		o := pbOptions(r, res)
		out.Result = &proxypb.SubscribeResult{ExpireAt: o.ExpireAt, Info: o.Info, B64Info: o.B64Info, Data: o.Data, B64Data: o.B64Data, Override: o.Override}
	}
	return out, nil
}

func (b *grpcBackend) Publish(ctx context.Context, in *proxypb.PublishRequest) (*proxypb.PublishResponse, error) {
	r := b.serve(ctx, "Publish", &Request{Client: in.Client, Transport: in.Transport, Protocol: in.Protocol, Encoding: in.Encoding,
		User: in.User, Channel: in.Channel, Data: in.Data, B64Data: in.B64Data, Meta: in.Meta})
	out := &proxypb.PublishResponse{Error: pbError(r), Disconnect: pbDisconnect(r)}
	if res, ok := r.Result.(*gyre.PublishProxyResult); ok {
		c := &proxypb.PublishResult{SkipHistory: res.SkipHistory, Tags: res.Tags, IdempotencyKey: res.IdempotencyKey}
		c.Data, c.B64Data = pbPayload(r, res.Data)
		out.Result = c
	}
	return out, nil
}

func (b *grpcBackend) RPC(ctx context.Context, in *proxypb.RPCRequest) (*proxypb.RPCResponse, error) {
	r := b.serve(ctx, "RPC", &Request{Client: in.Client, Transport: in.Transport, Protocol: in.Protocol, Encoding: in.Encoding,
		User: in.User, Method: in.Method, Data: in.Data, B64Data: in.B64Data, Meta: in.Meta})
	out := &proxypb.RPCResponse{Error: pbError(r), Disconnect: pbDisconnect(r)}
	if res, ok := r.Result.(*RPCResult); ok {
		c := &proxypb.RPCResult{}
		c.Data, c.B64Data = pbPayload(r, res.Data)
		out.Result = c
	}
	return out, nil
}

func (b *grpcBackend) SubRefresh(ctx context.Context, in *proxypb.SubRefreshRequest) (*proxypb.SubRefreshResponse, error) {
	r := b.serve(ctx, "SubRefresh", &Request{Client: in.Client, Transport: in.Transport, Protocol: in.Protocol, Encoding: in.Encoding,
		User: in.User, Channel: in.Channel, Meta: in.Meta})
	out := &proxypb.SubRefreshResponse{Error: pbError(r), Disconnect: pbDisconnect(r)}
	if res, ok := r.Result.(*gyre.SubRefreshProxyResult); ok {
		c := &proxypb.SubRefreshResult{Expired: res.Expired, ExpireAt: res.ExpireAt}
		c.Info, c.B64Info = pbPayload(r, res.Info)
		out.Result = c
	}
	return out, nil
}
