package node

import (
	"log/slog"
	"time"

	"github.com/gyrehq/gyre"
)

// Config configures a Node. Zero values mean the documented defaults.
type Config struct {
	// Name of the node (shown in info); default "gyre".
	Name string
	// Version reported to clients in ConnectResult.version.
	Version string
	// Broker and Presence are required.
	Broker   gyre.Broker
	Presence gyre.PresenceManager
	// TokenVerifier verifies connection and subscription tokens; nil means
	// tokens are rejected as invalid.
	TokenVerifier gyre.TokenVerifier
	// Logger; nil discards logs.
	Logger *slog.Logger
	// Metrics receives counters; nil disables them.
	Metrics Metrics

	Client   ClientConfig
	Channels ChannelConfig
	RPC      RPCConfig
	// Proxies call the application for client events.
	Proxies Proxies
	// Distributed is set when other nodes share the broker: server API
	// actions and node info then travel between nodes over the broker.
	Distributed bool
}

// ClientConfig holds client-facing behaviour (config section "client").
type ClientConfig struct {
	Insecure                          bool
	AllowAnonymousConnectWithoutToken bool
	DisallowAnonymousConnectionTokens bool
	// PingInterval (25s) and PongTimeout (8s); negative disables.
	PingInterval time.Duration
	PongTimeout  time.Duration
	// ExpiredCloseDelay (25s), ExpiredSubCloseDelay (25s), StaleCloseDelay (10s).
	ExpiredCloseDelay    time.Duration
	ExpiredSubCloseDelay time.Duration
	StaleCloseDelay      time.Duration
	// ChannelLimit (128) per connection; QueueMaxSize (1 MiB) per connection.
	ChannelLimit int
	QueueMaxSize int
	// ChannelPositionCheckDelay (40s): how often positioned subscriptions
	// compare their position with the stream top.
	ChannelPositionCheckDelay time.Duration
	// PresenceUpdateInterval (27s).
	PresenceUpdateInterval time.Duration
	// CommandRateLimit is commands per second per connection (0 = off) and
	// CommandRateLimitBurst the bucket size (0 = CommandRateLimit). Over the
	// limit commands get error 111; a connection that keeps sending is
	// closed with 3013.
	CommandRateLimit      int
	CommandRateLimitBurst int
	// UserIDHTTPHeader, when set, names a request header (set by a trusted
	// proxy) whose value becomes the user ID of connections without a token.
	UserIDHTTPHeader string
	// UserConnectionLimit (0 = unlimited).
	UserConnectionLimit      int
	ConnectIncludeServerTime bool
	// HistoryMaxPublicationLimit (300) and RecoveryMaxPublicationLimit (300).
	HistoryMaxPublicationLimit  int
	RecoveryMaxPublicationLimit int
	// PersonalChannel subscribes each user to "#<user>" (or "<ns>:#<user>").
	PersonalChannel PersonalChannelConfig
}

// PersonalChannelConfig is client.subscribe_to_user_personal_channel.
type PersonalChannelConfig struct {
	Enabled          bool
	Namespace        string
	SingleConnection bool
}

// ChannelConfig holds channel rules and namespaces (config section "channel").
type ChannelConfig struct {
	WithoutNamespace gyre.ChannelOptions
	Namespaces       map[string]gyre.ChannelOptions
	// HistoryMetaTTL (720h) unless a namespace overrides it.
	HistoryMetaTTL time.Duration
	// PublicationDataFormat default for namespaces that leave it empty.
	PublicationDataFormat string
	// MaxLength (255), PrivatePrefix ("$"), NamespaceBoundary (":"),
	// UserBoundary ("#"), UserSeparator (",").
	MaxLength         int
	PrivatePrefix     string
	NamespaceBoundary string
	UserBoundary      string
	UserSeparator     string
}

// RPCConfig holds RPC settings (config section "rpc").
type RPCConfig struct {
	PingEnabled bool
	PingMethod  string
	// NamespaceBoundary (":") separates "ns:method".
	NamespaceBoundary string
	// WithoutNamespace and Namespaces select RPC proxies.
	WithoutNamespace RPCNamespace
	Namespaces       map[string]RPCNamespace
}

func (c *Config) setDefaults() {
	if c.Name == "" {
		c.Name = "gyre"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Metrics == nil {
		c.Metrics = nopMetrics{}
	}
	cl := &c.Client
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&cl.PingInterval, 25*time.Second)
	def(&cl.PongTimeout, 8*time.Second)
	def(&cl.ExpiredCloseDelay, 25*time.Second)
	def(&cl.ExpiredSubCloseDelay, 25*time.Second)
	def(&cl.StaleCloseDelay, 10*time.Second)
	def(&cl.PresenceUpdateInterval, 27*time.Second)
	def(&cl.ChannelPositionCheckDelay, 40*time.Second)
	def(&c.Channels.HistoryMetaTTL, 720*time.Hour)
	if cl.ChannelLimit == 0 {
		cl.ChannelLimit = 128
	}
	if cl.QueueMaxSize == 0 {
		cl.QueueMaxSize = 1 << 20
	}
	if cl.HistoryMaxPublicationLimit == 0 {
		cl.HistoryMaxPublicationLimit = 300
	}
	if cl.RecoveryMaxPublicationLimit == 0 {
		cl.RecoveryMaxPublicationLimit = 300
	}
	ch := &c.Channels
	if ch.MaxLength == 0 {
		ch.MaxLength = 255
	}
	str := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	str(&ch.PrivatePrefix, "$")
	str(&ch.NamespaceBoundary, ":")
	str(&ch.UserBoundary, "#")
	str(&ch.UserSeparator, ",")
	str(&c.RPC.PingMethod, "ping")
	str(&c.RPC.NamespaceBoundary, ":")
}
