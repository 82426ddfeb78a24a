// Package apitest provides a fake api.Backend for the tests of package api
// and its transport adapters.
package apitest

import (
	"context"
	"sync"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/api"
)

// Call records one Backend call: the method name and its arguments (the
// context left out).
type Call struct {
	Method string
	Args   []any
}

// Backend is a fake api.Backend. Each method calls the matching func field
// when set and returns zero values otherwise; every call is recorded.
type Backend struct {
	PublishFunc       func(channel string, data []byte, opts api.PublishOptions) (gyre.StreamPosition, error)
	SubscribeFunc     func(channel string, opts api.SubscribeOptions) error
	UnsubscribeFunc   func(channel, user, client, session string) error
	DisconnectFunc    func(user string, d gyre.Disconnect, client, session string, whitelist []string) error
	RefreshFunc       func(user, client, session string, expired bool, expireAt int64, info []byte) error
	PresenceFunc      func(channel string) (map[string]*gyre.ClientInfo, error)
	PresenceStatsFunc func(channel string) (gyre.PresenceStats, error)
	HistoryFunc       func(channel string, filter gyre.HistoryFilter) ([]*gyre.Publication, gyre.StreamPosition, error)
	RemoveHistoryFunc func(channel string) error
	ChannelsFunc      func() (map[string]int, error)
	InfoFunc          func() ([]api.NodeInfo, error)

	mu    sync.Mutex
	calls []Call
}

var _ api.Backend = (*Backend)(nil)

func (b *Backend) record(method string, args ...any) {
	b.mu.Lock()
	b.calls = append(b.calls, Call{Method: method, Args: args})
	b.mu.Unlock()
}

// Calls returns the recorded calls in call order.
func (b *Backend) Calls() []Call {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Call(nil), b.calls...)
}

// Publish implements api.Backend.
func (b *Backend) Publish(_ context.Context, channel string, data []byte, opts api.PublishOptions) (gyre.StreamPosition, error) {
	b.record("Publish", channel, data, opts)
	if b.PublishFunc != nil {
		return b.PublishFunc(channel, data, opts)
	}
	return gyre.StreamPosition{}, nil
}

// Subscribe implements api.Backend.
func (b *Backend) Subscribe(_ context.Context, channel string, opts api.SubscribeOptions) error {
	b.record("Subscribe", channel, opts)
	if b.SubscribeFunc != nil {
		return b.SubscribeFunc(channel, opts)
	}
	return nil
}

// Unsubscribe implements api.Backend.
func (b *Backend) Unsubscribe(_ context.Context, channel, user, client, session string) error {
	b.record("Unsubscribe", channel, user, client, session)
	if b.UnsubscribeFunc != nil {
		return b.UnsubscribeFunc(channel, user, client, session)
	}
	return nil
}

// Disconnect implements api.Backend.
func (b *Backend) Disconnect(_ context.Context, user string, d gyre.Disconnect, client, session string, whitelist []string) error {
	b.record("Disconnect", user, d, client, session, whitelist)
	if b.DisconnectFunc != nil {
		return b.DisconnectFunc(user, d, client, session, whitelist)
	}
	return nil
}

// Refresh implements api.Backend.
func (b *Backend) Refresh(_ context.Context, user, client, session string, expired bool, expireAt int64, info []byte) error {
	b.record("Refresh", user, client, session, expired, expireAt, info)
	if b.RefreshFunc != nil {
		return b.RefreshFunc(user, client, session, expired, expireAt, info)
	}
	return nil
}

// Presence implements api.Backend.
func (b *Backend) Presence(_ context.Context, channel string) (map[string]*gyre.ClientInfo, error) {
	b.record("Presence", channel)
	if b.PresenceFunc != nil {
		return b.PresenceFunc(channel)
	}
	return nil, nil
}

// PresenceStats implements api.Backend.
func (b *Backend) PresenceStats(_ context.Context, channel string) (gyre.PresenceStats, error) {
	b.record("PresenceStats", channel)
	if b.PresenceStatsFunc != nil {
		return b.PresenceStatsFunc(channel)
	}
	return gyre.PresenceStats{}, nil
}

// History implements api.Backend.
func (b *Backend) History(_ context.Context, channel string, filter gyre.HistoryFilter) ([]*gyre.Publication, gyre.StreamPosition, error) {
	b.record("History", channel, filter)
	if b.HistoryFunc != nil {
		return b.HistoryFunc(channel, filter)
	}
	return nil, gyre.StreamPosition{}, nil
}

// RemoveHistory implements api.Backend.
func (b *Backend) RemoveHistory(_ context.Context, channel string) error {
	b.record("RemoveHistory", channel)
	if b.RemoveHistoryFunc != nil {
		return b.RemoveHistoryFunc(channel)
	}
	return nil
}

// Channels implements api.Backend.
func (b *Backend) Channels(_ context.Context) (map[string]int, error) {
	b.record("Channels")
	if b.ChannelsFunc != nil {
		return b.ChannelsFunc()
	}
	return nil, nil
}

// Info implements api.Backend.
func (b *Backend) Info(_ context.Context) ([]api.NodeInfo, error) {
	b.record("Info")
	if b.InfoFunc != nil {
		return b.InfoFunc()
	}
	return nil, nil
}
