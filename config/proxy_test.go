package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gyrehq/gyre"
)

// rrConfig is the Centrifugo v6 configuration of the RoadRunner integration
// (SEED-SYSTEM.md §4.2) plus a named proxy and RPC namespaces.
const rrConfig = `{
  "client": {
    "allowed_origins": ["*"],
    "token": {"hmac_secret_key": "secret"},
    "proxy": {
      "connect": {"enabled": true, "endpoint": "grpc://rr-host:10001", "timeout": "10s", "http_headers": ["Cookie", "Authorization"]},
      "refresh": {"enabled": true, "endpoint": "grpc://rr-host:10001", "timeout": "10s"}
    }
  },
  "channel": {
    "proxy": {
      "subscribe":   {"endpoint": "grpc://rr-host:10001", "timeout": "10s"},
      "publish":     {"endpoint": "http://app.local/publish", "timeout": "10s",
                      "http": {"static_headers": {"X-Static": "1"},
                               "status_to_code_transforms": [{"status_code": 404, "to_error": {"code": 404, "message": "not found"}},
                                                             {"status_code": 403, "to_disconnect": {"code": 4501, "reason": "forbidden"}}]}},
      "sub_refresh": {"endpoint": "rr-host:10001", "timeout": "10s"}
    },
    "without_namespace": {
      "allow_subscribe_for_client": true, "allow_publish_for_client": true,
      "subscribe_proxy_enabled": true, "publish_proxy_enabled": true, "sub_refresh_proxy_enabled": true
    },
    "namespaces": [{"name": "chat", "subscribe_proxy_enabled": true, "subscribe_proxy_name": "auth-1"}]
  },
  "rpc": {
    "proxy": {"endpoint": "grpc://rr-host:10001", "timeout": "10s", "binary_encoding": true},
    "without_namespace": {"proxy_enabled": true},
    "namespaces": [{"name": "billing", "proxy_enabled": true, "proxy_name": "auth-1"}]
  },
  "proxies": [
    {"name": "auth-1", "endpoint": "https://auth.local/proxy", "include_connection_meta": true,
     "grpc": {"compression": true, "static_metadata": {"x-a": "b"}, "credentials_key": "token", "credentials_value": "t"}}
  ]
}`

func TestLoadProxies(t *testing.T) {
	cfg, warnings := loadString(t, "c.json", rrConfig)
	if len(warnings) > 0 {
		t.Errorf("warnings: %v", warnings)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	ten := gyre.Duration(10 * time.Second)
	want := ToggledProxy{Enabled: true, Proxy: Proxy{Endpoint: "grpc://rr-host:10001", Timeout: ten, HTTPHeaders: []string{"Cookie", "Authorization"}}}
	if diff := cmp.Diff(want, cfg.Client.Proxy.Connect); diff != "" {
		t.Errorf("client.proxy.connect (-want +got):\n%s", diff)
	}
	pub := cfg.Channel.Proxy.Publish
	if !pub.IsHTTP() || cfg.Channel.Proxy.Subscribe.IsHTTP() || pub.HTTP.StaticHeaders["X-Static"] != "1" {
		t.Errorf("channel.proxy.publish = %+v", pub)
	}
	wantTransforms := []StatusTransform{
		{StatusCode: 404, ToError: TransformError{Code: 404, Message: "not found"}},
		{StatusCode: 403, ToDisconnect: TransformDisconnect{Code: 4501, Reason: "forbidden"}},
	}
	if diff := cmp.Diff(wantTransforms, pub.HTTP.StatusToCodeTransforms); diff != "" {
		t.Errorf("transforms (-want +got):\n%s", diff)
	}
	// A named proxy without a timeout gets the default one.
	named, ok := cfg.NamedProxy("auth-1")
	if !ok || named.Timeout.D() != time.Second || !named.IncludeConnectionMeta || !named.GRPC.Compression ||
		named.GRPC.StaticMetadata["x-a"] != "b" || named.GRPC.CredentialsKey != "token" {
		t.Errorf("proxies[0] = %+v, %v", named, ok)
	}
	if !cfg.RPC.WithoutNamespace.ProxyEnabled || !cfg.RPC.Proxy.BinaryEncoding {
		t.Errorf("rpc = %+v", cfg.RPC)
	}
	if o, ok := cfg.RPCNamespace("billing"); !ok || o.ProxyName != "auth-1" || !o.ProxyEnabled {
		t.Errorf("RPCNamespace(billing) = %+v, %v", o, ok)
	}
	if _, ok := cfg.RPCNamespace("nope"); ok {
		t.Error("RPCNamespace(nope) found")
	}
	if o, ok := cfg.RPCNamespace(""); !ok || !o.ProxyEnabled {
		t.Errorf("RPCNamespace(\"\") = %+v, %v", o, ok)
	}
	// LookupProxy resolves default names to the section's object.
	if p, ok := cfg.LookupProxy("", cfg.Channel.Proxy.Subscribe); !ok || p.Endpoint != "grpc://rr-host:10001" {
		t.Errorf("LookupProxy(\"\") = %+v, %v", p, ok)
	}
	if p, ok := cfg.LookupProxy("default", Proxy{}); ok || p.Endpoint != "" {
		t.Errorf("LookupProxy(default, empty) = %+v, %v", p, ok)
	}
	if p, ok := cfg.LookupProxy("auth-1", Proxy{}); !ok || p.Endpoint != "https://auth.local/proxy" {
		t.Errorf("LookupProxy(auth-1) = %+v, %v", p, ok)
	}
	if _, ok := cfg.LookupProxy("missing", cfg.RPC.Proxy); ok {
		t.Error("LookupProxy(missing) found")
	}
}

func TestProxyDefaults(t *testing.T) {
	d := Default()
	for key, p := range map[string]Proxy{
		"client.proxy.connect": d.Client.Proxy.Connect.Proxy, "client.proxy.refresh": d.Client.Proxy.Refresh.Proxy,
		"channel.proxy.subscribe": d.Channel.Proxy.Subscribe, "channel.proxy.publish": d.Channel.Proxy.Publish,
		"channel.proxy.sub_refresh": d.Channel.Proxy.SubRefresh, "rpc.proxy": d.RPC.Proxy,
	} {
		if p.Timeout.D() != time.Second || p.Endpoint != "" {
			t.Errorf("%s default = %+v", key, p)
		}
	}
	if d.Client.Proxy.Connect.Enabled || len(d.Proxies) != 0 || len(d.RPC.Namespaces) != 0 {
		t.Errorf("defaults: %+v %+v", d.Client.Proxy, d.Proxies)
	}
	if got := (Proxy{}).EffectiveTimeout(); got != time.Second {
		t.Errorf("EffectiveTimeout of zero = %v", got)
	}
	if got := (Proxy{Timeout: gyre.Duration(3 * time.Second)}).EffectiveTimeout(); got != 3*time.Second {
		t.Errorf("EffectiveTimeout = %v", got)
	}
	for e, want := range map[string]bool{"http://a": true, "HTTPS://a": true, "grpc://a:1": false, "a:1": false} {
		if got := (Proxy{Endpoint: e}).IsHTTP(); got != want {
			t.Errorf("IsHTTP(%q) = %v", e, got)
		}
	}
}

func TestProxyKeysWarnAndEnv(t *testing.T) {
	content := `{"client": {"proxy": {"connect": {"emulated_headers": ["X"], "http": {"tls": {"enabled": true}}, "endpont": "x"}}},
  "channel": {"proxy": {"subscribe_stream": {"endpoint": "a:1"}}},
  "proxies": [{"name": "p1", "endpoint": "a:1", "timeout": null}]}`
	cfg, warnings := loadString(t, "c.json", content,
		`GYRE_CHANNEL_PROXY_PUBLISH_HTTP_STATIC_HEADERS={"X-A":"b"}`,
		"GYRE_CLIENT_PROXY_CONNECT_TIMEOUT=250ms",
		`GYRE_RPC_NAMESPACES=[{"name":"ns","proxy_enabled":true}]`)
	want := []Warning{
		{Key: "channel.proxy.subscribe_stream", Message: "Centrifugo key not supported by Gyre yet (ignored)"},
		{Key: "client.proxy.connect.emulated_headers", Message: "Centrifugo key not supported by Gyre yet (ignored)"},
		{Key: "client.proxy.connect.endpont", Message: `unknown key (ignored); did you mean "endpoint"?`},
		{Key: "client.proxy.connect.http.tls", Message: "Centrifugo key not supported by Gyre yet (ignored)"},
	}
	if diff := cmp.Diff(want, warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if cfg.Channel.Proxy.Publish.HTTP.StaticHeaders["X-A"] != "b" || cfg.Client.Proxy.Connect.Timeout.D() != 250*time.Millisecond {
		t.Errorf("env not applied: %+v %+v", cfg.Channel.Proxy.Publish, cfg.Client.Proxy.Connect)
	}
	if len(cfg.RPC.Namespaces) != 1 || !cfg.RPC.Namespaces[0].ProxyEnabled {
		t.Errorf("rpc.namespaces = %+v", cfg.RPC.Namespaces)
	}
	if cfg.Proxies[0].Timeout.D() != time.Second {
		t.Errorf("null timeout = %v, want the default", cfg.Proxies[0].Timeout)
	}
	_, _, err := Load(writeConfig(t, "c.json", `{}`), []string{"GYRE_RPC_PROXY_HTTP_STATIC_HEADERS=[1]"})
	if err == nil || !strings.Contains(err.Error(), "GYRE_RPC_PROXY_HTTP_STATIC_HEADERS (rpc.proxy.http.static_headers): expected object of strings") {
		t.Errorf("bad map from env: %v", err)
	}
	_, _, err = Load(writeConfig(t, "c.json", `{"rpc": {"proxy": {"http": {"static_headers": {"a": 1}}}}}`), nil)
	if err == nil || !strings.Contains(err.Error(), "rpc.proxy.http.static_headers: expected object of strings, got an object") {
		t.Errorf("bad map in file: %v", err)
	}
}

func TestValidateProxies(t *testing.T) {
	tr := func(status int, e TransformError, d TransformDisconnect) []StatusTransform {
		return []StatusTransform{{StatusCode: status, ToError: e, ToDisconnect: d}}
	}
	named := func(name, endpoint string) NamedProxy {
		return NamedProxy{Name: name, Proxy: Proxy{Endpoint: endpoint, Timeout: seconds(1)}}
	}
	tests := []struct {
		name   string
		mutate func(c *Config)
		want   string // "" means valid
	}{
		{"connect enabled without endpoint", func(c *Config) { c.Client.Proxy.Connect.Enabled = true },
			"client.proxy.connect.endpoint: must be set when client.proxy.connect.enabled is true"},
		{"refresh enabled without endpoint", func(c *Config) { c.Client.Proxy.Refresh.Enabled = true },
			"client.proxy.refresh.endpoint: must be set when client.proxy.refresh.enabled is true"},
		{"connect http", func(c *Config) {
			c.Client.Proxy.Connect = ToggledProxy{true, Proxy{Endpoint: "https://x/y", Timeout: seconds(1)}}
		}, ""},
		{"connect grpc", func(c *Config) {
			c.Client.Proxy.Connect = ToggledProxy{true, Proxy{Endpoint: "grpc://[::1]:10001", Timeout: seconds(1)}}
		}, ""},
		{"bad scheme", func(c *Config) { c.Channel.Proxy.Publish.Endpoint = "ftp://x" },
			`channel.proxy.publish.endpoint: must be an http://, https:// or grpc:// URL, or host:port, got "ftp://x"`},
		{"http without host", func(c *Config) { c.Channel.Proxy.Publish.Endpoint = "http:///x" },
			`channel.proxy.publish.endpoint: URL "http:///x" has no host`},
		{"grpc without port", func(c *Config) { c.RPC.Proxy.Endpoint = "grpc://host" },
			`rpc.proxy.endpoint: invalid gRPC endpoint "grpc://host": want host:port`},
		{"grpc bad port", func(c *Config) { c.RPC.Proxy.Endpoint = "host:http" },
			`rpc.proxy.endpoint: invalid gRPC endpoint "host:http": port must be a number from 1 to 65535, got "http"`},
		{"zero timeout", func(c *Config) { c.Channel.Proxy.SubRefresh.Timeout = 0 },
			"channel.proxy.sub_refresh.timeout: must be positive, got 0s"},
		{"bad header", func(c *Config) { c.Channel.Proxy.Subscribe.HTTPHeaders = []string{"Cookie", "Bad Header"} },
			`channel.proxy.subscribe.http_headers[1]: invalid header name "Bad Header"`},
		{"bad metadata", func(c *Config) { c.Channel.Proxy.Subscribe.GRPCMetadata = []string{"a:b"} },
			`channel.proxy.subscribe.grpc_metadata[0]: invalid metadata key "a:b": use a-z, 0-9, -, _ and .`},
		{"bad static header", func(c *Config) { c.RPC.Proxy.HTTP.StaticHeaders = map[string]string{"ok": "1", "": "x"} },
			`rpc.proxy.http.static_headers: invalid header name ""`},
		{"bad static metadata", func(c *Config) { c.RPC.Proxy.GRPC.StaticMetadata = map[string]string{"grpc-x": "1"} },
			`rpc.proxy.grpc.static_metadata: invalid metadata key "grpc-x": use a-z, 0-9, -, _ and .`},
		{"credentials key only", func(c *Config) { c.RPC.Proxy.GRPC.CredentialsKey = "k" },
			"rpc.proxy.grpc.credentials_value: must be set when grpc.credentials_key is set"},
		{"credentials value only", func(c *Config) { c.RPC.Proxy.GRPC.CredentialsValue = "v" },
			"rpc.proxy.grpc.credentials_key: must be set when grpc.credentials_value is set"},
		{"transform ok", func(c *Config) {
			c.RPC.Proxy.HTTP.StatusToCodeTransforms = tr(404, TransformError{Code: 404, Message: "x"}, TransformDisconnect{})
		}, ""},
		{"transform status 200", func(c *Config) {
			c.RPC.Proxy.HTTP.StatusToCodeTransforms = tr(200, TransformError{Code: 404}, TransformDisconnect{})
		}, "rpc.proxy.http.status_to_code_transforms[0].status_code: must be an HTTP status from 100 to 599 other than 200, got 200"},
		{"transform nothing", func(c *Config) {
			c.RPC.Proxy.HTTP.StatusToCodeTransforms = tr(500, TransformError{}, TransformDisconnect{})
		}, "rpc.proxy.http.status_to_code_transforms[0]: set to_error.code or to_disconnect.code"},
		{"transform both", func(c *Config) {
			c.RPC.Proxy.HTTP.StatusToCodeTransforms = tr(500, TransformError{Code: 500}, TransformDisconnect{Code: 4000})
		}, "rpc.proxy.http.status_to_code_transforms[0]: set only one of to_error and to_disconnect"},
		{"transform error code", func(c *Config) {
			c.RPC.Proxy.HTTP.StatusToCodeTransforms = tr(500, TransformError{Code: 2000}, TransformDisconnect{})
		}, "rpc.proxy.http.status_to_code_transforms[0].to_error.code: must be from 100 to 1999 (applications use 400 to 1999), got 2000"},
		{"transform disconnect code", func(c *Config) {
			c.RPC.Proxy.HTTP.StatusToCodeTransforms = tr(500, TransformError{}, TransformDisconnect{Code: 1000})
		}, "rpc.proxy.http.status_to_code_transforms[0].to_disconnect.code: must be from 3000 to 4999 (applications use 4000 to 4999), got 1000"},
		{"transform disconnect reason", func(c *Config) {
			c.RPC.Proxy.HTTP.StatusToCodeTransforms = tr(500, TransformError{}, TransformDisconnect{Code: 4000, Reason: strings.Repeat("x", 123)})
		}, "rpc.proxy.http.status_to_code_transforms[0].to_disconnect.reason: must be shorter than 123 bytes, got 123"},
		{"named proxies", func(c *Config) { c.Proxies = []NamedProxy{named("a1", "a:1"), named("b.2", "http://b")} }, ""},
		{"named proxy default", func(c *Config) { c.Proxies = []NamedProxy{named("default", "a:1")} },
			`proxies[0].name: "default" is reserved for the channel.proxy.* and rpc.proxy objects`},
		{"named proxy bad name", func(c *Config) { c.Proxies = []NamedProxy{named("a", "a:1")} },
			`proxies[0].name: must match ^[-a-zA-Z0-9_.]{2,}$, got "a"`},
		{"named proxy duplicate", func(c *Config) { c.Proxies = []NamedProxy{named("aa", "a:1"), named("aa", "a:2")} },
			`proxies[1].name: duplicate proxy "aa" (also proxies[0])`},
		{"named proxy without endpoint", func(c *Config) { c.Proxies = []NamedProxy{named("aa", "")} },
			"proxies[0].endpoint: must not be empty"},
		{"named proxy timeout", func(c *Config) { p := named("aa", "a:1"); p.Timeout = 0; c.Proxies = []NamedProxy{p} },
			"proxies[0].timeout: must be positive, got 0s"},
		{"default subscribe without endpoint", func(c *Config) { c.Channel.WithoutNamespace.SubscribeProxyEnabled = true },
			`channel.without_namespace.subscribe_proxy_name: subscribe_proxy_enabled is true and the proxy "default" means channel.proxy.subscribe, which has no endpoint; set channel.proxy.subscribe.endpoint or name one of proxies`},
		{"default publish with endpoint", func(c *Config) {
			c.Channel.WithoutNamespace.PublishProxyEnabled = true
			c.Channel.WithoutNamespace.PublishProxyName = "default"
			c.Channel.Proxy.Publish.Endpoint = "http://app/publish"
		}, ""},
		{"namespace sub_refresh default", func(c *Config) {
			c.Channel.Namespaces = []Namespace{{Name: "ns", ChannelOptions: gyre.ChannelOptions{SubRefreshProxyEnabled: true}}}
		}, `channel.namespaces[0].sub_refresh_proxy_name: sub_refresh_proxy_enabled is true and the proxy "default" means channel.proxy.sub_refresh, which has no endpoint; set channel.proxy.sub_refresh.endpoint or name one of proxies`},
		{"namespace unknown proxy", func(c *Config) {
			c.Channel.Namespaces = []Namespace{{Name: "ns", ChannelOptions: gyre.ChannelOptions{PublishProxyName: "nope"}}}
		}, `channel.namespaces[0].publish_proxy_name: proxy "nope" is not defined in proxies`},
		{"namespace named proxy", func(c *Config) {
			c.Proxies = []NamedProxy{named("pp", "a:1")}
			c.Channel.Namespaces = []Namespace{{Name: "ns", ChannelOptions: gyre.ChannelOptions{SubscribeProxyEnabled: true, SubscribeProxyName: "pp"}}}
		}, ""},
		{"rpc default without endpoint", func(c *Config) { c.RPC.WithoutNamespace.ProxyEnabled = true },
			`rpc.without_namespace.proxy_name: proxy_enabled is true and the proxy "default" means rpc.proxy, which has no endpoint; set rpc.proxy.endpoint or name one of proxies`},
		{"rpc namespace unknown proxy", func(c *Config) {
			c.RPC.Namespaces = []RPCNamespace{{Name: "ns", RPCOptions: RPCOptions{ProxyName: "x1"}}}
		},
			`rpc.namespaces[0].proxy_name: proxy "x1" is not defined in proxies`},
		{"rpc namespace bad name", func(c *Config) { c.RPC.Namespaces = []RPCNamespace{{Name: "a:b"}} },
			`rpc.namespaces[0].name: must match ^[-a-zA-Z0-9_.]{2,}$, got "a:b"`},
		{"rpc namespace duplicate", func(c *Config) { c.RPC.Namespaces = []RPCNamespace{{Name: "ns"}, {Name: "ns"}} },
			`rpc.namespaces[1].name: duplicate RPC namespace "ns" (also rpc.namespaces[0])`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.mutate(c)
			err := c.Validate()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Validate() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}
