package httpproxy

import (
	"context"
	"encoding/base64"
	"encoding/json"

	"github.com/gyrehq/gyre"
)

// base fills the common request fields.
func (p *Proxy) base(c gyre.ProxyClient) baseRequest {
	return baseRequest{Client: c.ClientID, Transport: c.Transport, Protocol: c.Protocol, Encoding: p.encoding()}
}

// payload sets a request payload: raw JSON, or base64 in binary mode.
func (p *Proxy) payload(data []byte, rawField *json.RawMessage, b64Field *string) {
	if len(data) == 0 {
		return
	}
	if p.binary {
		*b64Field = base64.StdEncoding.EncodeToString(data)
		return
	}
	*rawField = data
}

// meta returns the connection meta when IncludeConnectionMeta is on.
func (p *Proxy) meta(c gyre.ProxyClient) json.RawMessage {
	if !p.includeMeta || len(c.Meta) == 0 {
		return nil
	}
	return c.Meta
}

// ProxyConnect implements gyre.ConnectProxy. An absent or null result
// returns (nil, nil): the application has no credentials for the client.
func (p *Proxy) ProxyConnect(ctx context.Context, req gyre.ConnectProxyRequest) (*gyre.ConnectProxyResult, error) {
	r := connectRequest{baseRequest: p.base(req.Client), Name: req.Name, Version: req.Version, Channels: req.Channels}
	p.payload(req.Data, &r.Data, &r.B64Data)
	res, err := exchange[connectResult](ctx, p, "connect", req.Client.Headers, r)
	if err != nil || res == nil {
		return nil, err
	}
	out := &gyre.ConnectProxyResult{User: res.User, ExpireAt: res.ExpireAt, Channels: res.Channels, Meta: raw(res.Meta)}
	if out.Info, err = pick("info", res.Info, res.B64Info); err != nil {
		return nil, p.fail("connect", err)
	}
	if out.Data, err = pick("data", res.Data, res.B64Data); err != nil {
		return nil, p.fail("connect", err)
	}
	if len(res.Subs) > 0 {
		out.Subs = make(map[string]gyre.SubscribeGrant, len(res.Subs))
		for ch, o := range res.Subs {
			g, err := o.grant()
			if err != nil {
				return nil, p.fail("connect", err)
			}
			out.Subs[ch] = g
		}
	}
	return out, nil
}

// ProxyRefresh implements gyre.RefreshProxy. An absent result means the
// connection expired.
func (p *Proxy) ProxyRefresh(ctx context.Context, req gyre.RefreshProxyRequest) (*gyre.RefreshProxyResult, error) {
	r := refreshRequest{baseRequest: p.base(req.Client), User: req.Client.User, Meta: p.meta(req.Client)}
	res, err := exchange[refreshResult](ctx, p, "refresh", req.Client.Headers, r)
	if err != nil {
		return nil, err
	}
	if res == nil {
		return &gyre.RefreshProxyResult{Expired: true}, nil
	}
	out := &gyre.RefreshProxyResult{Expired: res.Expired, ExpireAt: res.ExpireAt, Meta: raw(res.Meta)}
	if out.Info, err = pick("info", res.Info, res.B64Info); err != nil {
		return nil, p.fail("refresh", err)
	}
	return out, nil
}

// ProxySubscribe implements gyre.SubscribeProxy. An absent result allows
// the subscription with the namespace's options.
func (p *Proxy) ProxySubscribe(ctx context.Context, req gyre.SubscribeProxyRequest) (*gyre.SubscribeGrant, error) {
	r := subscribeRequest{baseRequest: p.base(req.Client), User: req.Client.User, Channel: req.Channel, Token: req.Token, Meta: p.meta(req.Client)}
	p.payload(req.Data, &r.Data, &r.B64Data)
	res, err := exchange[subscribeOptions](ctx, p, "subscribe", req.Client.Headers, r)
	if err != nil {
		return nil, err
	}
	if res == nil {
		return &gyre.SubscribeGrant{}, nil
	}
	g, err := res.grant()
	if err != nil {
		return nil, p.fail("subscribe", err)
	}
	return &g, nil
}

// ProxyPublish implements gyre.PublishProxy. A non-null data in the result
// replaces the publication's data (and wins over b64data).
func (p *Proxy) ProxyPublish(ctx context.Context, req gyre.PublishProxyRequest) (*gyre.PublishProxyResult, error) {
	r := publishRequest{baseRequest: p.base(req.Client), User: req.Client.User, Channel: req.Channel, Meta: p.meta(req.Client)}
	p.payload(req.Data, &r.Data, &r.B64Data)
	res, err := exchange[publishResult](ctx, p, "publish", req.Client.Headers, r)
	if err != nil {
		return nil, err
	}
	if res == nil {
		return &gyre.PublishProxyResult{}, nil
	}
	out := &gyre.PublishProxyResult{SkipHistory: res.SkipHistory, Tags: res.Tags, IdempotencyKey: res.IdempotencyKey}
	if d := raw(res.Data); d != nil {
		out.Data = d
	} else if out.Data, err = pick("data", nil, res.B64Data); err != nil {
		return nil, p.fail("publish", err)
	}
	return out, nil
}

// ProxySubRefresh implements gyre.SubRefreshProxy. An absent result means
// the subscription expired.
func (p *Proxy) ProxySubRefresh(ctx context.Context, req gyre.SubRefreshProxyRequest) (*gyre.SubRefreshProxyResult, error) {
	r := subRefreshRequest{baseRequest: p.base(req.Client), User: req.Client.User, Channel: req.Channel, Meta: p.meta(req.Client)}
	res, err := exchange[subRefreshResult](ctx, p, "sub_refresh", req.Client.Headers, r)
	if err != nil {
		return nil, err
	}
	if res == nil {
		return &gyre.SubRefreshProxyResult{Expired: true}, nil
	}
	out := &gyre.SubRefreshProxyResult{Expired: res.Expired, ExpireAt: res.ExpireAt}
	if out.Info, err = pick("info", res.Info, res.B64Info); err != nil {
		return nil, p.fail("sub_refresh", err)
	}
	return out, nil
}

// ProxyRPC implements gyre.RPCProxy and returns the result's data (nil
// when there is none).
func (p *Proxy) ProxyRPC(ctx context.Context, req gyre.RPCProxyRequest) ([]byte, error) {
	r := rpcRequest{baseRequest: p.base(req.Client), User: req.Client.User, Method: req.Method, Meta: p.meta(req.Client)}
	p.payload(req.Data, &r.Data, &r.B64Data)
	res, err := exchange[rpcResult](ctx, p, "rpc", req.Client.Headers, r)
	if err != nil || res == nil {
		return nil, err
	}
	data, err := pick("data", res.Data, res.B64Data)
	if err != nil {
		return nil, p.fail("rpc", err)
	}
	return data, nil
}
