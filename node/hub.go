package node

import (
	"hash/maphash"
	"sync"
)

const numShards = 64

var hubSeed = maphash.MakeSeed()

func shardOf(key string) int {
	return int(maphash.String(hubSeed, key) % numShards)
}

// hub indexes sessions by client ID and user, and subscribers by channel.
// Each index is split into shards with their own lock.
type hub struct {
	subs  [numShards]subShard
	conns [numShards]connShard
}

type subShard struct {
	mu       sync.RWMutex
	channels map[string]map[*Session]*subscriber
}

type connShard struct {
	mu    sync.RWMutex
	users map[string]map[*Session]struct{}
}

// addSubscriber registers sub for ch; it reports whether it is the first
// subscriber of ch on this node and false if the session already has one.
func (h *hub) addSubscriber(ch string, sub *subscriber) (first, ok bool) {
	sh := &h.subs[shardOf(ch)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.channels == nil {
		sh.channels = map[string]map[*Session]*subscriber{}
	}
	m := sh.channels[ch]
	if m == nil {
		m = map[*Session]*subscriber{}
		sh.channels[ch] = m
		first = true
	}
	if _, exists := m[sub.s]; exists {
		return false, false
	}
	m[sub.s] = sub
	return first, true
}

// removeSubscriber drops s from ch; it reports whether ch has no local
// subscribers left and whether s was subscribed.
func (h *hub) removeSubscriber(ch string, s *Session) (last, removed bool) {
	sh := &h.subs[shardOf(ch)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	m := sh.channels[ch]
	if _, ok := m[s]; !ok {
		return false, false
	}
	delete(m, s)
	if len(m) == 0 {
		delete(sh.channels, ch)
		return true, true
	}
	return false, true
}

// eachSubscriber calls f for every subscriber of ch under the shard's read
// lock; f must not block.
func (h *hub) eachSubscriber(ch string, f func(*subscriber)) {
	sh := &h.subs[shardOf(ch)]
	sh.mu.RLock()
	for _, sub := range sh.channels[ch] {
		f(sub)
	}
	sh.mu.RUnlock()
}

// channels returns every channel with local subscribers and their count.
func (h *hub) channels() map[string]int {
	out := map[string]int{}
	for i := range h.subs {
		sh := &h.subs[i]
		sh.mu.RLock()
		for ch, m := range sh.channels {
			out[ch] = len(m)
		}
		sh.mu.RUnlock()
	}
	return out
}

// counts returns the number of channels and subscriptions.
func (h *hub) counts() (channels, subs int) {
	for i := range h.subs {
		sh := &h.subs[i]
		sh.mu.RLock()
		channels += len(sh.channels)
		for _, m := range sh.channels {
			subs += len(m)
		}
		sh.mu.RUnlock()
	}
	return channels, subs
}

// addSession registers a connected session under its user.
func (h *hub) addSession(s *Session, user string) {
	sh := &h.conns[shardOf(user)]
	sh.mu.Lock()
	if sh.users == nil {
		sh.users = map[string]map[*Session]struct{}{}
	}
	m := sh.users[user]
	if m == nil {
		m = map[*Session]struct{}{}
		sh.users[user] = m
	}
	m[s] = struct{}{}
	sh.mu.Unlock()
}

func (h *hub) removeSession(s *Session, user string) {
	sh := &h.conns[shardOf(user)]
	sh.mu.Lock()
	if m := sh.users[user]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(sh.users, user)
		}
	}
	sh.mu.Unlock()
}

// userSessions returns a snapshot of the user's connected sessions.
func (h *hub) userSessions(user string) []*Session {
	sh := &h.conns[shardOf(user)]
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	m := sh.users[user]
	out := make([]*Session, 0, len(m))
	for s := range m {
		out = append(out, s)
	}
	return out
}

// userCount returns the number of connections of a user.
func (h *hub) userCount(user string) int {
	sh := &h.conns[shardOf(user)]
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	return len(sh.users[user])
}

// userTotals returns the number of distinct users and connections.
func (h *hub) userTotals() (users, conns int) {
	for i := range h.conns {
		sh := &h.conns[i]
		sh.mu.RLock()
		users += len(sh.users)
		for _, m := range sh.users {
			conns += len(m)
		}
		sh.mu.RUnlock()
	}
	return users, conns
}
