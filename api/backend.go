package api

import (
	"context"

	"github.com/gyrehq/gyre"
)

// PublishOptions tune one Backend.Publish call.
type PublishOptions struct {
	// SkipHistory publishes without appending to the channel's stream.
	SkipHistory bool
	// Tags are attached to the publication.
	Tags map[string]string
	// IdempotencyKey makes a repeated publish with the same key a no-op.
	IdempotencyKey string
	// Delta asks for delta compression towards subscribers that negotiated
	// it.
	Delta bool
}

// SubscribeOptions describe one server-side subscription made through the
// API.
type SubscribeOptions struct {
	// User whose connections are subscribed; Client and Session, when set,
	// narrow it to one connection or session.
	User, Client, Session string
	// ExpireAt in Unix seconds; 0 means the subscription does not expire.
	ExpireAt int64
	// Info becomes ClientInfo.ChanInfo; Data goes to the client in the
	// subscribe push.
	Info, Data []byte
	// RecoverSince, when set, recovers publications after this position.
	RecoverSince *gyre.StreamPosition
	// Override replaces namespace options for this subscription.
	Override *gyre.SubscribeOverride
}

// NodeInfo describes one node for the info method.
type NodeInfo struct {
	UID, Name, Version                         string
	NumClients, NumUsers, NumChannels, NumSubs int
	// Uptime in seconds.
	Uptime int64
}

// Backend is what the Service needs from the node. Every method may be
// called concurrently (broadcast and parallel batches do so).
//
// A returned error that is (or wraps) a gyre.Error reaches the API caller
// with its code and message (for example 102 unknown channel, 107 bad
// request, 108 not available, 112 unrecoverable position); any other error
// becomes 100 internal server error and is logged.
type Backend interface {
	// Publish validates the channel (102 unknown namespace, 107 bad name or
	// data format) and publishes.
	Publish(ctx context.Context, channel string, data []byte, opts PublishOptions) (gyre.StreamPosition, error)
	// Subscribe subscribes the user's connections on all nodes.
	Subscribe(ctx context.Context, channel string, opts SubscribeOptions) error
	// Unsubscribe unsubscribes the user's connections (optionally one client
	// or session) on all nodes. As in Centrifugo, channel and user may be
	// empty: the Service does not validate them.
	Unsubscribe(ctx context.Context, channel, user, client, session string) error
	// Disconnect disconnects the user's connections (optionally one client
	// or session, sparing the whitelisted client IDs) on all nodes.
	Disconnect(ctx context.Context, user string, d gyre.Disconnect, client, session string, whitelist []string) error
	// Refresh expires the user's connections (expired) or sets their new
	// expiration time and info.
	Refresh(ctx context.Context, user, client, session string, expired bool, expireAt int64, info []byte) error
	// Presence returns the channel's present clients keyed by client ID.
	Presence(ctx context.Context, channel string) (map[string]*gyre.ClientInfo, error)
	// PresenceStats counts the channel's present clients and users.
	PresenceStats(ctx context.Context, channel string) (gyre.PresenceStats, error)
	// History returns the publications selected by filter and the stream
	// top.
	History(ctx context.Context, channel string, filter gyre.HistoryFilter) ([]*gyre.Publication, gyre.StreamPosition, error)
	// RemoveHistory drops the channel's publications.
	RemoveHistory(ctx context.Context, channel string) error
	// Channels returns channel → number of local subscribers gathered from
	// all nodes; the Service applies the glob pattern itself.
	Channels(ctx context.Context) (map[string]int, error)
	// Info describes every running node.
	Info(ctx context.Context) ([]NodeInfo, error)
}
