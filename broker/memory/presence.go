package memory

import (
	"context"
	"errors"
	"hash/maphash"
	"sync"

	"github.com/gyrehq/gyre"
)

// Interface guard.
var _ gyre.PresenceManager = (*PresenceManager)(nil)

var errNilClientInfo = errors.New("memory: nil client info")

// PresenceManager is an in-memory gyre.PresenceManager for a single node.
// Entries live until removed; there is no expiry. It is safe for concurrent
// use and holds no goroutines.
type PresenceManager struct {
	seed   maphash.Seed
	shards [numShards]presenceShard
}

// presenceShard holds the presence of the channels that hash to it.
type presenceShard struct {
	mu       sync.RWMutex
	channels map[string]*channelPresence
	_        [64]byte // keeps neighbouring shards' locks off one cache line
}

// channelPresence is one channel's present clients, with the number of
// clients per user so that stats need no scan.
type channelPresence struct {
	clients map[string]*gyre.ClientInfo
	users   map[string]int
}

// NewPresenceManager returns an empty PresenceManager.
func NewPresenceManager() *PresenceManager {
	m := &PresenceManager{seed: maphash.MakeSeed()}
	for i := range m.shards {
		m.shards[i].channels = make(map[string]*channelPresence)
	}
	return m
}

// Presence returns the channel's present clients keyed by client ID. The
// map and ClientInfo structs are the caller's; their byte slices are shared
// and read-only.
func (m *PresenceManager) Presence(ctx context.Context, channel string) (map[string]*gyre.ClientInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sh := m.shardFor(channel)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	cp := sh.channels[channel]
	if cp == nil {
		return map[string]*gyre.ClientInfo{}, nil
	}
	out := make(map[string]*gyre.ClientInfo, len(cp.clients))
	vals := make([]gyre.ClientInfo, 0, len(cp.clients))
	for id, info := range cp.clients {
		vals = append(vals, *info)
		out[id] = &vals[len(vals)-1]
	}
	return out, nil
}

// PresenceStats counts the channel's present clients and distinct users.
func (m *PresenceManager) PresenceStats(ctx context.Context, channel string) (gyre.PresenceStats, error) {
	if err := ctx.Err(); err != nil {
		return gyre.PresenceStats{}, err
	}
	sh := m.shardFor(channel)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	cp := sh.channels[channel]
	if cp == nil {
		return gyre.PresenceStats{}, nil
	}
	return gyre.PresenceStats{NumClients: len(cp.clients), NumUsers: len(cp.users)}, nil
}

// AddPresence stores a copy of info (byte slices included) as the presence
// of client info.ClientID in the channel, replacing an earlier one.
func (m *PresenceManager) AddPresence(ctx context.Context, channel string, info *gyre.ClientInfo) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if info == nil {
		return errNilClientInfo
	}
	stored := &gyre.ClientInfo{
		ClientID: info.ClientID,
		UserID:   info.UserID,
		ConnInfo: cloneBytes(info.ConnInfo),
		ChanInfo: cloneBytes(info.ChanInfo),
	}
	sh := m.shardFor(channel)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	cp := sh.channels[channel]
	if cp == nil {
		cp = &channelPresence{
			clients: make(map[string]*gyre.ClientInfo, 1),
			users:   make(map[string]int, 1),
		}
		sh.channels[channel] = cp
	}
	if old := cp.clients[info.ClientID]; old != nil {
		cp.removeUser(old.UserID)
	}
	cp.clients[info.ClientID] = stored
	cp.users[info.UserID]++
	return nil
}

// RemovePresence removes the client from the channel's presence; removing
// the last client forgets the channel. The user is taken from the stored
// entry, so userID only documents the caller's intent. Removing an absent
// client is not an error.
func (m *PresenceManager) RemovePresence(ctx context.Context, channel, clientID, userID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	sh := m.shardFor(channel)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	cp := sh.channels[channel]
	if cp == nil {
		return nil
	}
	old := cp.clients[clientID]
	if old == nil {
		return nil
	}
	delete(cp.clients, clientID)
	cp.removeUser(old.UserID)
	if len(cp.clients) == 0 {
		delete(sh.channels, channel)
	}
	return nil
}

// removeUser drops one client of the user from the count.
func (cp *channelPresence) removeUser(userID string) {
	if n := cp.users[userID]; n > 1 {
		cp.users[userID] = n - 1
	} else {
		delete(cp.users, userID)
	}
}

func (m *PresenceManager) shardFor(channel string) *presenceShard {
	return &m.shards[maphash.String(m.seed, channel)%numShards]
}

// cloneBytes copies b, keeping nil as nil.
func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}
