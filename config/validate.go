package config

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gobwas/glob"

	"github.com/gyrehq/gyre"
)

var (
	namespaceNameRe = regexp.MustCompile(`^[-a-zA-Z0-9_.]{2,}$`)
	userIDClaimRe   = regexp.MustCompile(`^[a-zA-Z_]+$`)
)

// logLevels lists the accepted values of log.level; "none" turns logging off.
var logLevels = []string{"none", "trace", "debug", "info", "warn", "error"}

// dur formats a duration for messages, without zero units ("1m", "720h").
func dur(d gyre.Duration) string { return formatDuration(d.D()) }

// validator collects problems as FieldErrors.
type validator struct{ errs Errors }

func (v *validator) add(key, format string, args ...any) {
	v.errs = append(v.errs, &FieldError{Key: key, Reason: fmt.Sprintf(format, args...)})
}

func (v *validator) oneOf(key, value string, allowed ...string) {
	if !slices.Contains(allowed, value) {
		quoted := make([]string, len(allowed))
		for i, a := range allowed {
			quoted[i] = strconv.Quote(a)
		}
		v.add(key, "must be one of %s, got %q", strings.Join(quoted, ", "), value)
	}
}

func (v *validator) nonNegative(key string, n int) {
	if n < 0 {
		v.add(key, "must not be negative, got %d", n)
	}
}

func (v *validator) positive(key string, n int) {
	if n <= 0 {
		v.add(key, "must be positive, got %d", n)
	}
}

func (v *validator) nonNegativeDuration(key string, d gyre.Duration) {
	if d < 0 {
		v.add(key, "must not be negative, got %s", dur(d))
	}
}

func (v *validator) port(key string, p int) {
	if p < 0 || p > 65535 {
		v.add(key, "must be a port number from 0 to 65535, got %d", p)
	}
}

func (v *validator) nonEmpty(key, s string) {
	if s == "" {
		v.add(key, "must not be empty")
	}
}

func (v *validator) handlerPrefix(key, s string) {
	if s != "" && !strings.HasPrefix(s, "/") {
		v.add(key, "must start with \"/\", got %q", s)
	}
}

func (v *validator) wholeSeconds(key string, d gyre.Duration) {
	if d.D()%time.Second != 0 {
		v.add(key, "must be a whole number of seconds, got %s", dur(d))
	}
}

// Validate checks the configuration and returns every problem found as an
// Errors list of *FieldError ("key: reason"), or nil.
func (c *Config) Validate() error {
	v := &validator{}
	v.port("http_server.port", c.HTTPServer.Port)
	v.port("http_server.internal_port", c.HTTPServer.InternalPort)
	v.oneOf("log.level", c.Log.Level, logLevels...)
	v.oneOf("engine.type", c.Engine.Type, "memory", "redis")
	if c.Engine.Type == "redis" {
		validateRedis(v, "engine.redis", c.Engine.Redis)
	}
	if c.Broker.Enabled {
		v.oneOf("broker.type", c.Broker.Type, "memory", "redis", "nats")
		switch c.Broker.Type {
		case "redis":
			validateRedis(v, "broker.redis", c.Broker.Redis)
		case "nats":
			v.nonEmpty("broker.nats.url", c.Broker.NATS.URL)
			v.nonEmpty("broker.nats.prefix", c.Broker.NATS.Prefix)
			c.validateNoHistory(v)
		}
	}
	if c.PresenceManager.Enabled {
		v.oneOf("presence_manager.type", c.PresenceManager.Type, "memory", "redis")
		if c.PresenceManager.Type == "redis" {
			validateRedis(v, "presence_manager.redis", c.PresenceManager.Redis)
		}
	}
	c.validateClient(v)
	c.validateChannel(v)
	c.validateProxies(v)
	v.nonEmpty("rpc.namespace_boundary", c.RPC.NamespaceBoundary)
	if c.RPC.Ping.Enabled {
		v.nonEmpty("rpc.ping.method", c.RPC.Ping.Method)
	}
	v.handlerPrefix("http_api.handler_prefix", c.HTTPAPI.HandlerPrefix)
	v.oneOf("http_api.error_mode", c.HTTPAPI.ErrorMode, "", "transport")
	v.positive("http_api.max_request_body_size", c.HTTPAPI.MaxRequestBodySize)
	v.nonNegative("client.command_rate_limit", c.Client.CommandRateLimit)
	v.nonNegative("client.command_rate_limit_burst", c.Client.CommandRateLimitBurst)
	v.handlerPrefix("websocket.handler_prefix", c.WebSocket.HandlerPrefix)
	v.nonNegative("websocket.compression_min_size", c.WebSocket.CompressionMinSize)
	if l := c.WebSocket.CompressionLevel; l < -2 || l > 9 {
		v.add("websocket.compression_level", "must be from -2 to 9, got %d", l)
	}
	v.nonNegativeDuration("websocket.write_timeout", c.WebSocket.WriteTimeout)
	v.positive("websocket.message_size_limit", c.WebSocket.MessageSizeLimit)
	v.nonNegative("websocket.decompressed_message_size_limit", c.WebSocket.DecompressedMessageSizeLimit)
	v.oneOf("websocket.read_mode", c.WebSocket.ReadMode, "", "epoll", "goroutine")
	validateTLS(v, "http_server.tls", c.HTTPServer.TLS)
	validateTLS(v, "grpc_api.tls", c.GRPCAPI.TLS)
	if c.GRPCAPI.Enabled {
		v.port("grpc_api.port", c.GRPCAPI.Port)
	}
	v.oneOf("grpc_api.error_mode", c.GRPCAPI.ErrorMode, "", "transport")
	v.nonNegative("grpc_api.max_receive_message_size", c.GRPCAPI.MaxReceiveMessageSize)
	v.handlerPrefix("prometheus.handler_prefix", c.Prometheus.HandlerPrefix)
	v.handlerPrefix("debug.handler_prefix", c.Debug.HandlerPrefix)
	v.handlerPrefix("health.handler_prefix", c.Health.HandlerPrefix)
	v.nonNegativeDuration("shutdown.timeout", c.Shutdown.Timeout)
	if len(v.errs) == 0 {
		return nil
	}
	return v.errs
}

func (c *Config) validateClient(v *validator) {
	cl := &c.Client
	validateToken(v, "client.token", cl.Token)
	validateToken(v, "client.subscription_token", cl.SubscriptionToken.Token)
	for i, o := range cl.AllowedOrigins {
		if _, err := glob.Compile(strings.ToLower(o)); err != nil {
			v.add(fmt.Sprintf("client.allowed_origins[%d]", i), "invalid glob pattern %q: %v", o, err)
		}
	}
	if cl.PingInterval >= 0 && cl.PongTimeout >= 0 && cl.PingInterval <= cl.PongTimeout {
		v.add("client.ping_interval", "must be greater than client.pong_timeout (%s), got %s; a negative value disables pings", dur(cl.PongTimeout), dur(cl.PingInterval))
	}
	for _, d := range []struct {
		key string
		val gyre.Duration
	}{
		{"client.expired_close_delay", cl.ExpiredCloseDelay},
		{"client.expired_sub_close_delay", cl.ExpiredSubCloseDelay},
		{"client.stale_close_delay", cl.StaleCloseDelay},
	} {
		v.nonNegativeDuration(d.key, d.val)
	}
	if cl.PresenceUpdateInterval <= 0 {
		v.add("client.presence_update_interval", "must be positive, got %s", dur(cl.PresenceUpdateInterval))
	}
	if cl.ChannelPositionCheckDelay <= 0 {
		v.add("client.channel_position_check_delay", "must be positive, got %s", dur(cl.ChannelPositionCheckDelay))
	}
	v.nonNegative("client.channel_limit", cl.ChannelLimit)
	v.positive("client.queue_max_size", cl.QueueMaxSize)
	v.nonNegative("client.connection_limit", cl.ConnectionLimit)
	v.nonNegative("client.user_connection_limit", cl.UserConnectionLimit)
	v.nonNegative("client.connection_rate_limit", cl.ConnectionRateLimit)
	v.nonNegative("client.history_max_publication_limit", cl.HistoryMaxPublicationLimit)
	v.nonNegative("client.recovery_max_publication_limit", cl.RecoveryMaxPublicationLimit)
	if ns := cl.SubscribeToUserPersonalChannel.PersonalChannelNamespace; ns != "" {
		if _, ok := c.Namespace(ns); !ok {
			v.add("client.subscribe_to_user_personal_channel.personal_channel_namespace", "namespace %q is not defined in channel.namespaces", ns)
		}
	}
}

func validateToken(v *validator, key string, t Token) {
	if t.Audience != "" && t.AudienceRegex != "" {
		v.add(key+".audience_regex", "only one of audience and audience_regex may be set")
	}
	if t.Issuer != "" && t.IssuerRegex != "" {
		v.add(key+".issuer_regex", "only one of issuer and issuer_regex may be set")
	}
	for _, r := range []struct{ key, re string }{{"audience_regex", t.AudienceRegex}, {"issuer_regex", t.IssuerRegex}} {
		if _, err := regexp.Compile(r.re); err != nil {
			v.add(key+"."+r.key, "invalid regular expression: %v", err)
		}
	}
	if t.UserIDClaim != "" && !userIDClaimRe.MatchString(t.UserIDClaim) {
		v.add(key+".user_id_claim", "must contain only letters and underscores, got %q", t.UserIDClaim)
	}
	if t.HMACPreviousSecretKeyValidUntil < 0 {
		v.add(key+".hmac_previous_secret_key_valid_until", "must not be negative, got %d", t.HMACPreviousSecretKeyValidUntil)
	}
}

var dataFormats = []string{"", "json", "json_object", "binary"}

func (c *Config) validateChannel(v *validator) {
	ch := &c.Channel
	if ch.HistoryMetaTTL <= 0 {
		v.add("channel.history_meta_ttl", "must be positive, got %s", dur(ch.HistoryMetaTTL))
	}
	v.wholeSeconds("channel.history_meta_ttl", ch.HistoryMetaTTL)
	v.oneOf("channel.publication_data_format", ch.PublicationDataFormat, dataFormats...)
	v.positive("channel.max_length", ch.MaxLength)
	v.nonEmpty("channel.private_prefix", ch.PrivatePrefix)
	v.nonEmpty("channel.namespace_boundary", ch.NamespaceBoundary)
	v.nonEmpty("channel.user_boundary", ch.UserBoundary)
	v.nonEmpty("channel.user_separator", ch.UserSeparator)
	validateOptions(v, "channel.without_namespace", ch.WithoutNamespace, ch.HistoryMetaTTL)
	seen := map[string]int{}
	for i, ns := range ch.Namespaces {
		key := fmt.Sprintf("channel.namespaces[%d]", i)
		if !namespaceNameRe.MatchString(ns.Name) {
			v.add(key+".name", "must match %s, got %q", namespaceNameRe, ns.Name)
		} else if j, dup := seen[ns.Name]; dup {
			v.add(key+".name", "duplicate namespace %q (also channel.namespaces[%d])", ns.Name, j)
		} else {
			seen[ns.Name] = i
		}
		validateOptions(v, key, ns.ChannelOptions, ch.HistoryMetaTTL)
	}
}

// validateOptions checks one namespace's options; key is its path.
func validateOptions(v *validator, key string, o gyre.ChannelOptions, globalMetaTTL gyre.Duration) {
	v.nonNegative(key+".history_size", o.HistorySize)
	v.nonNegativeDuration(key+".history_ttl", o.HistoryTTL)
	v.nonNegativeDuration(key+".history_meta_ttl", o.HistoryMetaTTL)
	v.wholeSeconds(key+".history_ttl", o.HistoryTTL)
	v.wholeSeconds(key+".history_meta_ttl", o.HistoryMetaTTL)
	switch {
	case o.HistorySize > 0 && o.HistoryTTL <= 0:
		v.add(key+".history_ttl", "must be set when history_size is set")
	case o.HistoryTTL > 0 && o.HistorySize <= 0:
		v.add(key+".history_size", "must be set when history_ttl is set")
	}
	if o.HistoryTTL > 0 {
		if o.HistoryMetaTTL > 0 && o.HistoryMetaTTL < o.HistoryTTL {
			v.add(key+".history_meta_ttl", "must not be less than history_ttl (%s), got %s", dur(o.HistoryTTL), dur(o.HistoryMetaTTL))
		} else if o.HistoryMetaTTL == 0 && globalMetaTTL > 0 && globalMetaTTL < o.HistoryTTL {
			v.add(key+".history_ttl", "must not exceed channel.history_meta_ttl (%s), got %s; raise channel.history_meta_ttl or set history_meta_ttl here", dur(globalMetaTTL), dur(o.HistoryTTL))
		}
	}
	if o.ForceRecovery && !o.HistoryEnabled() {
		v.add(key+".force_recovery", "requires history (history_size and history_ttl)")
	}
	if o.ForcePositioning && !o.HistoryEnabled() {
		v.add(key+".force_positioning", "requires history (history_size and history_ttl)")
	}
	v.oneOf(key+".force_recovery_mode", o.ForceRecoveryMode, "", "stream", "cache")
	v.oneOf(key+".publication_data_format", o.PublicationDataFormat, dataFormats...)
	if _, err := regexp.Compile(o.ChannelRegex); err != nil {
		v.add(key+".channel_regex", "invalid regular expression: %v", err)
	}
}

func validateRedis(v *validator, key string, r Redis) {
	if len(r.Address) == 0 && len(r.SentinelAddress) == 0 && len(r.ClusterAddress) == 0 {
		v.add(key+".address", "must name at least one Redis server")
	}
	for i, a := range r.Address {
		if a == "" {
			v.add(fmt.Sprintf("%s.address[%d]", key, i), "must not be empty")
		}
	}
	if len(r.SentinelAddress) > 0 && r.SentinelMasterName == "" {
		v.add(key+".sentinel_master_name", "must be set with sentinel_address")
	}
	v.nonEmpty(key+".prefix", r.Prefix)
	v.nonNegative(key+".db", r.DB)
	v.nonNegativeDuration(key+".connect_timeout", r.ConnectTimeout)
	v.nonNegativeDuration(key+".io_timeout", r.IOTimeout)
	v.nonNegativeDuration(key+".presence_ttl", r.PresenceTTL)
}

// validateNoHistory rejects history, positioning and recovery with a broker
// that keeps no history (NATS).
func (c *Config) validateNoHistory(v *validator) {
	check := func(key string, o gyre.ChannelOptions) {
		if o.HistorySize > 0 || o.HistoryTTL > 0 || o.ForceRecovery || o.ForcePositioning {
			v.add(key, "the nats broker keeps no history: history, positioning and recovery need broker.type redis or memory")
		}
	}
	check("channel.without_namespace", c.Channel.WithoutNamespace)
	for i, ns := range c.Channel.Namespaces {
		check(fmt.Sprintf("channel.namespaces[%d]", i), ns.ChannelOptions)
	}
}
