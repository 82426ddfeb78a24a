package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/broker/memory"
	"github.com/gyrehq/gyre/broker/nats"
	"github.com/gyrehq/gyre/broker/redis"
	"github.com/gyrehq/gyre/config"
)

// redisConfig maps a config Redis object.
func redisConfig(r config.Redis, cfg *config.Config, log *slog.Logger, key string) redis.Config {
	shard := func(addr string) redis.ShardConfig {
		return redis.ShardConfig{
			Address: addr, User: r.User, Password: r.Password, DB: r.DB,
			SentinelAddresses: r.SentinelAddress, SentinelMasterName: r.SentinelMasterName,
			SentinelUser: r.SentinelUser, SentinelPassword: r.SentinelPassword,
			ClusterAddresses: r.ClusterAddress,
			ConnectTimeout:   r.ConnectTimeout.D(), IOTimeout: r.IOTimeout.D(),
		}
	}
	rc := redis.Config{
		Prefix:                r.Prefix,
		DefaultHistoryMetaTTL: cfg.Channel.HistoryMetaTTL.D(),
		PresenceTTL:           r.PresenceTTL.D(),
		OnError:               func(err error) { log.Warn("redis error", "config", key, "error", err) },
	}
	switch {
	case len(r.ClusterAddress) > 0 || len(r.SentinelAddress) > 0:
		rc.Shards = []redis.ShardConfig{shard("")}
	default:
		for _, a := range r.Address {
			rc.Shards = append(rc.Shards, shard(a))
		}
	}
	return rc
}

// buildEngine creates the broker and presence manager the config selects:
// the engine's, unless broker / presence_manager override one of them. The
// returned closers own connections and must be closed after the node.
func buildEngine(cfg *config.Config, log *slog.Logger) (gyre.Broker, gyre.PresenceManager, []gyre.Closer, error) {
	var (
		broker   gyre.Broker
		presence gyre.PresenceManager
		closers  []gyre.Closer
	)
	fail := func(err error) (gyre.Broker, gyre.PresenceManager, []gyre.Closer, error) {
		for _, c := range closers {
			_ = c.Close(context.Background())
		}
		return nil, nil, nil, err
	}
	switch cfg.Engine.Type {
	case "redis":
		b, err := redis.NewBroker(redisConfig(cfg.Engine.Redis, cfg, log, "engine.redis"))
		if err != nil {
			return fail(fmt.Errorf("engine.redis: %w", err))
		}
		broker, presence = b, b.PresenceManager()
		closers = append(closers, b)
	default:
		broker = memory.NewBroker(memory.BrokerConfig{DefaultHistoryMetaTTL: cfg.Channel.HistoryMetaTTL.D()})
		presence = memory.NewPresenceManager()
	}
	if cfg.Broker.Enabled {
		switch cfg.Broker.Type {
		case "redis":
			b, err := redis.NewBroker(redisConfig(cfg.Broker.Redis, cfg, log, "broker.redis"))
			if err != nil {
				return fail(fmt.Errorf("broker.redis: %w", err))
			}
			broker = b
			closers = append(closers, b)
		case "nats":
			b, err := nats.NewBroker(nats.Config{
				URL: cfg.Broker.NATS.URL, Prefix: cfg.Broker.NATS.Prefix, Name: "gyre",
				OnError: func(err error) { log.Warn("nats error", "error", err) },
			})
			if err != nil {
				return fail(fmt.Errorf("broker.nats: %w", err))
			}
			broker = b
			closers = append(closers, b)
		default:
			broker = memory.NewBroker(memory.BrokerConfig{DefaultHistoryMetaTTL: cfg.Channel.HistoryMetaTTL.D()})
		}
	}
	if cfg.PresenceManager.Enabled {
		switch cfg.PresenceManager.Type {
		case "redis":
			p, err := redis.NewPresenceManager(redisConfig(cfg.PresenceManager.Redis, cfg, log, "presence_manager.redis"))
			if err != nil {
				return fail(fmt.Errorf("presence_manager.redis: %w", err))
			}
			presence = p
			closers = append(closers, p)
		default:
			presence = memory.NewPresenceManager()
		}
	}
	return broker, presence, closers, nil
}
