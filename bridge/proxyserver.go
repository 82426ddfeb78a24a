package bridge

import (
	"context"
	"encoding/base64"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/gyrehq/gyre/bridge/proxypb"
)

// ProxyServer returns the bridge as a proxypb.CentrifugoProxyServer: the
// service package bridgegrpc registers on a gRPC server, and what a Gyre
// server calls in-process in embedded mode (server.Options{Bridge:
// b.ProxyServer()}), with no network hop.
//
// Each call builds the typed request (b64data decoded into Data; headers
// from the incoming gRPC metadata of ctx, lower-case keys — an embedded
// caller passes them with metadata.NewIncomingContext), dispatches it with
// ctx (so the caller's deadline is the handler's deadline) and converts the
// answer. In binary encoding, result payloads are sent as b64 fields. The
// only gRPC errors returned are InvalidArgument for a nil request or
// invalid base64; application failures are answered in-band (ErrInternal).
// The streaming and notification methods return Unimplemented.
func (b *Bridge) ProxyServer() proxypb.CentrifugoProxyServer { return proxyServer{b: b} }

type proxyServer struct {
	proxypb.UnimplementedCentrifugoProxyServer
	b *Bridge
}

var errNilRequest = status.Error(codes.InvalidArgument, "bridge: nil request")

// headers returns the incoming metadata of ctx as a header map.
func headers(ctx context.Context) map[string][]string {
	md, ok := metadata.FromIncomingContext(ctx)
	if !ok || len(md) == 0 {
		return nil
	}
	h := make(map[string][]string, len(md))
	for k, v := range md {
		h[strings.ToLower(k)] = append([]string(nil), v...)
	}
	return h
}

// payload returns the decoded b64 field when set, the bytes field
// otherwise.
func payload(data []byte, b64 string) ([]byte, error) {
	if b64 == "" {
		return data, nil
	}
	d, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, "bridge: b64data is not valid base64")
	}
	return d, nil
}

// common builds the Common of a request.
func common(ctx context.Context, client, transport, protocol, encoding, user string, meta []byte) Common {
	return Common{Client: client, Transport: transport, Protocol: protocol, Encoding: encoding, User: user, Meta: meta, Headers: headers(ctx)}
}

// out returns (bytes, b64) for a result payload: base64 in binary
// encoding, bytes otherwise.
func out(binary bool, data []byte) ([]byte, string) {
	if len(data) == 0 {
		return nil, ""
	}
	if binary {
		return nil, base64.StdEncoding.EncodeToString(data)
	}
	return data, ""
}

func pbError(a Answer) (*proxypb.Error, *proxypb.Disconnect) {
	switch a.Kind {
	case AnswerError:
		return &proxypb.Error{Code: a.Error.Code, Message: a.Error.Message, Temporary: a.Error.Temporary}, nil
	case AnswerDisconnect:
		return nil, &proxypb.Disconnect{Code: a.Disconnect.Code, Reason: a.Disconnect.Reason}
	}
	return nil, nil
}

func pbOverride(o *Override) *proxypb.SubscribeOptionOverride {
	if o == nil {
		return nil
	}
	v := func(b *bool) *proxypb.BoolValue {
		if b == nil {
			return nil
		}
		return &proxypb.BoolValue{Value: *b}
	}
	return &proxypb.SubscribeOptionOverride{
		Presence: v(o.Presence), JoinLeave: v(o.JoinLeave), ForcePushJoinLeave: v(o.ForcePushJoinLeave),
		ForceRecovery: v(o.ForceRecovery), ForcePositioning: v(o.ForcePositioning),
	}
}

func pbCaps(caps []ChannelsCapability) []*proxypb.ChannelsCapability {
	var res []*proxypb.ChannelsCapability
	for _, c := range caps {
		res = append(res, &proxypb.ChannelsCapability{Channels: c.Channels, Allow: c.Allow, Match: c.Match})
	}
	return res
}

func (s proxyServer) Connect(ctx context.Context, in *proxypb.ConnectRequest) (*proxypb.ConnectResponse, error) {
	if in == nil {
		return nil, errNilRequest
	}
	data, err := payload(in.GetData(), in.GetB64Data())
	if err != nil {
		return nil, err
	}
	req := &ConnectRequest{
		Common: common(ctx, in.GetClient(), in.GetTransport(), in.GetProtocol(), in.GetEncoding(), "", nil),
		Data:   data, Name: in.GetName(), Version: in.GetVersion(), Channels: in.GetChannels(),
	}
	a := s.b.Dispatch(ctx, req)
	resp := &proxypb.ConnectResponse{}
	resp.Error, resp.Disconnect = pbError(a)
	if r, ok := a.Result.(*ConnectResult); ok {
		bin := req.Encoding == "binary"
		res := &proxypb.ConnectResult{User: r.User, ExpireAt: r.ExpireAt, Channels: r.Channels, Meta: r.Meta, Caps: pbCaps(r.Caps)}
		res.Info, res.B64Info = out(bin, r.Info)
		res.Data, res.B64Data = out(bin, r.Data)
		if len(r.Subs) > 0 {
			res.Subs = make(map[string]*proxypb.SubscribeOptions, len(r.Subs))
			for ch, o := range r.Subs {
				po := &proxypb.SubscribeOptions{ExpireAt: o.ExpireAt, Override: pbOverride(o.Override)}
				po.Info, po.B64Info = out(bin, o.Info)
				po.Data, po.B64Data = out(bin, o.Data)
				res.Subs[ch] = po
			}
		}
		resp.Result = res
	}
	return resp, nil
}

func (s proxyServer) Refresh(ctx context.Context, in *proxypb.RefreshRequest) (*proxypb.RefreshResponse, error) {
	if in == nil {
		return nil, errNilRequest
	}
	req := &RefreshRequest{Common: common(ctx, in.GetClient(), in.GetTransport(), in.GetProtocol(), in.GetEncoding(), in.GetUser(), in.GetMeta())}
	a := s.b.Dispatch(ctx, req)
	resp := &proxypb.RefreshResponse{}
	resp.Error, resp.Disconnect = pbError(a)
	if r, ok := a.Result.(*RefreshResult); ok {
		res := &proxypb.RefreshResult{Expired: r.Expired, ExpireAt: r.ExpireAt, Meta: r.Meta, Caps: pbCaps(r.Caps)}
		res.Info, res.B64Info = out(req.Encoding == "binary", r.Info)
		resp.Result = res
	}
	return resp, nil
}

func (s proxyServer) Subscribe(ctx context.Context, in *proxypb.SubscribeRequest) (*proxypb.SubscribeResponse, error) {
	if in == nil {
		return nil, errNilRequest
	}
	data, err := payload(in.GetData(), in.GetB64Data())
	if err != nil {
		return nil, err
	}
	req := &SubscribeRequest{
		Common:  common(ctx, in.GetClient(), in.GetTransport(), in.GetProtocol(), in.GetEncoding(), in.GetUser(), in.GetMeta()),
		Channel: in.GetChannel(), Token: in.GetToken(), Data: data,
	}
	a := s.b.Dispatch(ctx, req)
	resp := &proxypb.SubscribeResponse{}
	resp.Error, resp.Disconnect = pbError(a)
	if r, ok := a.Result.(*SubscribeResult); ok {
		bin := req.Encoding == "binary"
		res := &proxypb.SubscribeResult{ExpireAt: r.ExpireAt, Override: pbOverride(r.Override), Allow: r.Allow}
		res.Info, res.B64Info = out(bin, r.Info)
		res.Data, res.B64Data = out(bin, r.Data)
		resp.Result = res
	}
	return resp, nil
}

func (s proxyServer) Publish(ctx context.Context, in *proxypb.PublishRequest) (*proxypb.PublishResponse, error) {
	if in == nil {
		return nil, errNilRequest
	}
	data, err := payload(in.GetData(), in.GetB64Data())
	if err != nil {
		return nil, err
	}
	req := &PublishRequest{
		Common:  common(ctx, in.GetClient(), in.GetTransport(), in.GetProtocol(), in.GetEncoding(), in.GetUser(), in.GetMeta()),
		Channel: in.GetChannel(), Data: data,
	}
	a := s.b.Dispatch(ctx, req)
	resp := &proxypb.PublishResponse{}
	resp.Error, resp.Disconnect = pbError(a)
	if r, ok := a.Result.(*PublishResult); ok {
		res := &proxypb.PublishResult{SkipHistory: r.SkipHistory, Tags: r.Tags, IdempotencyKey: r.IdempotencyKey,
			Delta: r.Delta, Version: r.Version, VersionEpoch: r.VersionEpoch}
		res.Data, res.B64Data = out(req.Encoding == "binary", r.Data)
		resp.Result = res
	}
	return resp, nil
}

func (s proxyServer) RPC(ctx context.Context, in *proxypb.RPCRequest) (*proxypb.RPCResponse, error) {
	if in == nil {
		return nil, errNilRequest
	}
	data, err := payload(in.GetData(), in.GetB64Data())
	if err != nil {
		return nil, err
	}
	req := &RPCRequest{
		Common: common(ctx, in.GetClient(), in.GetTransport(), in.GetProtocol(), in.GetEncoding(), in.GetUser(), in.GetMeta()),
		Method: in.GetMethod(), Data: data,
	}
	a := s.b.Dispatch(ctx, req)
	resp := &proxypb.RPCResponse{}
	resp.Error, resp.Disconnect = pbError(a)
	if r, ok := a.Result.(*RPCResult); ok {
		res := &proxypb.RPCResult{}
		res.Data, res.B64Data = out(req.Encoding == "binary", r.Data)
		resp.Result = res
	}
	return resp, nil
}

func (s proxyServer) SubRefresh(ctx context.Context, in *proxypb.SubRefreshRequest) (*proxypb.SubRefreshResponse, error) {
	if in == nil {
		return nil, errNilRequest
	}
	req := &SubRefreshRequest{
		Common:  common(ctx, in.GetClient(), in.GetTransport(), in.GetProtocol(), in.GetEncoding(), in.GetUser(), in.GetMeta()),
		Channel: in.GetChannel(),
	}
	a := s.b.Dispatch(ctx, req)
	resp := &proxypb.SubRefreshResponse{}
	resp.Error, resp.Disconnect = pbError(a)
	if r, ok := a.Result.(*SubRefreshResult); ok {
		res := &proxypb.SubRefreshResult{Expired: r.Expired, ExpireAt: r.ExpireAt}
		res.Info, res.B64Info = out(req.Encoding == "binary", r.Info)
		resp.Result = res
	}
	return resp, nil
}
