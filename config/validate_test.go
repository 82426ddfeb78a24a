package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gyrehq/gyre"
)

// withHistory is a namespace with valid history.
func withHistory(name string) Namespace {
	return Namespace{Name: name, ChannelOptions: gyre.ChannelOptions{HistorySize: 10, HistoryTTL: seconds(60)}}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *Config)
		want   string // the whole expected message; "" means valid
	}{
		{"defaults", func(c *Config) {}, ""},
		{"port too big", func(c *Config) { c.HTTPServer.Port = 70000 },
			"http_server.port: must be a port number from 0 to 65535, got 70000"},
		{"port zero is allowed", func(c *Config) { c.HTTPServer.Port = 0 }, ""},
		{"internal port negative", func(c *Config) { c.HTTPServer.InternalPort = -1 },
			"http_server.internal_port: must be a port number from 0 to 65535, got -1"},
		{"log level", func(c *Config) { c.Log.Level = "verbose" },
			`log.level: must be one of "none", "trace", "debug", "info", "warn", "error", got "verbose"`},
		{"log level empty", func(c *Config) { c.Log.Level = "" },
			`log.level: must be one of "none", "trace", "debug", "info", "warn", "error", got ""`},
		{"engine redis without address", func(c *Config) { c.Engine.Type = "redis"; c.Engine.Redis.Address = nil },
			`engine.redis.address: must name at least one Redis server`},
		{"engine other", func(c *Config) { c.Engine.Type = "nats" },
			`engine.type: must be one of "memory", "redis", got "nats"`},
		{"broker type", func(c *Config) { c.Broker.Enabled = true; c.Broker.Type = "kafka" },
			`broker.type: must be one of "memory", "redis", "nats", got "kafka"`},
		{"nats broker and history", func(c *Config) {
			c.Broker.Enabled, c.Broker.Type = true, "nats"
			c.Channel.WithoutNamespace.HistorySize, c.Channel.WithoutNamespace.HistoryTTL = 10, seconds(60)
		}, `channel.without_namespace: the nats broker keeps no history: history, positioning and recovery need broker.type redis or memory`},
		{"sentinel without master", func(c *Config) {
			c.PresenceManager.Enabled, c.PresenceManager.Type = true, "redis"
			c.PresenceManager.Redis.SentinelAddress = StringList{"127.0.0.1:26379"}
		}, `presence_manager.redis.sentinel_master_name: must be set with sentinel_address`},
		{"ping not above pong", func(c *Config) { c.Client.PingInterval = seconds(8) },
			"client.ping_interval: must be greater than client.pong_timeout (8s), got 8s; a negative value disables pings"},
		{"ping disabled", func(c *Config) { c.Client.PingInterval = -1; c.Client.PongTimeout = seconds(100) }, ""},
		{"pong disabled", func(c *Config) {
			c.Client.PingInterval = seconds(1)
			c.Client.PongTimeout = gyre.Duration(-time.Second)
		}, ""},
		{"audience and regex", func(c *Config) { c.Client.Token.Audience = "a"; c.Client.Token.AudienceRegex = "a" },
			"client.token.audience_regex: only one of audience and audience_regex may be set"},
		{"issuer and regex", func(c *Config) { c.Client.SubscriptionToken.Issuer = "a"; c.Client.SubscriptionToken.IssuerRegex = "a" },
			"client.subscription_token.issuer_regex: only one of issuer and issuer_regex may be set"},
		{"bad audience regex", func(c *Config) { c.Client.Token.AudienceRegex = "(" },
			"client.token.audience_regex: invalid regular expression: error parsing regexp: missing closing ): `(`"},
		{"bad issuer regex", func(c *Config) { c.Client.SubscriptionToken.IssuerRegex = "[" },
			"client.subscription_token.issuer_regex: invalid regular expression: error parsing regexp: missing closing ]: `[`"},
		{"user id claim", func(c *Config) { c.Client.Token.UserIDClaim = "user-id" },
			`client.token.user_id_claim: must contain only letters and underscores, got "user-id"`},
		{"user id claim ok", func(c *Config) { c.Client.Token.UserIDClaim = "user_id" }, ""},
		{"previous key valid until", func(c *Config) { c.Client.Token.HMACPreviousSecretKeyValidUntil = -5 },
			"client.token.hmac_previous_secret_key_valid_until: must not be negative, got -5"},
		{"allowed origin glob", func(c *Config) { c.Client.AllowedOrigins = []string{"https://ok.example", "https://[a.example"} },
			`client.allowed_origins[1]: invalid glob pattern "https://[a.example": unexpected end of input`},
		{"personal namespace missing", func(c *Config) { c.Client.SubscribeToUserPersonalChannel.PersonalChannelNamespace = "users" },
			`client.subscribe_to_user_personal_channel.personal_channel_namespace: namespace "users" is not defined in channel.namespaces`},
		{"personal namespace present", func(c *Config) {
			c.Client.SubscribeToUserPersonalChannel.PersonalChannelNamespace = "users"
			c.Channel.Namespaces = []Namespace{{Name: "users"}}
		}, ""},
		{"negative delay", func(c *Config) { c.Client.StaleCloseDelay = -1 },
			"client.stale_close_delay: must not be negative, got -1ns"},
		{"presence interval", func(c *Config) { c.Client.PresenceUpdateInterval = 0 },
			"client.presence_update_interval: must be positive, got 0s"},
		{"position check delay", func(c *Config) { c.Client.ChannelPositionCheckDelay = 0 },
			"client.channel_position_check_delay: must be positive, got 0s"},
		{"channel limit", func(c *Config) { c.Client.ChannelLimit = -1 },
			"client.channel_limit: must not be negative, got -1"},
		{"queue size", func(c *Config) { c.Client.QueueMaxSize = 0 },
			"client.queue_max_size: must be positive, got 0"},
		{"connection limit", func(c *Config) { c.Client.ConnectionLimit = -1 },
			"client.connection_limit: must not be negative, got -1"},
		{"user connection limit", func(c *Config) { c.Client.UserConnectionLimit = -1 },
			"client.user_connection_limit: must not be negative, got -1"},
		{"connection rate limit", func(c *Config) { c.Client.ConnectionRateLimit = -1 },
			"client.connection_rate_limit: must not be negative, got -1"},
		{"history publication limit", func(c *Config) { c.Client.HistoryMaxPublicationLimit = -1 },
			"client.history_max_publication_limit: must not be negative, got -1"},
		{"recovery publication limit", func(c *Config) { c.Client.RecoveryMaxPublicationLimit = -1 },
			"client.recovery_max_publication_limit: must not be negative, got -1"},
		{"global meta ttl", func(c *Config) { c.Channel.HistoryMetaTTL = 0 },
			"channel.history_meta_ttl: must be positive, got 0s"},
		{"global meta ttl whole seconds", func(c *Config) { c.Channel.HistoryMetaTTL = gyre.Duration(1500 * time.Millisecond) },
			"channel.history_meta_ttl: must be a whole number of seconds, got 1.5s"},
		{"global data format", func(c *Config) { c.Channel.PublicationDataFormat = "xml" },
			`channel.publication_data_format: must be one of "", "json", "json_object", "binary", got "xml"`},
		{"max length", func(c *Config) { c.Channel.MaxLength = 0 },
			"channel.max_length: must be positive, got 0"},
		{"private prefix", func(c *Config) { c.Channel.PrivatePrefix = "" }, "channel.private_prefix: must not be empty"},
		{"namespace boundary", func(c *Config) { c.Channel.NamespaceBoundary = "" }, "channel.namespace_boundary: must not be empty"},
		{"user boundary", func(c *Config) { c.Channel.UserBoundary = "" }, "channel.user_boundary: must not be empty"},
		{"user separator", func(c *Config) { c.Channel.UserSeparator = "" }, "channel.user_separator: must not be empty"},
		{"rpc boundary", func(c *Config) { c.RPC.NamespaceBoundary = "" }, "rpc.namespace_boundary: must not be empty"},
		{"rpc ping method", func(c *Config) { c.RPC.Ping = RPCPing{Enabled: true} }, "rpc.ping.method: must not be empty"},
		{"namespace name short", func(c *Config) { c.Channel.Namespaces = []Namespace{{Name: "a"}} },
			`channel.namespaces[0].name: must match ^[-a-zA-Z0-9_.]{2,}$, got "a"`},
		{"namespace name chars", func(c *Config) { c.Channel.Namespaces = []Namespace{{Name: "ok"}, {Name: "a:b"}} },
			`channel.namespaces[1].name: must match ^[-a-zA-Z0-9_.]{2,}$, got "a:b"`},
		{"namespace duplicate", func(c *Config) { c.Channel.Namespaces = []Namespace{{Name: "chat"}, {Name: "x-y.z_1"}, {Name: "chat"}} },
			`channel.namespaces[2].name: duplicate namespace "chat" (also channel.namespaces[0])`},
		{"history size without ttl", func(c *Config) {
			c.Channel.Namespaces = []Namespace{{Name: "ns", ChannelOptions: gyre.ChannelOptions{HistorySize: 10}}}
		},
			"channel.namespaces[0].history_ttl: must be set when history_size is set"},
		{"history ttl without size", func(c *Config) { c.Channel.WithoutNamespace.HistoryTTL = seconds(10) },
			"channel.without_namespace.history_size: must be set when history_ttl is set"},
		{"history size negative", func(c *Config) { c.Channel.WithoutNamespace.HistorySize = -1 },
			"channel.without_namespace.history_size: must not be negative, got -1"},
		{"history ttl whole seconds", func(c *Config) {
			ns := withHistory("ns")
			ns.HistoryTTL = gyre.Duration(2500 * time.Millisecond)
			c.Channel.Namespaces = []Namespace{ns}
		}, "channel.namespaces[0].history_ttl: must be a whole number of seconds, got 2.5s"},
		{"namespace meta ttl whole seconds", func(c *Config) {
			ns := withHistory("ns")
			ns.HistoryMetaTTL = gyre.Duration(90500 * time.Millisecond)
			c.Channel.Namespaces = []Namespace{ns}
		}, "channel.namespaces[0].history_meta_ttl: must be a whole number of seconds, got 1m30.5s"},
		{"namespace meta ttl below ttl", func(c *Config) {
			ns := withHistory("ns")
			ns.HistoryMetaTTL = seconds(30)
			c.Channel.Namespaces = []Namespace{ns}
		}, "channel.namespaces[0].history_meta_ttl: must not be less than history_ttl (1m), got 30s"},
		{"global meta ttl below ttl", func(c *Config) {
			c.Channel.HistoryMetaTTL = seconds(30)
			c.Channel.Namespaces = []Namespace{withHistory("ns")}
		}, "channel.namespaces[0].history_ttl: must not exceed channel.history_meta_ttl (30s), got 1m; raise channel.history_meta_ttl or set history_meta_ttl here"},
		{"namespace meta ttl overrides a low global", func(c *Config) {
			c.Channel.HistoryMetaTTL = seconds(30)
			ns := withHistory("ns")
			ns.HistoryMetaTTL = seconds(60)
			c.Channel.Namespaces = []Namespace{ns}
		}, ""},
		{"force recovery needs history", func(c *Config) { c.Channel.WithoutNamespace.ForceRecovery = true },
			"channel.without_namespace.force_recovery: requires history (history_size and history_ttl)"},
		{"force positioning needs history", func(c *Config) {
			c.Channel.Namespaces = []Namespace{{Name: "ns", ChannelOptions: gyre.ChannelOptions{ForcePositioning: true}}}
		}, "channel.namespaces[0].force_positioning: requires history (history_size and history_ttl)"},
		{"force recovery with history", func(c *Config) {
			ns := withHistory("ns")
			ns.ForceRecovery, ns.ForcePositioning, ns.ForceRecoveryMode = true, true, "cache"
			c.Channel.Namespaces = []Namespace{ns}
		}, ""},
		{"recovery mode", func(c *Config) { c.Channel.WithoutNamespace.ForceRecoveryMode = "replay" },
			`channel.without_namespace.force_recovery_mode: must be one of "", "stream", "cache", got "replay"`},
		{"namespace data format", func(c *Config) {
			c.Channel.Namespaces = []Namespace{{Name: "ns", ChannelOptions: gyre.ChannelOptions{PublicationDataFormat: "protobuf"}}}
		}, `channel.namespaces[0].publication_data_format: must be one of "", "json", "json_object", "binary", got "protobuf"`},
		{"channel regex", func(c *Config) { c.Channel.WithoutNamespace.ChannelRegex = "a(" },
			"channel.without_namespace.channel_regex: invalid regular expression: error parsing regexp: missing closing ): `a(`"},
		{"api error mode", func(c *Config) { c.HTTPAPI.ErrorMode = "http" },
			`http_api.error_mode: must be one of "", "transport", got "http"`},
		{"api handler prefix", func(c *Config) { c.HTTPAPI.HandlerPrefix = "api" },
			`http_api.handler_prefix: must start with "/", got "api"`},
		{"api body size", func(c *Config) { c.HTTPAPI.MaxRequestBodySize = 0 },
			"http_api.max_request_body_size: must be positive, got 0"},
		{"websocket prefix", func(c *Config) { c.WebSocket.HandlerPrefix = "ws" },
			`websocket.handler_prefix: must start with "/", got "ws"`},
		{"compression min size", func(c *Config) { c.WebSocket.CompressionMinSize = -1 },
			"websocket.compression_min_size: must not be negative, got -1"},
		{"compression level", func(c *Config) { c.WebSocket.CompressionLevel = 10 },
			"websocket.compression_level: must be from -2 to 9, got 10"},
		{"write timeout", func(c *Config) { c.WebSocket.WriteTimeout = gyre.Duration(-time.Second) },
			"websocket.write_timeout: must not be negative, got -1s"},
		{"message size", func(c *Config) { c.WebSocket.MessageSizeLimit = 0 },
			"websocket.message_size_limit: must be positive, got 0"},
		{"decompressed size", func(c *Config) { c.WebSocket.DecompressedMessageSizeLimit = -1 },
			"websocket.decompressed_message_size_limit: must not be negative, got -1"},
		{"prometheus prefix", func(c *Config) { c.Prometheus.HandlerPrefix = "metrics" },
			`prometheus.handler_prefix: must start with "/", got "metrics"`},
		{"health prefix", func(c *Config) { c.Health.HandlerPrefix = "health" },
			`health.handler_prefix: must start with "/", got "health"`},
		{"shutdown timeout", func(c *Config) { c.Shutdown.Timeout = gyre.Duration(-time.Second) },
			"shutdown.timeout: must not be negative, got -1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.mutate(c)
			err := c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Validate() = %v\nwant %s", err, tt.want)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || !strings.HasPrefix(tt.want, fe.Key+": ") {
				t.Errorf("errors.As(*FieldError) = %+v", fe)
			}
		})
	}
}

func TestValidateReportsEverything(t *testing.T) {
	c := Default()
	c.HTTPServer.Port = -1
	c.Log.Level = "loud"
	c.Channel.Namespaces = []Namespace{{Name: "x"}}
	err := c.Validate()
	var list Errors
	if !errors.As(err, &list) {
		t.Fatalf("Validate() = %T %v, want Errors", err, err)
	}
	if len(list) != 3 || len(list.Unwrap()) != 3 {
		t.Fatalf("got %d problems, want 3:\n%v", len(list), err)
	}
	wantKeys := []string{"http_server.port", "log.level", "channel.namespaces[0].name"}
	for i, fe := range list {
		if fe.Key != wantKeys[i] {
			t.Errorf("problem %d key = %q, want %q", i, fe.Key, wantKeys[i])
		}
	}
	if lines := strings.Split(err.Error(), "\n"); len(lines) != 3 {
		t.Errorf("Error() has %d lines, want one per problem:\n%s", len(lines), err)
	}
}
