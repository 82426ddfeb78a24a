package config

import (
	"time"

	"github.com/gyrehq/gyre"
)

func seconds(n int) gyre.Duration { return gyre.Duration(time.Duration(n) * time.Second) }

// Default returns a configuration holding the documented defaults (the same
// as Centrifugo v6 for every shared key). Each call returns a new value.
func Default() *Config {
	return &Config{
		HTTPServer:      HTTPServer{Port: 8000},
		Log:             Log{Level: "info"},
		Engine:          Engine{Type: "memory", Redis: defaultRedis()},
		Broker:          Broker{Redis: defaultRedis(), NATS: NATS{URL: "nats://127.0.0.1:4222", Prefix: "gyre"}},
		PresenceManager: PresenceManager{Redis: defaultRedis()},
		Client: Client{
			AllowedOrigins:              []string{},
			PingInterval:                seconds(25),
			PongTimeout:                 seconds(8),
			ExpiredCloseDelay:           seconds(25),
			ExpiredSubCloseDelay:        seconds(25),
			StaleCloseDelay:             seconds(10),
			ChannelLimit:                128,
			QueueMaxSize:                1048576,
			PresenceUpdateInterval:      seconds(27),
			ChannelPositionCheckDelay:   seconds(40),
			HistoryMaxPublicationLimit:  300,
			RecoveryMaxPublicationLimit: 300,
			Proxy: ClientProxies{
				Connect: ToggledProxy{Proxy: defaultProxy()},
				Refresh: ToggledProxy{Proxy: defaultProxy()},
			},
		},
		Channel: Channel{
			Proxy: ChannelProxies{
				Subscribe:  defaultProxy(),
				Publish:    defaultProxy(),
				SubRefresh: defaultProxy(),
			},
			Namespaces:        []Namespace{},
			HistoryMetaTTL:    seconds(720 * 3600),
			MaxLength:         255,
			PrivatePrefix:     "$",
			NamespaceBoundary: ":",
			UserBoundary:      "#",
			UserSeparator:     ",",
		},
		RPC: RPC{
			Proxy:             defaultProxy(),
			Namespaces:        []RPCNamespace{},
			Ping:              RPCPing{Method: "ping"},
			NamespaceBoundary: ":",
		},
		HTTPAPI: HTTPAPI{
			HandlerPrefix:      "/api",
			MaxRequestBodySize: 1048576,
		},
		WebSocket: WebSocket{
			HandlerPrefix:    "/connection/websocket",
			CompressionLevel: 1,
			WriteTimeout:     seconds(1),
			MessageSizeLimit: 65536,
			ReadMode:         "epoll",
		},
		GRPCAPI:    GRPCAPI{Port: 10000},
		Prometheus: Prometheus{HandlerPrefix: "/metrics"},
		Debug:      Debug{HandlerPrefix: "/debug/pprof"},
		Health:     Health{HandlerPrefix: "/health"},
		Shutdown:   Shutdown{Timeout: seconds(30)},
		Proxies:    []NamedProxy{},
	}
}

// Namespace returns the channel options of the namespace with the given
// name; the empty name returns channel.without_namespace. The boolean is
// false when no such namespace is configured.
func (c *Config) Namespace(name string) (gyre.ChannelOptions, bool) {
	if name == "" {
		return c.Channel.WithoutNamespace, true
	}
	for _, ns := range c.Channel.Namespaces {
		if ns.Name == name {
			return ns.ChannelOptions, true
		}
	}
	return gyre.ChannelOptions{}, false
}

// HistoryMetaTTL returns how long stream meta of channels in the named
// namespace ("" for channels without a namespace) is kept: the namespace's
// own history_meta_ttl, or channel.history_meta_ttl when that is zero. The
// boolean is false when no such namespace is configured.
func (c *Config) HistoryMetaTTL(namespace string) (time.Duration, bool) {
	opts, ok := c.Namespace(namespace)
	if !ok {
		return 0, false
	}
	return c.Channel.EffectiveHistoryMetaTTL(opts), true
}

// EffectiveHistoryMetaTTL returns opts.HistoryMetaTTL, or the global
// channel.history_meta_ttl when the options leave it zero.
func (ch Channel) EffectiveHistoryMetaTTL(opts gyre.ChannelOptions) time.Duration {
	if opts.HistoryMetaTTL != 0 {
		return opts.HistoryMetaTTL.D()
	}
	return ch.HistoryMetaTTL.D()
}

// EffectivePublicationDataFormat returns opts.PublicationDataFormat, or the
// global channel.publication_data_format when the options leave it empty.
func (ch Channel) EffectivePublicationDataFormat(opts gyre.ChannelOptions) string {
	if opts.PublicationDataFormat != "" {
		return opts.PublicationDataFormat
	}
	return ch.PublicationDataFormat
}

func defaultRedis() Redis {
	return Redis{
		Address:        StringList{"redis://127.0.0.1:6379"},
		Prefix:         "gyre",
		ConnectTimeout: seconds(1),
		IOTimeout:      seconds(4),
		PresenceTTL:    seconds(60),
	}
}
