package app

import (
	"fmt"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/bridge/proxypb"
	"github.com/gyrehq/gyre/config"
	"github.com/gyrehq/gyre/node"
	"github.com/gyrehq/gyre/proxy/grpcproxy"
	"github.com/gyrehq/gyre/proxy/httpproxy"
)

// anyProxy is what both proxy transports provide: every event interface.
type anyProxy interface {
	node.AllProxies
	Close() error
}

// buildProxy creates an HTTP, gRPC or in-process proxy for a config object.
func buildProxy(name string, p config.Proxy, embedded proxypb.CentrifugoProxyServer) (anyProxy, error) {
	if p.Endpoint == config.EmbeddedEndpoint {
		if embedded == nil {
			return nil, fmt.Errorf("endpoint %q needs an application bridge in the same process (server.Options.Bridge)", p.Endpoint)
		}
		return grpcproxy.NewInProcess(grpcproxy.FromConfig(name, p), embedded), nil
	}
	if p.IsHTTP() {
		return httpproxy.New(httpproxy.FromConfig(name, p))
	}
	return grpcproxy.New(grpcproxy.FromConfig(name, p))
}

// buildProxies creates every configured proxy. The returned closers must be
// closed at shutdown.
func buildProxies(cfg *config.Config, embedded proxypb.CentrifugoProxyServer) (node.Proxies, []anyProxy, error) {
	var (
		ps     node.Proxies
		all    []anyProxy
		errOut error
	)
	mk := func(path, name string, p config.Proxy) anyProxy {
		if errOut != nil {
			return nil
		}
		px, err := buildProxy(name, p, embedded)
		if err != nil {
			errOut = fmt.Errorf("%s: %w", path, err)
			return nil
		}
		all = append(all, px)
		return px
	}
	if c := cfg.Client.Proxy.Connect; c.Enabled {
		if px := mk("client.proxy.connect", "connect", c.Proxy); px != nil {
			ps.Connect = px
		}
	}
	if r := cfg.Client.Proxy.Refresh; r.Enabled {
		if px := mk("client.proxy.refresh", "refresh", r.Proxy); px != nil {
			ps.Refresh = px
		}
	}
	ps.Subscribe = map[string]gyre.SubscribeProxy{}
	ps.Publish = map[string]gyre.PublishProxy{}
	ps.SubRefresh = map[string]gyre.SubRefreshProxy{}
	ps.RPC = map[string]gyre.RPCProxy{}
	if p := cfg.Channel.Proxy.Subscribe; p.Endpoint != "" {
		if px := mk("channel.proxy.subscribe", "default", p); px != nil {
			ps.Subscribe["default"] = px
		}
	}
	if p := cfg.Channel.Proxy.Publish; p.Endpoint != "" {
		if px := mk("channel.proxy.publish", "default", p); px != nil {
			ps.Publish["default"] = px
		}
	}
	if p := cfg.Channel.Proxy.SubRefresh; p.Endpoint != "" {
		if px := mk("channel.proxy.sub_refresh", "default", p); px != nil {
			ps.SubRefresh["default"] = px
		}
	}
	if p := cfg.RPC.Proxy; p.Endpoint != "" {
		if px := mk("rpc.proxy", "default", p); px != nil {
			ps.RPC["default"] = px
		}
	}
	for i, np := range cfg.Proxies {
		px := mk(fmt.Sprintf("proxies[%d]", i), np.Name, np.Proxy)
		if px == nil {
			break
		}
		ps.Subscribe[np.Name], ps.Publish[np.Name], ps.SubRefresh[np.Name], ps.RPC[np.Name] = px, px, px, px
	}
	if errOut != nil {
		for _, px := range all {
			_ = px.Close()
		}
		return node.Proxies{}, nil, errOut
	}
	return ps, all, nil
}

// rpcConfig maps RPC namespaces.
func rpcConfig(cfg *config.Config) node.RPCConfig {
	out := node.RPCConfig{
		PingEnabled:       cfg.RPC.Ping.Enabled,
		PingMethod:        cfg.RPC.Ping.Method,
		NamespaceBoundary: cfg.RPC.NamespaceBoundary,
		WithoutNamespace:  node.RPCNamespace{ProxyEnabled: cfg.RPC.WithoutNamespace.ProxyEnabled, ProxyName: cfg.RPC.WithoutNamespace.ProxyName},
		Namespaces:        map[string]node.RPCNamespace{},
	}
	for _, ns := range cfg.RPC.Namespaces {
		out.Namespaces[ns.Name] = node.RPCNamespace{ProxyEnabled: ns.ProxyEnabled, ProxyName: ns.ProxyName}
	}
	return out
}

// allProxies lists every configured proxy object.
func allProxies(cfg *config.Config) []config.Proxy {
	var out []config.Proxy
	if cfg.Client.Proxy.Connect.Enabled {
		out = append(out, cfg.Client.Proxy.Connect.Proxy)
	}
	if cfg.Client.Proxy.Refresh.Enabled {
		out = append(out, cfg.Client.Proxy.Refresh.Proxy)
	}
	for _, p := range []config.Proxy{cfg.Channel.Proxy.Subscribe, cfg.Channel.Proxy.Publish, cfg.Channel.Proxy.SubRefresh, cfg.RPC.Proxy} {
		if p.Endpoint != "" {
			out = append(out, p)
		}
	}
	for _, p := range cfg.Proxies {
		out = append(out, p.Proxy)
	}
	return out
}
