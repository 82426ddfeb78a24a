package config

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gyrehq/gyre"
)

// validateProxies checks every proxy object and every reference to a proxy
// by name.
func (c *Config) validateProxies(v *validator) {
	cp := &c.Client.Proxy
	for _, p := range []struct {
		key string
		tp  ToggledProxy
	}{{"client.proxy.connect", cp.Connect}, {"client.proxy.refresh", cp.Refresh}} {
		if p.tp.Enabled && p.tp.Endpoint == "" {
			v.add(p.key+".endpoint", "must be set when %s.enabled is true", p.key)
		}
		validateProxy(v, p.key, p.tp.Proxy)
	}
	validateProxy(v, "channel.proxy.subscribe", c.Channel.Proxy.Subscribe)
	validateProxy(v, "channel.proxy.publish", c.Channel.Proxy.Publish)
	validateProxy(v, "channel.proxy.sub_refresh", c.Channel.Proxy.SubRefresh)
	validateProxy(v, "rpc.proxy", c.RPC.Proxy)

	seen := map[string]int{}
	for i, p := range c.Proxies {
		key := fmt.Sprintf("proxies[%d]", i)
		switch j, dup := seen[p.Name]; {
		case p.Name == DefaultProxyName:
			v.add(key+".name", "%q is reserved for the channel.proxy.* and rpc.proxy objects", DefaultProxyName)
		case !namespaceNameRe.MatchString(p.Name):
			v.add(key+".name", "must match %s, got %q", namespaceNameRe, p.Name)
		case dup:
			v.add(key+".name", "duplicate proxy %q (also proxies[%d])", p.Name, j)
		default:
			seen[p.Name] = i
		}
		if p.Endpoint == "" {
			v.add(key+".endpoint", "must not be empty")
		}
		validateProxy(v, key, p.Proxy)
	}

	c.validateProxyRefs(v, "channel.without_namespace", c.Channel.WithoutNamespace)
	for i, ns := range c.Channel.Namespaces {
		c.validateProxyRefs(v, fmt.Sprintf("channel.namespaces[%d]", i), ns.ChannelOptions)
	}
	c.validateRPCRef(v, "rpc.without_namespace", c.RPC.WithoutNamespace)
	seenNS := map[string]int{}
	for i, ns := range c.RPC.Namespaces {
		key := fmt.Sprintf("rpc.namespaces[%d]", i)
		if !namespaceNameRe.MatchString(ns.Name) {
			v.add(key+".name", "must match %s, got %q", namespaceNameRe, ns.Name)
		} else if j, dup := seenNS[ns.Name]; dup {
			v.add(key+".name", "duplicate RPC namespace %q (also rpc.namespaces[%d])", ns.Name, j)
		} else {
			seenNS[ns.Name] = i
		}
		c.validateRPCRef(v, key, ns.RPCOptions)
	}
}

// validateProxyRefs checks the *_proxy_name options of one namespace; key
// is its path.
func (c *Config) validateProxyRefs(v *validator, key string, o gyre.ChannelOptions) {
	ch := &c.Channel.Proxy
	c.validateRef(v, key, "subscribe_proxy", o.SubscribeProxyEnabled, o.SubscribeProxyName, "channel.proxy.subscribe", ch.Subscribe)
	c.validateRef(v, key, "publish_proxy", o.PublishProxyEnabled, o.PublishProxyName, "channel.proxy.publish", ch.Publish)
	c.validateRef(v, key, "sub_refresh_proxy", o.SubRefreshProxyEnabled, o.SubRefreshProxyName, "channel.proxy.sub_refresh", ch.SubRefresh)
}

// validateRPCRef checks the proxy options of rpc.without_namespace or of one
// RPC namespace.
func (c *Config) validateRPCRef(v *validator, key string, o RPCOptions) {
	c.validateRef(v, key, "proxy", o.ProxyEnabled, o.ProxyName, "rpc.proxy", c.RPC.Proxy)
}

// validateRef checks that <key>.<opt>_name refers to an existing proxy and,
// when <key>.<opt>_enabled is on and the name means the default proxy, that
// the default object (at defKey) has an endpoint.
func (c *Config) validateRef(v *validator, key, opt string, enabled bool, name, defKey string, def Proxy) {
	nameKey := key + "." + opt + "_name"
	if name == "" || name == DefaultProxyName {
		if enabled && def.Endpoint == "" {
			v.add(nameKey, "%s_enabled is true and the proxy %q means %s, which has no endpoint; set %s.endpoint or name one of proxies", opt, DefaultProxyName, defKey, defKey)
		}
		return
	}
	if _, ok := c.NamedProxy(name); !ok {
		v.add(nameKey, "proxy %q is not defined in proxies", name)
	}
}

// validateProxy checks one proxy object; key is its path.
func validateProxy(v *validator, key string, p Proxy) {
	if p.Endpoint != "" {
		if err := checkEndpoint(p.Endpoint); err != nil {
			v.add(key+".endpoint", "%v", err)
		}
	}
	if p.Timeout <= 0 {
		v.add(key+".timeout", "must be positive, got %s", dur(p.Timeout))
	}
	for i, h := range p.HTTPHeaders {
		if !validHeaderName(h) {
			v.add(fmt.Sprintf("%s.http_headers[%d]", key, i), "invalid header name %q", h)
		}
	}
	for i, m := range p.GRPCMetadata {
		if !validMetadataKey(m) {
			v.add(fmt.Sprintf("%s.grpc_metadata[%d]", key, i), "invalid metadata key %q: use a-z, 0-9, -, _ and .", m)
		}
	}
	for _, h := range sortedKeys(p.HTTP.StaticHeaders) {
		if !validHeaderName(h) {
			v.add(key+".http.static_headers", "invalid header name %q", h)
		}
	}
	for i, t := range p.HTTP.StatusToCodeTransforms {
		validateTransform(v, fmt.Sprintf("%s.http.status_to_code_transforms[%d]", key, i), t)
	}
	for _, m := range sortedKeys(p.GRPC.StaticMetadata) {
		if !validMetadataKey(m) {
			v.add(key+".grpc.static_metadata", "invalid metadata key %q: use a-z, 0-9, -, _ and .", m)
		}
	}
	g := p.GRPC
	switch {
	case g.CredentialsKey != "" && g.CredentialsValue == "":
		v.add(key+".grpc.credentials_value", "must be set when grpc.credentials_key is set")
	case g.CredentialsKey == "" && g.CredentialsValue != "":
		v.add(key+".grpc.credentials_key", "must be set when grpc.credentials_value is set")
	case g.CredentialsKey != "" && !validMetadataKey(g.CredentialsKey):
		v.add(key+".grpc.credentials_key", "invalid metadata key %q: use a-z, 0-9, -, _ and .", g.CredentialsKey)
	}
}

// validateTransform checks one status_to_code_transforms item.
func validateTransform(v *validator, key string, t StatusTransform) {
	if t.StatusCode < 100 || t.StatusCode > 599 || t.StatusCode == 200 {
		v.add(key+".status_code", "must be an HTTP status from 100 to 599 other than 200, got %d", t.StatusCode)
	}
	e, d := t.ToError, t.ToDisconnect
	switch {
	case e.Code == 0 && d.Code == 0:
		v.add(key, "set to_error.code or to_disconnect.code")
	case e.Code != 0 && d.Code != 0:
		v.add(key, "set only one of to_error and to_disconnect")
	case e.Code != 0 && (e.Code < 100 || e.Code > 1999):
		v.add(key+".to_error.code", "must be from 100 to 1999 (applications use 400 to 1999), got %d", e.Code)
	case d.Code != 0 && (d.Code < 3000 || d.Code > 4999):
		v.add(key+".to_disconnect.code", "must be from 3000 to 4999 (applications use 4000 to 4999), got %d", d.Code)
	case d.Code != 0 && len(d.Reason) >= 123:
		v.add(key+".to_disconnect.reason", "must be shorter than 123 bytes, got %d", len(d.Reason))
	}
}

// EmbeddedEndpoint is the endpoint of proxies served by an application
// bridge running in the same process as the server (no network hop).
const EmbeddedEndpoint = "embedded"

// checkEndpoint accepts http:// and https:// URLs with a host (HTTP
// proxies), grpc://host:port or host:port (gRPC proxies), and "embedded".
func checkEndpoint(e string) error {
	if e == EmbeddedEndpoint {
		return nil
	}
	lower := strings.ToLower(e)
	if strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") {
		u, err := url.Parse(e)
		if err != nil {
			return fmt.Errorf("invalid URL %q: %v", e, err)
		}
		if u.Host == "" {
			return fmt.Errorf("URL %q has no host", e)
		}
		return nil
	}
	target := e
	if rest, ok := strings.CutPrefix(lower, "grpc://"); ok {
		target = e[len(e)-len(rest):]
	} else if strings.Contains(e, "://") {
		return fmt.Errorf("must be an http://, https:// or grpc:// URL, or host:port, got %q", e)
	}
	if err := checkGRPCTarget(target); err != nil {
		return fmt.Errorf("invalid gRPC endpoint %q: %v", e, err)
	}
	return nil
}

// checkGRPCTarget checks a gRPC proxy address: host:port, without the
// grpc:// scheme.
func checkGRPCTarget(target string) error {
	host, port, err := net.SplitHostPort(target)
	if err != nil {
		return fmt.Errorf("want host:port")
	}
	if strings.ContainsAny(host, "/?#@ ") {
		return fmt.Errorf("bad host %q", host)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port must be a number from 1 to 65535, got %q", port)
	}
	return nil
}

// validHeaderName reports whether s is an HTTP header field name (an RFC
// 9110 token).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		b := s[i]
		switch {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0:
		default:
			return false
		}
	}
	return true
}

// validMetadataKey reports whether s is a gRPC metadata key; upper-case
// letters are accepted because keys are lower-cased when sent.
func validMetadataKey(s string) bool {
	if s == "" || strings.HasPrefix(s, "grpc-") {
		return false
	}
	for i := range len(s) {
		b := s[i]
		switch {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9', b == '-', b == '_', b == '.':
		default:
			return false
		}
	}
	return true
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
