package config

import (
	"encoding/json"

	"github.com/gyrehq/gyre"
)

// The `doc` tag of each field is the one-line meaning shown by Describe and
// in docs/config.md. A `gyre:"extension"` tag marks keys that Centrifugo v6
// does not have.

// Config is Gyre's whole configuration. Its json tags are the Centrifugo v6
// key names; Default returns it filled with the defaults.
type Config struct {
	// HTTPServer holds the listening addresses.
	HTTPServer HTTPServer `json:"http_server"`
	// Log holds logging settings.
	Log Log `json:"log"`
	// Engine selects where history and presence live.
	Engine Engine `json:"engine"`
	// Client holds connection-level settings: tokens, origins, timeouts and
	// limits.
	Client Client `json:"client"`
	// Channel holds channel naming rules and namespaces.
	Channel Channel `json:"channel"`
	// RPC holds client RPC settings.
	RPC RPC `json:"rpc"`
	// Proxies are named proxies that namespaces refer to by name.
	Proxies []NamedProxy `json:"proxies" doc:"Named proxies, referenced from namespaces by subscribe_proxy_name, publish_proxy_name, sub_refresh_proxy_name and RPC proxy_name."`
	// HTTPAPI configures the server HTTP API.
	HTTPAPI HTTPAPI `json:"http_api"`
	// WebSocket configures the bidirectional WebSocket transport.
	WebSocket WebSocket `json:"websocket"`
	// Broker overrides the engine's broker.
	Broker Broker `json:"broker"`
	// PresenceManager overrides the engine's presence store.
	PresenceManager PresenceManager `json:"presence_manager"`
	// GRPCAPI configures the gRPC server API.
	GRPCAPI GRPCAPI `json:"grpc_api"`
	// Debug serves Go's pprof profiles.
	Debug Debug `json:"debug"`
	// Prometheus configures the metrics endpoint.
	Prometheus Prometheus `json:"prometheus"`
	// Health configures the health-check endpoint.
	Health Health `json:"health"`
	// Node holds settings of this server node.
	Node Node `json:"node"`
	// Shutdown holds graceful-shutdown settings.
	Shutdown Shutdown `json:"shutdown"`
	// PIDFile, when set, is a file the server writes its process ID to.
	PIDFile string `json:"pid_file" doc:"File to write the server's process ID to; empty writes none."`
}

// HTTPServer holds the addresses the HTTP listeners bind to.
type HTTPServer struct {
	Address         string `json:"address" doc:"Interface to listen on for client connections; empty means all interfaces."`
	Port            int    `json:"port" doc:"Port for client connections (WebSocket); 0 lets the system pick a free port."`
	InternalAddress string `json:"internal_address" doc:"Interface for internal endpoints (API, metrics, health); empty means the same as address."`
	InternalPort    int    `json:"internal_port" doc:"Port for internal endpoints (API, metrics, health); 0 means the same as port, one listener for everything."`
	// TLS serves HTTPS and WSS on every HTTP listener.
	TLS TLS `json:"tls"`
}

// TLS holds a server certificate. PEM values may be a file path, the PEM
// text itself, or base64 of the PEM text.
type TLS struct {
	Enabled bool   `json:"enabled" doc:"Serve TLS with the certificate below."`
	CertPEM string `json:"cert_pem" doc:"Server certificate chain: a file path, PEM text, or base64 of PEM text."`
	KeyPEM  string `json:"key_pem" doc:"Private key of the certificate: a file path, PEM text, or base64 of PEM text."`
}

// EffectiveInternalAddress returns InternalAddress, or Address when it is
// empty.
func (s HTTPServer) EffectiveInternalAddress() string {
	if s.InternalAddress == "" {
		return s.Address
	}
	return s.InternalAddress
}

// EffectiveInternalPort returns InternalPort, or Port when it is zero. When
// the result equals Port everything is served on one listener.
func (s HTTPServer) EffectiveInternalPort() int {
	if s.InternalPort == 0 {
		return s.Port
	}
	return s.InternalPort
}

// Log holds logging settings.
type Log struct {
	Level string `json:"level" doc:"Minimum level written to the log: none, trace, debug, info, warn or error."`
	File  string `json:"file" doc:"File to append log lines to; empty writes to standard error."`
}

// Engine selects the storage for history and presence.
type Engine struct {
	Type  string `json:"type" doc:"Where publications, history and presence live: memory (one node, lost on restart) or redis (many nodes)."`
	Redis Redis  `json:"redis"`
}

// Redis configures a Redis connection (standalone, sharded, Sentinel or
// Cluster). See docs/scaling.md.
type Redis struct {
	Address            StringList    `json:"address" doc:"Redis address, or a list of them for client-side sharding by channel: host:port, redis://[[user]:pass@]host:port[/db], rediss://..., unix:///path, redis+sentinel://host:port?sentinel_master_name=NAME, redis+cluster://host:port?addr=host2:port2."`
	Prefix             string        `json:"prefix" doc:"Prefix of every Redis key and PUB/SUB channel Gyre uses."`
	User               string        `json:"user" doc:"Redis ACL user (an address's user info wins)."`
	Password           string        `json:"password" doc:"Redis password (an address's user info wins)."`
	DB                 int           `json:"db" doc:"Redis database number (an address's /db wins)."`
	ConnectTimeout     gyre.Duration `json:"connect_timeout" doc:"Maximum time to establish a connection to Redis."`
	IOTimeout          gyre.Duration `json:"io_timeout" doc:"Maximum time of one Redis write."`
	SentinelAddress    StringList    `json:"sentinel_address" doc:"Sentinel addresses (host:port); with sentinel_master_name, Gyre follows failovers."`
	SentinelMasterName string        `json:"sentinel_master_name" doc:"Name of the master the sentinels watch."`
	SentinelUser       string        `json:"sentinel_user" doc:"User for the sentinels."`
	SentinelPassword   string        `json:"sentinel_password" doc:"Password for the sentinels."`
	ClusterAddress     StringList    `json:"cluster_address" doc:"Seed addresses of a Redis Cluster (host:port)."`
	PresenceTTL        gyre.Duration `json:"presence_ttl" doc:"How long a presence entry lives in Redis without a refresh."`
}

// Broker selects a broker other than the engine's (broker.enabled).
type Broker struct {
	Enabled bool   `json:"enabled" doc:"Use the broker below instead of the engine's for delivering publications between nodes."`
	Type    string `json:"type" doc:"Broker: memory, redis or nats (NATS delivers at most once and keeps no history)."`
	Redis   Redis  `json:"redis"`
	NATS    NATS   `json:"nats"`
}

// NATS configures the NATS broker.
type NATS struct {
	URL    string `json:"url" doc:"NATS server URL; several comma-separated URLs for a NATS cluster."`
	Prefix string `json:"prefix" doc:"Prefix of the NATS subjects Gyre uses."`
}

// PresenceManager selects a presence store other than the engine's.
type PresenceManager struct {
	Enabled bool   `json:"enabled" doc:"Use the presence store below instead of the engine's."`
	Type    string `json:"type" doc:"Presence store: memory or redis."`
	Redis   Redis  `json:"redis"`
}

// StringList is a list of strings that may also be written as one string.
type StringList []string

// UnmarshalJSON accepts a string or a list of strings.
func (l *StringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = StringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*l = many
	return nil
}

// Token holds how JWTs are verified. It is used for connection tokens
// (client.token) and, through SubscriptionToken, for subscription tokens.
type Token struct {
	HMACSecretKey                   string `json:"hmac_secret_key" doc:"Shared secret for HS256/HS384/HS512 tokens."`
	HMACPreviousSecretKey           string `json:"hmac_previous_secret_key" doc:"Previous HMAC secret, still accepted during a key rotation."`
	HMACPreviousSecretKeyValidUntil int64  `json:"hmac_previous_secret_key_valid_until" doc:"Unix time in seconds until which hmac_previous_secret_key is accepted."`
	RSAPublicKey                    string `json:"rsa_public_key" doc:"PEM RSA public key (or certificate) for RS256/RS384/RS512 tokens."`
	ECDSAPublicKey                  string `json:"ecdsa_public_key" doc:"PEM ECDSA public key for ES256/ES384/ES512 tokens."`
	JWKSPublicEndpoint              string `json:"jwks_public_endpoint" doc:"URL of a JWKS document whose keys (picked by kid) verify tokens."`
	Audience                        string `json:"audience" doc:"Required aud claim; empty skips the check."`
	AudienceRegex                   string `json:"audience_regex" doc:"Regular expression the aud claim must match (instead of audience)."`
	Issuer                          string `json:"issuer" doc:"Required iss claim; empty skips the check."`
	IssuerRegex                     string `json:"issuer_regex" doc:"Regular expression the iss claim must match (instead of issuer)."`
	UserIDClaim                     string `json:"user_id_claim" doc:"Claim holding the user ID instead of sub; letters and underscores only."`
}

// SubscriptionToken configures subscription tokens; when Enabled is false
// the connection token settings (client.token) are used for them too.
type SubscriptionToken struct {
	Enabled bool `json:"enabled" doc:"Verify subscription tokens with the keys below instead of client.token."`
	Token
}

// PersonalChannel configures the automatic subscription of every
// authenticated connection to its user's personal channel.
type PersonalChannel struct {
	Enabled                  bool   `json:"enabled" doc:"Subscribe each authenticated connection to its user's personal channel (#user or ns:#user)."`
	PersonalChannelNamespace string `json:"personal_channel_namespace" doc:"Namespace of personal channels; empty uses channels without a namespace."`
	SingleConnection         bool   `json:"single_connection" doc:"Keep only one connection per user, closing older ones; relies on presence in the personal channel namespace."`
}

// Client holds connection-level settings.
type Client struct {
	Token                             Token             `json:"token"`
	SubscriptionToken                 SubscriptionToken `json:"subscription_token"`
	AllowedOrigins                    []string          `json:"allowed_origins" doc:"Browser origins allowed to connect, as lower-case glob patterns (https://*.example.com; * allows all); when empty, only clients that send no Origin header can connect."`
	AllowAnonymousConnectWithoutToken bool              `json:"allow_anonymous_connect_without_token" doc:"Let clients connect without a token, as an anonymous user."`
	DisallowAnonymousConnectionTokens bool              `json:"disallow_anonymous_connection_tokens" doc:"Reject connection tokens with an empty sub claim."`
	PingInterval                      gyre.Duration     `json:"ping_interval" doc:"How often the server pings each connection; negative disables pings."`
	PongTimeout                       gyre.Duration     `json:"pong_timeout" doc:"How long the server waits for a pong before closing; negative disables the check."`
	ExpiredCloseDelay                 gyre.Duration     `json:"expired_close_delay" doc:"Grace period to refresh an expired connection before it is closed."`
	ExpiredSubCloseDelay              gyre.Duration     `json:"expired_sub_close_delay" doc:"Grace period to refresh an expired subscription before it is ended."`
	StaleCloseDelay                   gyre.Duration     `json:"stale_close_delay" doc:"How long a connection may stay without sending connect before it is closed."`
	ChannelLimit                      int               `json:"channel_limit" doc:"Maximum channels one connection may subscribe to; 0 means no limit."`
	QueueMaxSize                      int               `json:"queue_max_size" doc:"Maximum bytes queued for a slow connection before it is closed."`
	PresenceUpdateInterval            gyre.Duration     `json:"presence_update_interval" doc:"How often presence information of connections is refreshed."`
	ChannelPositionCheckDelay         gyre.Duration     `json:"channel_position_check_delay" doc:"How often positioned subscriptions check that no publication was missed."`
	ConnectionLimit                   int               `json:"connection_limit" doc:"Maximum connections on this node; 0 means no limit."`
	UserConnectionLimit               int               `json:"user_connection_limit" doc:"Maximum connections per user on this node; 0 means no limit."`
	ConnectionRateLimit               int               `json:"connection_rate_limit" doc:"Maximum new connections per second on this node; 0 means no limit."`
	ConnectIncludeServerTime          bool              `json:"connect_include_server_time" doc:"Send the server time in the connect reply."`
	HistoryMaxPublicationLimit        int               `json:"history_max_publication_limit" doc:"Maximum publications a client may request in one history call."`
	RecoveryMaxPublicationLimit       int               `json:"recovery_max_publication_limit" doc:"Maximum publications sent when recovering a subscription."`
	InsecureSkipTokenSignatureVerify  bool              `json:"insecure_skip_token_signature_verify" doc:"Accept tokens without checking their signature; for testing only."`
	UserIDHTTPHeader                  string            `json:"user_id_http_header" doc:"HTTP header carrying an already-authenticated user ID (set by a trusted proxy)."`
	Insecure                          bool              `json:"insecure" doc:"No authentication and every permission for every client; for testing only."`
	SubscribeToUserPersonalChannel    PersonalChannel   `json:"subscribe_to_user_personal_channel"`
	CommandRateLimit                  int               `json:"command_rate_limit" gyre:"extension" doc:"Maximum commands per second from one connection (a token bucket); over it commands get error 111, and a connection that keeps going is closed with 3013. 0 means no limit."`
	CommandRateLimitBurst             int               `json:"command_rate_limit_burst" gyre:"extension" doc:"Commands a connection may send at once before command_rate_limit applies; 0 means the same as command_rate_limit."`
	// Proxy holds the connect and refresh proxies.
	Proxy ClientProxies `json:"proxy"`
}

// Namespace is a named set of channel options: channels "name:..." use it.
// The embedded options flatten into the namespace object, as in Centrifugo.
type Namespace struct {
	Name string `json:"name" doc:"Namespace name: at least two of a-z, A-Z, 0-9, -, _ and ., unique."`
	gyre.ChannelOptions
}

// Channel holds channel naming rules and per-namespace options.
type Channel struct {
	// Proxy holds the proxies namespaces use under the name "default".
	Proxy                 ChannelProxies      `json:"proxy"`
	WithoutNamespace      gyre.ChannelOptions `json:"without_namespace"`
	Namespaces            []Namespace         `json:"namespaces" doc:"Named sets of channel options; a channel ns:rest uses the namespace ns."`
	HistoryMetaTTL        gyre.Duration       `json:"history_meta_ttl" doc:"How long a channel's stream position (offset and epoch) is kept after its last publication; whole seconds."`
	PublicationDataFormat string              `json:"publication_data_format" doc:"Default check of publication data: empty (any non-empty data), json, json_object or binary."`
	MaxLength             int                 `json:"max_length" doc:"Maximum channel name length in bytes."`
	PrivatePrefix         string              `json:"private_prefix" doc:"Prefix of private channels, which always need a subscription token."`
	NamespaceBoundary     string              `json:"namespace_boundary" doc:"Separator between the namespace and the rest of a channel name."`
	UserBoundary          string              `json:"user_boundary" doc:"Marks the start of the user list in user-limited channels (chat#42,43)."`
	UserSeparator         string              `json:"user_separator" doc:"Separates user IDs in user-limited channels."`
}

// RPCPing configures the built-in ping RPC method.
type RPCPing struct {
	Enabled bool   `json:"enabled" doc:"Answer a client RPC with this method name with an empty result."`
	Method  string `json:"method" doc:"RPC method name answered when ping is enabled."`
}

// RPC holds client RPC settings.
type RPC struct {
	// Proxy is the proxy RPC namespaces use under the name "default".
	Proxy             Proxy          `json:"proxy"`
	WithoutNamespace  RPCOptions     `json:"without_namespace"`
	Namespaces        []RPCNamespace `json:"namespaces" doc:"Named sets of RPC options; a method ns:rest uses the RPC namespace ns."`
	Ping              RPCPing        `json:"ping"`
	NamespaceBoundary string         `json:"namespace_boundary" doc:"Separator between the namespace and the rest of an RPC method name."`
}

// HTTPAPI configures the server HTTP API.
type HTTPAPI struct {
	Disabled           bool   `json:"disabled" doc:"Turn the server HTTP API off."`
	HandlerPrefix      string `json:"handler_prefix" doc:"URL path of the HTTP API; methods are served at <prefix>/<method>."`
	Key                string `json:"key" doc:"API key callers send as X-API-Key, Authorization: apikey <key> or ?api_key=."`
	ErrorMode          string `json:"error_mode" doc:"Empty returns errors in the response body with HTTP 200; transport maps them to HTTP status codes."`
	External           bool   `json:"external" doc:"Serve the API on the client port instead of the internal port."`
	Insecure           bool   `json:"insecure" doc:"Serve the API without checking the key; for testing only."`
	MaxRequestBodySize int    `json:"max_request_body_size" gyre:"extension" doc:"Maximum size in bytes of an API request body."`
}

// WebSocket configures the bidirectional WebSocket transport.
type WebSocket struct {
	Disabled                     bool          `json:"disabled" doc:"Turn the WebSocket transport off."`
	HandlerPrefix                string        `json:"handler_prefix" doc:"URL path clients connect to."`
	Compression                  bool          `json:"compression" doc:"Allow permessage-deflate compression when the client asks for it."`
	CompressionMinSize           int           `json:"compression_min_size" doc:"Messages smaller than this many bytes are sent uncompressed."`
	CompressionLevel             int           `json:"compression_level" doc:"Deflate level from -2 (Huffman only) to 9 (best compression)."`
	WriteTimeout                 gyre.Duration `json:"write_timeout" doc:"Maximum time to write one message to a client."`
	MessageSizeLimit             int           `json:"message_size_limit" doc:"Maximum size in bytes of a message from a client."`
	DecompressedMessageSizeLimit int           `json:"decompressed_message_size_limit" doc:"Maximum size in bytes of a client message after decompression; 0 means 10 times message_size_limit."`
	ReadMode                     string        `json:"read_mode" gyre:"extension" doc:"How connections are read: epoll (Linux: an idle connection parks no goroutine; a few poller goroutines wait for all sockets and a short-lived goroutine reads a connection when it has data) or goroutine (one goroutine blocked in a read per connection, about 4 KiB more per idle connection). Where epoll is unavailable, and for TLS connections, goroutine is used."`
}

// EffectiveDecompressedMessageSizeLimit returns DecompressedMessageSizeLimit,
// or ten times MessageSizeLimit when it is zero.
func (w WebSocket) EffectiveDecompressedMessageSizeLimit() int {
	if w.DecompressedMessageSizeLimit == 0 {
		return 10 * w.MessageSizeLimit
	}
	return w.DecompressedMessageSizeLimit
}

// GRPCAPI configures the gRPC server API (service
// centrifugal.centrifugo.api.CentrifugoApi).
type GRPCAPI struct {
	Enabled               bool   `json:"enabled" doc:"Serve the gRPC server API on its own port."`
	Address               string `json:"address" doc:"Interface the gRPC API listens on; empty means all interfaces."`
	Port                  int    `json:"port" doc:"Port of the gRPC API; 0 lets the system pick a free port."`
	Key                   string `json:"key" doc:"API key callers send as gRPC metadata authorization: apikey <key>; empty means no check."`
	ErrorMode             string `json:"error_mode" doc:"Empty returns errors inside responses; transport returns them as gRPC status codes."`
	MaxReceiveMessageSize int    `json:"max_receive_message_size" doc:"Maximum size in bytes of one request message; 0 means gRPC's default of 4 MiB."`
	// TLS serves the gRPC API over TLS.
	TLS TLS `json:"tls"`
}

// Debug configures the pprof endpoint.
type Debug struct {
	Enabled       bool   `json:"enabled" doc:"Serve Go's pprof profiles on the internal port; requests need the HTTP API key (unless http_api.insecure)."`
	HandlerPrefix string `json:"handler_prefix" doc:"URL path of the pprof endpoint."`
}

// Prometheus configures the metrics endpoint.
type Prometheus struct {
	Enabled       bool   `json:"enabled" doc:"Expose Prometheus metrics on the internal port."`
	HandlerPrefix string `json:"handler_prefix" doc:"URL path of the metrics endpoint."`
}

// Health configures the health-check endpoint.
type Health struct {
	Enabled       bool   `json:"enabled" doc:"Expose a health-check endpoint on the internal port."`
	HandlerPrefix string `json:"handler_prefix" doc:"URL path of the health-check endpoint."`
}

// Node holds settings of this server node.
type Node struct {
	Name string `json:"name" doc:"Name of this node in logs and metrics; empty means hostname_port."`
}

// Shutdown holds graceful-shutdown settings.
type Shutdown struct {
	Timeout gyre.Duration `json:"timeout" doc:"How long a graceful shutdown may take before the server exits anyway."`
}
