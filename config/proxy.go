package config

import (
	"strings"
	"time"

	"github.com/gyrehq/gyre"
)

// DefaultProxyName is the reserved proxy name that means the section's own
// proxy object: channel.proxy.subscribe (publish, sub_refresh) for channel
// namespaces and rpc.proxy for RPC namespaces. An empty name means the same.
const DefaultProxyName = "default"

// DefaultProxyTimeout is the timeout of a proxy call when none is set.
const DefaultProxyTimeout = time.Second

// Proxy is one proxy endpoint: where and how Gyre calls the application for
// an event (Centrifugo v6 "Proxy" object). The same object appears in
// client.proxy.connect, client.proxy.refresh, channel.proxy.*, rpc.proxy and
// every item of the top-level proxies list.
type Proxy struct {
	Endpoint              string        `json:"endpoint" doc:"Where to send the event: an http:// or https:// URL for an HTTP proxy, grpc://host:port (or host:port) for a gRPC proxy, or embedded for an application bridge in the same process."`
	Timeout               gyre.Duration `json:"timeout" doc:"Maximum time of one proxy call, after which the call fails."`
	HTTPHeaders           []string      `json:"http_headers" doc:"Headers of the client's HTTP request (case-insensitive) forwarded to the proxy; a gRPC proxy receives them as metadata with lower-case keys."`
	GRPCMetadata          []string      `json:"grpc_metadata" doc:"Metadata keys of gRPC clients forwarded to the proxy."`
	BinaryEncoding        bool          `json:"binary_encoding" doc:"Send payloads base64-encoded (b64data, encoding binary) instead of as raw JSON."`
	IncludeConnectionMeta bool          `json:"include_connection_meta" doc:"Send the connection meta (from the token or the connect proxy) with every request after connect."`
	HTTP                  ProxyHTTP     `json:"http"`
	GRPC                  ProxyGRPC     `json:"grpc"`
}

// IsHTTP reports whether the endpoint is an HTTP proxy (http:// or
// https://); every other endpoint is a gRPC proxy.
func (p Proxy) IsHTTP() bool {
	e := strings.ToLower(p.Endpoint)
	return strings.HasPrefix(e, "http://") || strings.HasPrefix(e, "https://")
}

// EffectiveTimeout returns Timeout, or DefaultProxyTimeout when it is not
// positive.
func (p Proxy) EffectiveTimeout() time.Duration {
	if p.Timeout <= 0 {
		return DefaultProxyTimeout
	}
	return p.Timeout.D()
}

// ProxyHTTP holds options used only by HTTP proxies.
type ProxyHTTP struct {
	StaticHeaders          map[string]string `json:"static_headers" doc:"Headers added to every request; forwarded client headers with the same name replace them."`
	StatusToCodeTransforms []StatusTransform `json:"status_to_code_transforms" doc:"Turn HTTP statuses other than 200 into an error or a disconnect for the client instead of an internal error."`
}

// StatusTransform maps one HTTP response status of an HTTP proxy to a client
// error or disconnect; exactly one of ToError and ToDisconnect is set.
type StatusTransform struct {
	StatusCode   int                 `json:"status_code" doc:"HTTP status of the proxy's response to transform."`
	ToError      TransformError      `json:"to_error"`
	ToDisconnect TransformDisconnect `json:"to_disconnect"`
}

// TransformError is the client error a StatusTransform produces; a zero
// Code means none.
type TransformError struct {
	Code      int    `json:"code" doc:"Error code sent to the client (100 to 1999; applications use 400 to 1999)."`
	Message   string `json:"message" doc:"Error message sent to the client."`
	Temporary bool   `json:"temporary" doc:"Mark the error temporary, so that clients retry."`
}

// TransformDisconnect is the disconnect a StatusTransform produces; a zero
// Code means none.
type TransformDisconnect struct {
	Code   int    `json:"code" doc:"Disconnect code (3000 to 4999; applications use 4000 to 4999)."`
	Reason string `json:"reason" doc:"Disconnect reason, shorter than 123 bytes."`
}

// ProxyGRPC holds options used only by gRPC proxies.
type ProxyGRPC struct {
	Compression      bool              `json:"compression" doc:"Compress requests to the gRPC proxy with gzip."`
	StaticMetadata   map[string]string `json:"static_metadata" doc:"Metadata added to every request; forwarded client values with the same key replace them."`
	CredentialsKey   string            `json:"credentials_key" doc:"Metadata key of a per-call credential sent to the gRPC proxy (set together with credentials_value)."`
	CredentialsValue string            `json:"credentials_value" doc:"Metadata value of the per-call credential."`
}

// ToggledProxy is a proxy object with an enabled flag (client.proxy.connect
// and client.proxy.refresh).
type ToggledProxy struct {
	Enabled bool `json:"enabled" doc:"Call this proxy for the event."`
	Proxy
}

// ClientProxies holds the connection-level proxies.
type ClientProxies struct {
	// Connect authenticates connections that come without a token.
	Connect ToggledProxy `json:"connect"`
	// Refresh extends expiring connections on the server side.
	Refresh ToggledProxy `json:"refresh"`
}

// ChannelProxies holds the "default" proxies of channel namespaces; a
// namespace uses them when its *_proxy_enabled option is on and its
// *_proxy_name is empty or "default".
type ChannelProxies struct {
	Subscribe  Proxy `json:"subscribe"`
	Publish    Proxy `json:"publish"`
	SubRefresh Proxy `json:"sub_refresh"`
}

// NamedProxy is one item of the top-level proxies list, referenced by name
// from namespace options.
type NamedProxy struct {
	Name string `json:"name" doc:"Proxy name referenced by *_proxy_name options: at least two of a-z, A-Z, 0-9, -, _ and ., unique, not \"default\"."`
	Proxy
}

// RPCOptions are the proxy options of RPC methods without a namespace or of
// one RPC namespace.
type RPCOptions struct {
	ProxyEnabled bool   `json:"proxy_enabled" doc:"Send client RPC calls to the application through a proxy."`
	ProxyName    string `json:"proxy_name" doc:"Proxy for RPC calls: empty or default means rpc.proxy; any other name refers to the proxies list."`
}

// RPCNamespace is a named set of RPC options: methods "name:..." use it.
type RPCNamespace struct {
	Name string `json:"name" doc:"RPC namespace name: at least two of a-z, A-Z, 0-9, -, _ and ., unique."`
	RPCOptions
}

// defaultProxy is a proxy object holding the defaults.
func defaultProxy() Proxy { return Proxy{Timeout: gyre.Duration(DefaultProxyTimeout)} }

// NamedProxy returns the proxy of the top-level proxies list with the given
// name. The boolean is false when there is none.
func (c *Config) NamedProxy(name string) (Proxy, bool) {
	for _, p := range c.Proxies {
		if p.Name == name {
			return p.Proxy, true
		}
	}
	return Proxy{}, false
}

// LookupProxy resolves a *_proxy_name option: "" and "default" return def
// (the section's own proxy object, such as c.Channel.Proxy.Subscribe), any
// other name the proxies item with that name. The boolean is false when the
// resolved proxy does not exist or has no endpoint.
func (c *Config) LookupProxy(name string, def Proxy) (Proxy, bool) {
	if name == "" || name == DefaultProxyName {
		return def, def.Endpoint != ""
	}
	return c.NamedProxy(name)
}

// RPCNamespace returns the RPC options of the RPC namespace with the given
// name; the empty name returns rpc.without_namespace. The boolean is false
// when no such namespace is configured.
func (c *Config) RPCNamespace(name string) (RPCOptions, bool) {
	if name == "" {
		return c.RPC.WithoutNamespace, true
	}
	for _, ns := range c.RPC.Namespaces {
		if ns.Name == name {
			return ns.RPCOptions, true
		}
	}
	return RPCOptions{}, false
}
