package app

import "github.com/gyrehq/gyre/config"

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
