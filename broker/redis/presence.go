package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/gyrehq/gyre"
	"github.com/redis/rueidis"
)

// Interface guards.
var (
	_ gyre.PresenceManager = (*PresenceManager)(nil)
	_ gyre.Closer          = (*PresenceManager)(nil)
)

var errNilClientInfo = errors.New("redis: nil client info")

// PresenceManager is a gyre.PresenceManager on Redis. A channel's presence
// is four keys with the channel's hash tag: a hash client ID → encoded
// ClientInfo, a sorted set client ID → expiry (ms, Redis server time), a
// hash client ID → user ID and a hash user ID → number of clients. Entries
// not refreshed by AddPresence within Config.PresenceTTL expire; every
// call drops expired entries first (at most 1000 per call), so stats are
// O(1) and exact. The keys themselves expire PresenceTTL after the last
// AddPresence. It is safe for concurrent use.
type PresenceManager struct {
	cfg    Config
	shards []*shard
	owned  bool // whether Close closes the shards' clients
	closed atomic.Bool
	once   sync.Once
}

// NewPresenceManager connects to every shard of cfg. Call Close to release
// the connections.
func NewPresenceManager(cfg Config) (*PresenceManager, error) {
	cfg = cfg.withDefaults()
	shards, err := newShards(cfg)
	if err != nil {
		return nil, err
	}
	return &PresenceManager{cfg: cfg, shards: shards, owned: true}, nil
}

// PresenceManager returns a PresenceManager that shares b's connections
// (Centrifugo's "redis engine": one set of connections for broker and
// presence). Its Close does nothing; closing b closes the connections.
func (b *Broker) PresenceManager() *PresenceManager {
	return &PresenceManager{cfg: b.cfg, shards: b.shards}
}

// Presence returns the channel's live entries keyed by client ID.
func (m *PresenceManager) Presence(ctx context.Context, channel string) (map[string]*gyre.ClientInfo, error) {
	s, err := m.shardFor(ctx, channel)
	if err != nil {
		return nil, err
	}
	kv, err := presenceGetScript.Exec(ctx, s.client, s.keys.presence(channel), nil).AsStrMap()
	if err != nil {
		return nil, fmt.Errorf("redis: shard %d: presence: %w", s.index, err)
	}
	out := make(map[string]*gyre.ClientInfo, len(kv))
	for id, enc := range kv {
		info, err := decodeClientInfo([]byte(enc))
		if err != nil {
			return nil, fmt.Errorf("redis: shard %d: presence of %q: %w", s.index, channel, err)
		}
		out[id] = info
	}
	return out, nil
}

// PresenceStats counts the channel's live clients and distinct users.
func (m *PresenceManager) PresenceStats(ctx context.Context, channel string) (gyre.PresenceStats, error) {
	s, err := m.shardFor(ctx, channel)
	if err != nil {
		return gyre.PresenceStats{}, err
	}
	n, err := presenceStatsScript.Exec(ctx, s.client, s.keys.presence(channel), nil).AsIntSlice()
	if err != nil || len(n) != 2 {
		if err == nil {
			err = fmt.Errorf("unexpected reply of %d elements", len(n))
		}
		return gyre.PresenceStats{}, fmt.Errorf("redis: shard %d: presence stats: %w", s.index, err)
	}
	return gyre.PresenceStats{NumClients: int(n[0]), NumUsers: int(n[1])}, nil
}

// AddPresence adds or refreshes the client's entry for PresenceTTL.
func (m *PresenceManager) AddPresence(ctx context.Context, channel string, info *gyre.ClientInfo) error {
	if info == nil {
		return errNilClientInfo
	}
	s, err := m.shardFor(ctx, channel)
	if err != nil {
		return err
	}
	args := []string{
		strconv.FormatInt(max(m.cfg.PresenceTTL.Milliseconds(), 1), 10),
		info.ClientID,
		info.UserID,
		rueidis.BinaryString(encodeClientInfo("", info)),
	}
	if err := presenceAddScript.Exec(ctx, s.client, s.keys.presence(channel), args).Error(); err != nil {
		return fmt.Errorf("redis: shard %d: add presence: %w", s.index, err)
	}
	return nil
}

// RemovePresence removes the client's entry; the user count follows the
// stored entry's user, so userID is informational. Removing an absent
// client is not an error.
func (m *PresenceManager) RemovePresence(ctx context.Context, channel, clientID, userID string) error {
	s, err := m.shardFor(ctx, channel)
	if err != nil {
		return err
	}
	if err := presenceRemoveScript.Exec(ctx, s.client, s.keys.presence(channel), []string{clientID}).Error(); err != nil {
		return fmt.Errorf("redis: shard %d: remove presence: %w", s.index, err)
	}
	return nil
}

// Close closes the connections (unless they belong to a Broker).
// Afterwards every method returns ErrClosed.
func (m *PresenceManager) Close(ctx context.Context) error {
	m.closed.Store(true)
	if m.owned {
		m.once.Do(func() {
			for _, s := range m.shards {
				s.client.Close()
			}
		})
	}
	return nil
}

func (m *PresenceManager) shardFor(ctx context.Context, channel string) (*shard, error) {
	if m.closed.Load() {
		return nil, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return m.shards[shardIndex(channel, len(m.shards))], nil
}
