package redis

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/rueidis"
)

// Defaults of Config and ShardConfig.
const (
	DefaultPrefix                = "gyre"
	DefaultAddress               = "127.0.0.1:6379"
	DefaultPresenceTTL           = 60 * time.Second
	DefaultHistoryMetaTTL        = 720 * time.Hour
	DefaultIdempotentResultTTL   = 5 * time.Minute
	DefaultConnectTimeout        = time.Second
	DefaultIOTimeout             = 4 * time.Second
	defaultResubscribeBackoffMin = 50 * time.Millisecond
	defaultResubscribeBackoffMax = 2 * time.Second
)

// Config configures a Broker and a PresenceManager. The zero value talks
// to one Redis at 127.0.0.1:6379 with prefix "gyre".
type Config struct {
	// Shards are the Redis deployments channels are spread over. Several
	// shards mean client-side sharding: each channel lives on the shard
	// chosen by a consistent (jump) hash of its name, so every node must
	// list the same shards in the same order. Empty means one shard at
	// DefaultAddress.
	Shards []ShardConfig
	// Prefix starts every Redis key and PUB/SUB channel name. Empty means
	// "gyre". Nodes that must see each other use the same prefix; two
	// deployments can share a Redis by using different ones.
	Prefix string
	// DefaultHistoryMetaTTL applies when PublishOptions.HistoryMetaTTL or
	// HistoryOptions.MetaTTL is zero. Zero means 720h.
	DefaultHistoryMetaTTL time.Duration
	// PresenceTTL is how long a presence entry lives without being
	// refreshed by AddPresence. Zero means 60s.
	PresenceTTL time.Duration
	// OnError, when set, is called with errors that happen in the
	// background (a lost PUB/SUB connection, a malformed message). It must
	// not block. Nil discards them.
	OnError func(err error)
}

// ShardConfig is one Redis deployment: a standalone server, a Sentinel
// group or a Cluster.
type ShardConfig struct {
	// Address is one of
	//
	//	host:port
	//	redis://[[user]:password@]host:port[/db]   (also tcp://)
	//	rediss://…                                   (TLS)
	//	unix:///path/to/redis.sock[?db=N]
	//	redis+sentinel://[[user]:password@]host:port[?sentinel_master_name=NAME&addr=host2:port2&sentinel_user=U&sentinel_password=P]
	//	redis+cluster://[[user]:password@]host:port[?addr=host2:port2]
	//
	// (rediss+sentinel:// and rediss+cluster:// use TLS). Empty means
	// DefaultAddress unless SentinelAddresses or ClusterAddresses are set.
	// A password, user or db in the address wins over the fields below.
	Address string
	// User and Password authenticate to Redis (ACL user; empty user means
	// the default user).
	User, Password string
	// DB selects the database of a standalone or Sentinel deployment.
	DB int
	// SentinelAddresses and SentinelMasterName select a Sentinel
	// deployment; SentinelUser and SentinelPassword authenticate to the
	// sentinels.
	SentinelAddresses  []string
	SentinelMasterName string
	SentinelUser       string
	SentinelPassword   string
	// ClusterAddresses are seed nodes of a Redis Cluster. Keys of one
	// channel carry a {channel} hash tag so they share a slot.
	ClusterAddresses []string
	// TLS, when set, is used for every connection (rediss:// without it
	// uses a default config with the host as server name).
	TLS *tls.Config
	// ConnectTimeout bounds dialing (default 1s); IOTimeout bounds writes
	// and keep-alive round trips (default 4s).
	ConnectTimeout time.Duration
	IOTimeout      time.Duration
}

// clientOption turns sc into rueidis options.
func (sc ShardConfig) clientOption() (rueidis.ClientOption, error) {
	opt := rueidis.ClientOption{
		Username:     sc.User,
		Password:     sc.Password,
		SelectDB:     sc.DB,
		TLSConfig:    sc.TLS,
		DisableCache: true,
	}
	opt.Dialer.Timeout = orDefault(sc.ConnectTimeout, DefaultConnectTimeout)
	opt.ConnWriteTimeout = orDefault(sc.IOTimeout, DefaultIOTimeout)
	opt.Sentinel.MasterSet = sc.SentinelMasterName
	opt.Sentinel.Username = sc.SentinelUser
	opt.Sentinel.Password = sc.SentinelPassword
	opt.Sentinel.Dialer = opt.Dialer
	opt.Sentinel.TLSConfig = sc.TLS

	cluster := false
	switch {
	case len(sc.ClusterAddresses) > 0:
		opt.InitAddress = append([]string(nil), sc.ClusterAddresses...)
		cluster = true
	case len(sc.SentinelAddresses) > 0:
		opt.InitAddress = append([]string(nil), sc.SentinelAddresses...)
	default:
		var err error
		if cluster, err = parseAddress(sc.Address, &opt); err != nil {
			return opt, err
		}
	}
	switch {
	case opt.Sentinel.MasterSet != "":
		if cluster {
			return opt, errors.New("redis: an address cannot be both Sentinel and Cluster")
		}
	case cluster:
		if opt.SelectDB != 0 {
			return opt, errors.New("redis: Redis Cluster has no databases other than 0")
		}
	default:
		// A plain address is a standalone server: skip rueidis's
		// CLUSTER SLOTS probe.
		opt.ForceSingleClient = true
	}
	if len(opt.InitAddress) == 0 {
		return opt, errors.New("redis: no address")
	}
	return opt, nil
}

// parseAddress fills opt from a ShardConfig.Address and reports whether it
// names a Cluster.
func parseAddress(addr string, opt *rueidis.ClientOption) (cluster bool, err error) {
	if addr == "" {
		addr = DefaultAddress
	}
	if !strings.Contains(addr, "://") {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return false, fmt.Errorf("redis: address %q: %w", addr, err)
		}
		opt.InitAddress = []string{addr}
		return false, nil
	}
	u, err := url.Parse(addr)
	if err != nil {
		return false, fmt.Errorf("redis: address: %w", err)
	}
	q := u.Query()
	useTLS, sentinel := false, false
	switch u.Scheme {
	case "redis", "tcp":
	case "rediss":
		useTLS = true
	case "redis+sentinel":
		sentinel = true
	case "rediss+sentinel":
		sentinel, useTLS = true, true
	case "redis+cluster":
		cluster = true
	case "rediss+cluster":
		cluster, useTLS = true, true
	case "unix":
		path := u.Path
		opt.InitAddress = []string{path}
		opt.DialCtxFn = func(ctx context.Context, _ string, d *net.Dialer, _ *tls.Config) (net.Conn, error) {
			return d.DialContext(ctx, "unix", path)
		}
		if db := q.Get("db"); db != "" {
			if opt.SelectDB, err = strconv.Atoi(db); err != nil {
				return false, fmt.Errorf("redis: address %q: bad db", redactURL(u))
			}
		}
		return false, applyUserInfo(u, opt)
	default:
		return false, fmt.Errorf("redis: address %q: unknown scheme %q", redactURL(u), u.Scheme)
	}
	if u.Host == "" {
		return false, fmt.Errorf("redis: address %q: no host", redactURL(u))
	}
	host := u.Host
	if u.Port() == "" {
		port := "6379"
		if sentinel {
			port = "26379"
		}
		host = net.JoinHostPort(u.Hostname(), port)
	}
	opt.InitAddress = append([]string{host}, q["addr"]...)
	if useTLS && opt.TLSConfig == nil {
		opt.TLSConfig = &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12}
	}
	if useTLS && sentinel && opt.Sentinel.TLSConfig == nil {
		opt.Sentinel.TLSConfig = opt.TLSConfig
	}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" {
		if opt.SelectDB, err = strconv.Atoi(db); err != nil {
			return false, fmt.Errorf("redis: address %q: bad db %q", redactURL(u), db)
		}
	}
	if sentinel {
		opt.Sentinel.MasterSet = q.Get("sentinel_master_name")
		if opt.Sentinel.MasterSet == "" {
			return false, fmt.Errorf("redis: address %q: sentinel_master_name is required", redactURL(u))
		}
		if v := q.Get("sentinel_user"); v != "" {
			opt.Sentinel.Username = v
		}
		if v := q.Get("sentinel_password"); v != "" {
			opt.Sentinel.Password = v
		}
	}
	return cluster, applyUserInfo(u, opt)
}

// applyUserInfo copies the URL's user and password into opt.
func applyUserInfo(u *url.URL, opt *rueidis.ClientOption) error {
	if u.User == nil {
		return nil
	}
	if name := u.User.Username(); name != "" {
		opt.Username = name
	}
	if pass, ok := u.User.Password(); ok {
		opt.Password = pass
	}
	return nil
}

// redactURL returns u as a string without its password.
func redactURL(u *url.URL) string { return u.Redacted() }

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// withDefaults returns cfg with zero fields set to their defaults.
func (cfg Config) withDefaults() Config {
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if len(cfg.Shards) == 0 {
		cfg.Shards = []ShardConfig{{}}
	}
	cfg.DefaultHistoryMetaTTL = orDefault(cfg.DefaultHistoryMetaTTL, DefaultHistoryMetaTTL)
	cfg.PresenceTTL = orDefault(cfg.PresenceTTL, DefaultPresenceTTL)
	if cfg.OnError == nil {
		cfg.OnError = func(error) {}
	}
	return cfg
}
