package gyre

import (
	"context"
	"time"
)

// PublishOptions tune one Broker.Publish call.
type PublishOptions struct {
	// ClientInfo of the publisher, when a client published.
	ClientInfo *ClientInfo
	// Tags are attached to the publication.
	Tags map[string]string
	// HistorySize and HistoryTTL: the publication is appended to the
	// channel's stream when both are > 0; the stream is trimmed to
	// HistorySize items and items expire HistoryTTL after the last publish.
	HistorySize int
	HistoryTTL  time.Duration
	// HistoryMetaTTL is how long the stream meta (top offset and epoch)
	// lives after the last publish or history call. Zero means the broker's
	// default. When it expires, the next publish starts a new epoch.
	HistoryMetaTTL time.Duration
	// IdempotencyKey, when set, makes a repeated publish with the same key in
	// the same channel within IdempotentResultTTL a no-op that returns the
	// first publish's position.
	IdempotencyKey      string
	IdempotentResultTTL time.Duration
}

// HistoryOptions tune one Broker.History call.
type HistoryOptions struct {
	Filter HistoryFilter
	// MetaTTL as in PublishOptions.HistoryMetaTTL; a history call extends
	// the meta's life. Zero means the broker's default.
	MetaTTL time.Duration
}

// Broker delivers publications, joins and leaves between nodes and keeps
// channel streams (history with offsets and epochs).
//
// Every method may be called concurrently. Publish must append to the
// stream and deliver atomically per channel: handlers see the publications
// of one channel in offset order, and a History call never returns a
// publication whose delivery has not begun.
type Broker interface {
	// RegisterEventHandler sets the handler that receives everything the
	// broker delivers. It is called once, before any other method.
	RegisterEventHandler(h BrokerEventHandler) error
	// Subscribe makes the broker deliver the channel's events to this node.
	Subscribe(ctx context.Context, channel string) error
	// Unsubscribe stops delivering the channel's events to this node.
	Unsubscribe(ctx context.Context, channel string) error
	// Publish sends data to the channel's subscribers on all nodes and,
	// when history is on, appends it to the stream. It returns the stream
	// position of the publication (zero without history) and whether the
	// publish was suppressed as a duplicate of an earlier idempotent one.
	Publish(ctx context.Context, channel string, data []byte, opts PublishOptions) (sp StreamPosition, suppressed bool, err error)
	// PublishJoin delivers a join event to the channel's subscribers.
	PublishJoin(ctx context.Context, channel string, info *ClientInfo) error
	// PublishLeave delivers a leave event to the channel's subscribers.
	PublishLeave(ctx context.Context, channel string, info *ClientInfo) error
	// History returns publications selected by opts.Filter and the stream
	// top. A channel that never had a publication gets an empty stream with
	// offset 0 and a fresh epoch (created by this call). A Since epoch that
	// differs from the stream's returns ErrUnrecoverablePosition together
	// with the current top.
	History(ctx context.Context, channel string, opts HistoryOptions) ([]*Publication, StreamPosition, error)
	// RemoveHistory drops the channel's publications; the top position
	// (offset and epoch) stays.
	RemoveHistory(ctx context.Context, channel string) error
}

// BrokerEventHandler receives what a Broker delivers. Its methods must not
// block: the node enqueues and returns.
type BrokerEventHandler interface {
	// HandlePublication delivers a publication and the stream position it
	// was published at (zero offset without history).
	HandlePublication(channel string, pub *Publication, sp StreamPosition) error
	// HandleJoin delivers a join event.
	HandleJoin(channel string, info *ClientInfo) error
	// HandleLeave delivers a leave event.
	HandleLeave(channel string, info *ClientInfo) error
}

// PresenceStats counts a channel's present clients and distinct users.
type PresenceStats struct {
	NumClients int
	NumUsers   int
}

// PresenceManager keeps who is present in channels. Every method may be
// called concurrently.
type PresenceManager interface {
	// Presence returns the channel's present clients keyed by client ID.
	Presence(ctx context.Context, channel string) (map[string]*ClientInfo, error)
	// PresenceStats counts the channel's present clients and users.
	PresenceStats(ctx context.Context, channel string) (PresenceStats, error)
	// AddPresence adds or refreshes a client's presence in the channel.
	AddPresence(ctx context.Context, channel string, info *ClientInfo) error
	// RemovePresence removes a client from the channel's presence.
	RemovePresence(ctx context.Context, channel, clientID, userID string) error
}

// Closer is an optional capability of brokers and presence managers that
// hold resources.
type Closer interface {
	Close(ctx context.Context) error
}
