package grpcproxy

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/bridge/proxypb"
)

// payload returns the data and b64data fields of a request.
func (p *Proxy) payload(data []byte) ([]byte, string) {
	if len(data) == 0 {
		return nil, ""
	}
	if p.binary {
		return nil, base64.StdEncoding.EncodeToString(data)
	}
	return data, ""
}

// meta returns the connection meta when IncludeConnectionMeta is on.
func (p *Proxy) meta(c gyre.ProxyClient) []byte {
	if !p.includeMeta {
		return nil
	}
	return c.Meta
}

// pick returns a result payload: the decoded b64 field when it is set,
// the bytes field otherwise.
func pick(field string, raw []byte, b64 string) ([]byte, error) {
	if b64 != "" {
		b, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, fmt.Errorf("invalid response: b64%s is not base64", field)
		}
		return b, nil
	}
	if len(raw) == 0 {
		return nil, nil
	}
	return raw, nil
}

// optionFields is what SubscribeResult and SubscribeOptions share.
type optionFields interface {
	GetExpireAt() int64
	GetInfo() []byte
	GetB64Info() string
	GetData() []byte
	GetB64Data() string
	GetOverride() *proxypb.SubscribeOptionOverride
}

// grant converts subscribe options into a SubscribeGrant.
func grant(o optionFields) (gyre.SubscribeGrant, error) {
	info, err := pick("info", o.GetInfo(), o.GetB64Info())
	if err != nil {
		return gyre.SubscribeGrant{}, err
	}
	data, err := pick("data", o.GetData(), o.GetB64Data())
	if err != nil {
		return gyre.SubscribeGrant{}, err
	}
	return gyre.SubscribeGrant{Info: info, Data: data, ExpireAt: o.GetExpireAt(), Override: override(o.GetOverride())}, nil
}

// override converts an override message, keeping only present values.
func override(o *proxypb.SubscribeOptionOverride) *gyre.SubscribeOverride {
	if o == nil {
		return nil
	}
	val := func(b *proxypb.BoolValue) *bool {
		if b == nil {
			return nil
		}
		v := b.GetValue()
		return &v
	}
	return &gyre.SubscribeOverride{
		Presence:           val(o.GetPresence()),
		JoinLeave:          val(o.GetJoinLeave()),
		ForcePushJoinLeave: val(o.GetForcePushJoinLeave()),
		ForceRecovery:      val(o.GetForceRecovery()),
		ForcePositioning:   val(o.GetForcePositioning()),
	}
}

// ProxyConnect implements gyre.ConnectProxy. A response without a result
// returns (nil, nil): the application has no credentials for the client.
func (p *Proxy) ProxyConnect(ctx context.Context, req gyre.ConnectProxyRequest) (*gyre.ConnectProxyResult, error) {
	c := req.Client
	r := &proxypb.ConnectRequest{Client: c.ClientID, Transport: c.Transport, Protocol: c.Protocol, Encoding: p.encoding(),
		Name: req.Name, Version: req.Version, Channels: req.Channels}
	r.Data, r.B64Data = p.payload(req.Data)
	resp, err := call(ctx, p, "connect", c.Headers, r, proxypb.CentrifugoProxyClient.Connect)
	if err != nil {
		return nil, err
	}
	res := resp.GetResult()
	if res == nil {
		return nil, nil
	}
	out := &gyre.ConnectProxyResult{User: res.GetUser(), ExpireAt: res.GetExpireAt(), Channels: res.GetChannels()}
	if len(res.GetMeta()) > 0 {
		out.Meta = res.GetMeta()
	}
	if out.Info, err = pick("info", res.GetInfo(), res.GetB64Info()); err != nil {
		return nil, p.fail("connect", err)
	}
	if out.Data, err = pick("data", res.GetData(), res.GetB64Data()); err != nil {
		return nil, p.fail("connect", err)
	}
	if subs := res.GetSubs(); len(subs) > 0 {
		out.Subs = make(map[string]gyre.SubscribeGrant, len(subs))
		for ch, o := range subs {
			g, err := grant(o)
			if err != nil {
				return nil, p.fail("connect", err)
			}
			out.Subs[ch] = g
		}
	}
	return out, nil
}

// ProxyRefresh implements gyre.RefreshProxy. A response without a result
// means the connection expired.
func (p *Proxy) ProxyRefresh(ctx context.Context, req gyre.RefreshProxyRequest) (*gyre.RefreshProxyResult, error) {
	c := req.Client
	r := &proxypb.RefreshRequest{Client: c.ClientID, Transport: c.Transport, Protocol: c.Protocol, Encoding: p.encoding(),
		User: c.User, Meta: p.meta(c)}
	resp, err := call(ctx, p, "refresh", c.Headers, r, proxypb.CentrifugoProxyClient.Refresh)
	if err != nil {
		return nil, err
	}
	res := resp.GetResult()
	if res == nil {
		return &gyre.RefreshProxyResult{Expired: true}, nil
	}
	out := &gyre.RefreshProxyResult{Expired: res.GetExpired(), ExpireAt: res.GetExpireAt()}
	if len(res.GetMeta()) > 0 {
		out.Meta = res.GetMeta()
	}
	if out.Info, err = pick("info", res.GetInfo(), res.GetB64Info()); err != nil {
		return nil, p.fail("refresh", err)
	}
	return out, nil
}

// ProxySubscribe implements gyre.SubscribeProxy. A response without a
// result allows the subscription with the namespace's options.
func (p *Proxy) ProxySubscribe(ctx context.Context, req gyre.SubscribeProxyRequest) (*gyre.SubscribeGrant, error) {
	c := req.Client
	r := &proxypb.SubscribeRequest{Client: c.ClientID, Transport: c.Transport, Protocol: c.Protocol, Encoding: p.encoding(),
		User: c.User, Channel: req.Channel, Token: req.Token, Meta: p.meta(c)}
	r.Data, r.B64Data = p.payload(req.Data)
	resp, err := call(ctx, p, "subscribe", c.Headers, r, proxypb.CentrifugoProxyClient.Subscribe)
	if err != nil {
		return nil, err
	}
	res := resp.GetResult()
	if res == nil {
		return &gyre.SubscribeGrant{}, nil
	}
	g, err := grant(res)
	if err != nil {
		return nil, p.fail("subscribe", err)
	}
	return &g, nil
}

// ProxyPublish implements gyre.PublishProxy. Non-empty data in the result
// replaces the publication's data (and wins over b64data).
func (p *Proxy) ProxyPublish(ctx context.Context, req gyre.PublishProxyRequest) (*gyre.PublishProxyResult, error) {
	c := req.Client
	r := &proxypb.PublishRequest{Client: c.ClientID, Transport: c.Transport, Protocol: c.Protocol, Encoding: p.encoding(),
		User: c.User, Channel: req.Channel, Meta: p.meta(c)}
	r.Data, r.B64Data = p.payload(req.Data)
	resp, err := call(ctx, p, "publish", c.Headers, r, proxypb.CentrifugoProxyClient.Publish)
	if err != nil {
		return nil, err
	}
	res := resp.GetResult()
	if res == nil {
		return &gyre.PublishProxyResult{}, nil
	}
	out := &gyre.PublishProxyResult{SkipHistory: res.GetSkipHistory(), Tags: res.GetTags(), IdempotencyKey: res.GetIdempotencyKey()}
	if len(res.GetData()) > 0 {
		out.Data = res.GetData()
	} else if out.Data, err = pick("data", nil, res.GetB64Data()); err != nil {
		return nil, p.fail("publish", err)
	}
	return out, nil
}

// ProxySubRefresh implements gyre.SubRefreshProxy. A response without a
// result means the subscription expired.
func (p *Proxy) ProxySubRefresh(ctx context.Context, req gyre.SubRefreshProxyRequest) (*gyre.SubRefreshProxyResult, error) {
	c := req.Client
	r := &proxypb.SubRefreshRequest{Client: c.ClientID, Transport: c.Transport, Protocol: c.Protocol, Encoding: p.encoding(),
		User: c.User, Channel: req.Channel, Meta: p.meta(c)}
	resp, err := call(ctx, p, "sub_refresh", c.Headers, r, proxypb.CentrifugoProxyClient.SubRefresh)
	if err != nil {
		return nil, err
	}
	res := resp.GetResult()
	if res == nil {
		return &gyre.SubRefreshProxyResult{Expired: true}, nil
	}
	out := &gyre.SubRefreshProxyResult{Expired: res.GetExpired(), ExpireAt: res.GetExpireAt()}
	if out.Info, err = pick("info", res.GetInfo(), res.GetB64Info()); err != nil {
		return nil, p.fail("sub_refresh", err)
	}
	return out, nil
}

// ProxyRPC implements gyre.RPCProxy and returns the result's data (nil
// when there is none).
func (p *Proxy) ProxyRPC(ctx context.Context, req gyre.RPCProxyRequest) ([]byte, error) {
	c := req.Client
	r := &proxypb.RPCRequest{Client: c.ClientID, Transport: c.Transport, Protocol: c.Protocol, Encoding: p.encoding(),
		User: c.User, Method: req.Method, Meta: p.meta(c)}
	r.Data, r.B64Data = p.payload(req.Data)
	resp, err := call(ctx, p, "rpc", c.Headers, r, proxypb.CentrifugoProxyClient.RPC)
	if err != nil {
		return nil, err
	}
	res := resp.GetResult()
	if res == nil {
		return nil, nil
	}
	data, err := pick("data", res.GetData(), res.GetB64Data())
	if err != nil {
		return nil, p.fail("rpc", err)
	}
	return data, nil
}
