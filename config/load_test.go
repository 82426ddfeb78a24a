package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gyrehq/gyre"
)

func TestDefaults(t *testing.T) {
	d := Default()
	tests := []struct {
		path string
		got  any
		want any
	}{
		{"http_server.address", d.HTTPServer.Address, ""},
		{"http_server.port", d.HTTPServer.Port, 8000},
		{"http_server.internal_port", d.HTTPServer.InternalPort, 0},
		{"log.level", d.Log.Level, "info"},
		{"engine.type", d.Engine.Type, "memory"},
		{"client.allowed_origins", len(d.Client.AllowedOrigins), 0},
		{"client.ping_interval", d.Client.PingInterval.D(), 25 * time.Second},
		{"client.pong_timeout", d.Client.PongTimeout.D(), 8 * time.Second},
		{"client.expired_close_delay", d.Client.ExpiredCloseDelay.D(), 25 * time.Second},
		{"client.expired_sub_close_delay", d.Client.ExpiredSubCloseDelay.D(), 25 * time.Second},
		{"client.stale_close_delay", d.Client.StaleCloseDelay.D(), 10 * time.Second},
		{"client.channel_limit", d.Client.ChannelLimit, 128},
		{"client.queue_max_size", d.Client.QueueMaxSize, 1048576},
		{"client.presence_update_interval", d.Client.PresenceUpdateInterval.D(), 27 * time.Second},
		{"client.channel_position_check_delay", d.Client.ChannelPositionCheckDelay.D(), 40 * time.Second},
		{"client.connection_limit", d.Client.ConnectionLimit, 0},
		{"client.history_max_publication_limit", d.Client.HistoryMaxPublicationLimit, 300},
		{"client.recovery_max_publication_limit", d.Client.RecoveryMaxPublicationLimit, 300},
		{"channel.namespaces", len(d.Channel.Namespaces), 0},
		{"channel.history_meta_ttl", d.Channel.HistoryMetaTTL.D(), 720 * time.Hour},
		{"channel.publication_data_format", d.Channel.PublicationDataFormat, ""},
		{"channel.max_length", d.Channel.MaxLength, 255},
		{"channel.private_prefix", d.Channel.PrivatePrefix, "$"},
		{"channel.namespace_boundary", d.Channel.NamespaceBoundary, ":"},
		{"channel.user_boundary", d.Channel.UserBoundary, "#"},
		{"channel.user_separator", d.Channel.UserSeparator, ","},
		{"rpc.ping.enabled", d.RPC.Ping.Enabled, false},
		{"rpc.ping.method", d.RPC.Ping.Method, "ping"},
		{"rpc.namespace_boundary", d.RPC.NamespaceBoundary, ":"},
		{"http_api.handler_prefix", d.HTTPAPI.HandlerPrefix, "/api"},
		{"http_api.error_mode", d.HTTPAPI.ErrorMode, ""},
		{"http_api.max_request_body_size", d.HTTPAPI.MaxRequestBodySize, 1048576},
		{"websocket.handler_prefix", d.WebSocket.HandlerPrefix, "/connection/websocket"},
		{"websocket.compression_min_size", d.WebSocket.CompressionMinSize, 0},
		{"websocket.compression_level", d.WebSocket.CompressionLevel, 1},
		{"websocket.write_timeout", d.WebSocket.WriteTimeout.D(), time.Second},
		{"websocket.message_size_limit", d.WebSocket.MessageSizeLimit, 65536},
		{"websocket.decompressed_message_size_limit", d.WebSocket.DecompressedMessageSizeLimit, 0},
		{"prometheus.handler_prefix", d.Prometheus.HandlerPrefix, "/metrics"},
		{"health.handler_prefix", d.Health.HandlerPrefix, "/health"},
		{"node.name", d.Node.Name, ""},
		{"shutdown.timeout", d.Shutdown.Timeout.D(), 30 * time.Second},
		{"pid_file", d.PIDFile, ""},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.path, tt.got, tt.want)
		}
	}
	if err := d.Validate(); err != nil {
		t.Errorf("Default().Validate() = %v", err)
	}
	// No file and no environment means exactly the defaults.
	cfg, warnings, err := Load("", nil)
	if err != nil || len(warnings) > 0 {
		t.Fatalf("Load(\"\", nil) = %v, %v", warnings, err)
	}
	if diff := cmp.Diff(Default(), cfg); diff != "" {
		t.Errorf("Load(\"\", nil) differs from Default() (-want +got):\n%s", diff)
	}
	if d.HTTPServer.EffectiveInternalPort() != 8000 || d.HTTPServer.EffectiveInternalAddress() != "" {
		t.Errorf("internal listener = %q:%d", d.HTTPServer.EffectiveInternalAddress(), d.HTTPServer.EffectiveInternalPort())
	}
	if got := d.WebSocket.EffectiveDecompressedMessageSizeLimit(); got != 655360 {
		t.Errorf("EffectiveDecompressedMessageSizeLimit() = %d, want 655360", got)
	}
}

// sameConfig is one configuration written in each supported format.
var sameConfig = map[string]string{
	"c.json": `{
  "http_server": {"address": "127.0.0.1", "port": 9000, "internal_port": 9001},
  "log": {"level": "debug"},
  "client": {
    "token": {"hmac_secret_key": "s3cret", "hmac_previous_secret_key_valid_until": 1767225600, "audience": "gyre"},
    "subscription_token": {"enabled": true, "issuer_regex": "^https://"},
    "allowed_origins": ["https://*.example.com", "http://localhost:3000"],
    "ping_interval": "-1s",
    "pong_timeout": 5,
    "subscribe_to_user_personal_channel": {"enabled": true, "personal_channel_namespace": "personal"}
  },
  "channel": {
    "without_namespace": {"presence": true},
    "namespaces": [
      {"name": "chat", "presence": true, "join_leave": true, "history_size": 100, "history_ttl": "300s", "force_recovery": true},
      {"name": "personal", "history_meta_ttl": "48h", "publication_data_format": "json"}
    ],
    "history_meta_ttl": "24h"
  },
  "http_api": {"key": "api-key", "error_mode": "transport"},
  "websocket": {"compression": true, "write_timeout": "1500ms"},
  "shutdown": {"timeout": "1m"},
  "pid_file": "/run/gyre.pid"
}`,
	"c.yaml": `
http_server: {address: 127.0.0.1, port: 9000, internal_port: 9001}
log:
  level: debug
client:
  token:
    hmac_secret_key: s3cret
    hmac_previous_secret_key_valid_until: 1767225600
    audience: gyre
  subscription_token:
    enabled: true
    issuer_regex: "^https://"
  allowed_origins:
    - "https://*.example.com"
    - http://localhost:3000
  ping_interval: -1
  pong_timeout: 5s
  subscribe_to_user_personal_channel:
    enabled: true
    personal_channel_namespace: personal
channel:
  without_namespace:
    presence: true
  namespaces:
    - name: chat
      presence: true
      join_leave: true
      history_size: 100
      history_ttl: 300
      force_recovery: true
    - name: personal
      history_meta_ttl: 48h
      publication_data_format: json
  history_meta_ttl: 24h
http_api: {key: api-key, error_mode: transport}
websocket: {compression: true, write_timeout: 1.5s}
shutdown: {timeout: 1m}
pid_file: /run/gyre.pid
`,
	"c.toml": `
pid_file = "/run/gyre.pid"

[http_server]
address = "127.0.0.1"
port = 9000
internal_port = 9001

[log]
level = "debug"

[client]
allowed_origins = ["https://*.example.com", "http://localhost:3000"]
ping_interval = "-1s"
pong_timeout = "5s"

[client.token]
hmac_secret_key = "s3cret"
hmac_previous_secret_key_valid_until = 1767225600
audience = "gyre"

[client.subscription_token]
enabled = true
issuer_regex = "^https://"

[client.subscribe_to_user_personal_channel]
enabled = true
personal_channel_namespace = "personal"

[channel]
history_meta_ttl = "24h"

[channel.without_namespace]
presence = true

[[channel.namespaces]]
name = "chat"
presence = true
join_leave = true
history_size = 100
history_ttl = "300s"
force_recovery = true

[[channel.namespaces]]
name = "personal"
history_meta_ttl = "48h"
publication_data_format = "json"

[http_api]
key = "api-key"
error_mode = "transport"

[websocket]
compression = true
write_timeout = 1.5

[shutdown]
timeout = "1m"
`,
}

func wantSameConfig() *Config {
	c := Default()
	c.HTTPServer = HTTPServer{Address: "127.0.0.1", Port: 9000, InternalPort: 9001}
	c.Log.Level = "debug"
	c.Client.Token.HMACSecretKey = "s3cret"
	c.Client.Token.HMACPreviousSecretKeyValidUntil = 1767225600
	c.Client.Token.Audience = "gyre"
	c.Client.SubscriptionToken.Enabled = true
	c.Client.SubscriptionToken.IssuerRegex = "^https://"
	c.Client.AllowedOrigins = []string{"https://*.example.com", "http://localhost:3000"}
	c.Client.PingInterval = gyre.Duration(-time.Second)
	c.Client.PongTimeout = seconds(5)
	c.Client.SubscribeToUserPersonalChannel = PersonalChannel{Enabled: true, PersonalChannelNamespace: "personal"}
	c.Channel.WithoutNamespace.Presence = true
	c.Channel.Namespaces = []Namespace{
		{Name: "chat", ChannelOptions: gyre.ChannelOptions{Presence: true, JoinLeave: true, HistorySize: 100, HistoryTTL: seconds(300), ForceRecovery: true}},
		{Name: "personal", ChannelOptions: gyre.ChannelOptions{HistoryMetaTTL: seconds(48 * 3600), PublicationDataFormat: "json"}},
	}
	c.Channel.HistoryMetaTTL = seconds(24 * 3600)
	c.HTTPAPI.Key = "api-key"
	c.HTTPAPI.ErrorMode = "transport"
	c.WebSocket.Compression = true
	c.WebSocket.WriteTimeout = gyre.Duration(1500 * time.Millisecond)
	c.Shutdown.Timeout = seconds(60)
	c.PIDFile = "/run/gyre.pid"
	return c
}

func TestFormatsLoadSameConfig(t *testing.T) {
	files := map[string]string{"c.yml": sameConfig["c.yaml"], "C.JSON": sameConfig["c.json"]}
	for name, content := range sameConfig {
		files[name] = content
	}
	want := wantSameConfig()
	for name, content := range files {
		t.Run(name, func(t *testing.T) {
			cfg, warnings := loadString(t, name, content)
			if len(warnings) > 0 {
				t.Errorf("warnings: %v", warnings)
			}
			if diff := cmp.Diff(want, cfg); diff != "" {
				t.Errorf("config differs (-want +got):\n%s", diff)
			}
			if err := cfg.Validate(); err != nil {
				t.Errorf("Validate() = %v", err)
			}
		})
	}
}

func TestLoadFileErrors(t *testing.T) {
	tests := []struct {
		name, content string
		want          string // substring of the error; "" means success
	}{
		{"c.ini", "port=1", `unsupported file extension ".ini"`},
		{"config", "{}", `unsupported file extension ""`},
		{"c.json", "{\n  \"log\": {\"level\": \"info\",}\n}", "invalid JSON at line 2, column 27"},
		{"c.json", `{"log": {}} {}`, "unexpected data after the top-level object"},
		{"c.json", ``, "unexpected end of file"},
		{"c.json", `{"log": `, "unexpected end of file"},
		{"c.json", `[1, 2]`, "the top level must be an object of sections, got a list"},
		{"c.json", `"text"`, `got string "text"`},
		{"c.yaml", "log: [\n", "invalid YAML"},
		{"c.yaml", "- a\n- b\n", "the top level must be an object"},
		{"c.yaml", "", ""},
		{"c.yaml", "# only a comment\n", ""},
		{"c.toml", "[log\nlevel = 1", "invalid TOML at line 1"},
		{"c.toml", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+tt.want, func(t *testing.T) {
			path := writeConfig(t, tt.name, tt.content)
			cfg, _, err := Load(path, nil)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Load() = %v", err)
				}
				if diff := cmp.Diff(Default(), cfg); diff != "" {
					t.Errorf("empty file differs from defaults:\n%s", diff)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load() error = %v, want it to contain %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), filepath.Base(path)) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
	_, _, err := Load(filepath.Join(t.TempDir(), "missing.json"), nil)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want os.ErrNotExist", err)
	}
}

func TestUnknownKeysWarn(t *testing.T) {
	content := `{
  "": 1,
  "a.b\n": 2,
  "htpp_server": {"port": 1},
  "http_server": {"Port": 1, "port": 8001},
  "grpc_api": {"enabled": true, "reflection": true},
  "client": {"token": {"hmac_secret": "x", "insecure_skip_jwks_endpoint_safety_check": true}},
  "channel": {
    "without_namespace": {"presense": true},
    "namespaces": [
      {"name": "a1"},
      {"name": "b2", "histroy_size": 10, "delta_publish": true, "totally_new": {"x": 1}}
    ]
  }
}`
	cfg, warnings := loadString(t, "c.json", content)
	want := []Warning{
		{Key: `""`, Message: "unknown key (ignored)"},
		{Key: `"a.b\n"`, Message: "unknown key (ignored)"},
		{Key: "channel.namespaces[1].delta_publish", Message: "Centrifugo key not supported by Gyre yet (ignored)"},
		{Key: "channel.namespaces[1].histroy_size", Message: `unknown key (ignored); did you mean "history_size"?`},
		{Key: "channel.namespaces[1].totally_new", Message: "unknown key (ignored)"},
		{Key: "channel.without_namespace.presense", Message: `unknown key (ignored); did you mean "presence"?`},
		{Key: "client.token.hmac_secret", Message: "unknown key (ignored)"},
		{Key: "client.token.insecure_skip_jwks_endpoint_safety_check", Message: "Centrifugo key not supported by Gyre yet (ignored)"},
		{Key: "grpc_api.reflection", Message: "Centrifugo key not supported by Gyre yet (ignored)"},
		{Key: "htpp_server", Message: `unknown key (ignored); did you mean "http_server"?`},
		{Key: "http_server.Port", Message: `unknown key (ignored); did you mean "port"?`},
	}
	if diff := cmp.Diff(want, warnings); diff != "" {
		t.Errorf("warnings differ (-want +got):\n%s", diff)
	}
	// Unknown keys are ignored, known ones still apply; keys are
	// case-sensitive.
	if cfg.HTTPServer.Port != 8001 || len(cfg.Channel.Namespaces) != 2 || cfg.Channel.Namespaces[1].HistorySize != 0 {
		t.Errorf("config = %+v", cfg)
	}
	if got := warnings[3].String(); got != `channel.namespaces[1].histroy_size: unknown key (ignored); did you mean "history_size"?` {
		t.Errorf("String() = %q", got)
	}
}

func TestTypeErrors(t *testing.T) {
	tests := []struct {
		name, content string
		want          []string // every FieldError, in order
	}{
		{"c.json", `{"http_server": {"port": "8000a"}}`,
			[]string{`http_server.port: expected integer, got string "8000a"`}},
		{"c.json", `{"http_server": {"port": 80.5}}`,
			[]string{`http_server.port: expected integer, got number 80.5`}},
		{"c.json", `{"log": {"level": 3}}`,
			[]string{`log.level: expected string, got number 3`}},
		{"c.json", `{"log": "debug"}`,
			[]string{`log: expected object, got string "debug"`}},
		{"c.json", `{"client": {"insecure": "yes"}}`,
			[]string{`client.insecure: expected boolean, got string "yes"`}},
		{"c.json", `{"client": {"ping_interval": "soon"}}`,
			[]string{`client.ping_interval: expected duration (a string like "25s" or a number of seconds), got string "soon"`}},
		{"c.json", `{"client": {"allowed_origins": "https://a.example"}}`,
			[]string{`client.allowed_origins: expected list of strings, got string "https://a.example"`}},
		{"c.json", `{"client": {"allowed_origins": ["ok", 5]}}`,
			[]string{`client.allowed_origins[1]: expected string, got number 5`}},
		{"c.json", `{"client": {"token": {"hmac_previous_secret_key_valid_until": "tomorrow"}}}`,
			[]string{`client.token.hmac_previous_secret_key_valid_until: expected integer, got string "tomorrow"`}},
		{"c.json", `{"channel": {"namespaces": {"name": "chat"}}}`,
			[]string{`channel.namespaces: expected list of objects, got an object`}},
		{"c.json", `{"channel": {"namespaces": [{"name": "ok"}, "chat", {"name": "x", "history_size": "10", "presence": 1}]}}`,
			[]string{
				`channel.namespaces[1]: expected object, got string "chat"`,
				`channel.namespaces[2].history_size: expected integer, got string "10"`,
				`channel.namespaces[2].presence: expected boolean, got number 1`,
			}},
		{"c.yaml", "channel:\n  without_namespace:\n    history_ttl: [1]\n",
			[]string{`channel.without_namespace.history_ttl: expected duration (a string like "25s" or a number of seconds), got a list`}},
		{"c.yaml", "websocket:\n  message_size_limit: .inf\n",
			[]string{`websocket.message_size_limit: expected integer, got number +Inf`}},
		{"c.toml", "[http_server]\nport = true\n",
			[]string{`http_server.port: expected integer, got boolean true`}},
	}
	for _, tt := range tests {
		t.Run(tt.want[0], func(t *testing.T) {
			cfg, _, err := Load(writeConfig(t, tt.name, tt.content), nil)
			if err == nil {
				t.Fatalf("Load() = %+v, want an error", cfg)
			}
			var list Errors
			if !errors.As(err, &list) {
				t.Fatalf("error %T is not Errors: %v", err, err)
			}
			var got []string
			for _, fe := range list {
				got = append(got, fe.Error())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors differ (-want +got):\n%s", diff)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || !strings.HasPrefix(tt.want[0], fe.Key+":") {
				t.Errorf("errors.As(*FieldError) = %v", fe)
			}
		})
	}
}

func TestNullKeepsDefault(t *testing.T) {
	cfg, warnings := loadString(t, "c.json", `{"http_server": {"port": null}, "client": null, "channel": {"namespaces": null}}`)
	if len(warnings) > 0 {
		t.Errorf("warnings: %v", warnings)
	}
	if diff := cmp.Diff(Default(), cfg); diff != "" {
		t.Errorf("nulls changed the defaults:\n%s", diff)
	}
}

func TestNamespaceHelpers(t *testing.T) {
	c := wantSameConfig()
	tests := []struct {
		name     string
		ok       bool
		presence bool
		metaTTL  time.Duration
		format   string
	}{
		{"", true, true, 24 * time.Hour, ""},
		{"chat", true, true, 24 * time.Hour, ""},
		{"personal", true, false, 48 * time.Hour, "json"},
		{"missing", false, false, 0, ""},
	}
	for _, tt := range tests {
		opts, ok := c.Namespace(tt.name)
		if ok != tt.ok || opts.Presence != tt.presence {
			t.Errorf("Namespace(%q) = %+v, %v", tt.name, opts, ok)
		}
		ttl, ok := c.HistoryMetaTTL(tt.name)
		if ok != tt.ok || ttl != tt.metaTTL {
			t.Errorf("HistoryMetaTTL(%q) = %v, %v; want %v", tt.name, ttl, ok, tt.metaTTL)
		}
		if got := c.Channel.EffectivePublicationDataFormat(opts); got != tt.format {
			t.Errorf("EffectivePublicationDataFormat(%q) = %q, want %q", tt.name, got, tt.format)
		}
	}
	if got := (HTTPServer{Address: "a", Port: 1}).EffectiveInternalAddress(); got != "a" {
		t.Errorf("EffectiveInternalAddress() = %q", got)
	}
	if got := (HTTPServer{InternalAddress: "b", Port: 1, InternalPort: 2}); got.EffectiveInternalAddress() != "b" || got.EffectiveInternalPort() != 2 {
		t.Errorf("internal listener = %q:%d", got.EffectiveInternalAddress(), got.EffectiveInternalPort())
	}
	if got := (WebSocket{MessageSizeLimit: 10, DecompressedMessageSizeLimit: 7}).EffectiveDecompressedMessageSizeLimit(); got != 7 {
		t.Errorf("EffectiveDecompressedMessageSizeLimit() = %d", got)
	}
}
