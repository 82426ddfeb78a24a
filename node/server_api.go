package node

import (
	"context"
	"errors"
	"time"

	"github.com/centrifugal/protocol"
	"github.com/gyrehq/gyre"
)

// PublishRequest is a server-side publish (HTTP/gRPC API).
type PublishRequest struct {
	Channel        string
	Data           []byte
	SkipHistory    bool
	Tags           map[string]string
	IdempotencyKey string
}

// serverChannel validates a channel named by the server API.
func (n *Node) serverChannel(ch string) (gyre.ChannelOptions, error) {
	if ch == "" || len(ch) > n.rules.cfg.MaxLength {
		return gyre.ChannelOptions{}, gyre.ErrBadRequest
	}
	opts, err := n.rules.options(ch)
	if err != nil {
		return opts, err
	}
	if !n.rules.validName(ch) {
		return opts, gyre.ErrBadRequest
	}
	return opts, nil
}

// Publish publishes to a channel on behalf of the application.
func (n *Node) Publish(ctx context.Context, req PublishRequest) (gyre.StreamPosition, error) {
	opts, err := n.serverChannel(req.Channel)
	if err != nil {
		return gyre.StreamPosition{}, err
	}
	if !checkDataFormat(opts.PublicationDataFormat, req.Data) {
		return gyre.StreamPosition{}, gyre.ErrBadRequest
	}
	po := n.publishOptions(opts, nil, req.Tags, req.IdempotencyKey)
	if req.SkipHistory {
		po.HistorySize, po.HistoryTTL = 0, 0
	}
	sp, _, err := n.broker.Publish(ctx, req.Channel, req.Data, po)
	return sp, err
}

// SubscribeRequest subscribes a user's live connections to a channel
// (server API subscribe).
type SubscribeRequest struct {
	Channel, User, Client, Session string
	ExpireAt                       int64
	Info, Data                     []byte
	RecoverSince                   *gyre.StreamPosition
	Override                       *gyre.SubscribeOverride
}

// Subscribe subscribes every matching connection of the user, on every
// node; each gets a subscribe push.
func (n *Node) Subscribe(ctx context.Context, req SubscribeRequest) error {
	if _, err := n.serverChannel(req.Channel); err != nil {
		return err
	}
	return n.broadcast(ctx, controlMsg{Op: "subscribe", Subscribe: &req})
}

func (n *Node) subscribeLocal(ctx context.Context, req SubscribeRequest) error {
	for _, s := range n.hub.userSessions(req.User) {
		if req.Client != "" && s.id != req.Client {
			continue
		}
		ss := serverSub{channel: req.Channel, grant: gyre.SubscribeGrant{Info: req.Info, Data: req.Data, Override: req.Override, ExpireAt: req.ExpireAt}}
		var rec *protocol.SubscribeRequest
		if req.RecoverSince != nil {
			rec = &protocol.SubscribeRequest{Recover: true, Offset: req.RecoverSince.Offset, Epoch: req.RecoverSince.Epoch}
		}
		sub, res, err := s.subscribeServerSide(ctx, ss, rec)
		if err != nil {
			if errors.Is(err, gyre.ErrAlreadySubscribed) || errors.Is(err, gyre.DisconnectConnectionClosed) {
				continue
			}
			return err
		}
		sub.mu.Lock()
		s.sendReply(&protocol.Reply{Push: &protocol.Push{Channel: req.Channel, Subscribe: &protocol.Subscribe{
			Recoverable: res.Recoverable, Epoch: res.Epoch, Offset: res.Offset, Positioned: res.Positioned, Data: res.Data,
		}}})
		n.metrics.IncMessagesSent("subscribe", 1)
		sub.goLiveLocked()
		sub.mu.Unlock()
	}
	return nil
}

// Unsubscribe removes the user's matching connections, on every node, from
// a channel; each gets an unsubscribe push with code 2000.
func (n *Node) Unsubscribe(ctx context.Context, ch, user, client string) error {
	if ch == "" {
		return gyre.ErrBadRequest
	}
	return n.broadcast(ctx, controlMsg{Op: "unsubscribe", Unsubscribe: &controlUnsubscribe{Channel: ch, User: user, Client: client}})
}

func (n *Node) unsubscribeLocal(ch, user, client string) {
	for _, s := range n.hub.userSessions(user) {
		if client != "" && s.id != client {
			continue
		}
		s.unsubscribeServer(ch, gyre.UnsubscribeServer, gyre.Disconnect{})
	}
}

// Disconnect disconnects the user's matching connections on every node.
func (n *Node) Disconnect(ctx context.Context, user string, d gyre.Disconnect, client string, whitelist []string) error {
	return n.broadcast(ctx, controlMsg{Op: "disconnect", Disconnect: &controlDisconnect{User: user, Code: d.Code, Reason: d.Reason, Client: client, Whitelist: whitelist}})
}

func (n *Node) disconnectLocal(user string, d gyre.Disconnect, client string, whitelist []string) {
	skip := make(map[string]struct{}, len(whitelist))
	for _, c := range whitelist {
		skip[c] = struct{}{}
	}
	for _, s := range n.hub.userSessions(user) {
		if client != "" && s.id != client {
			continue
		}
		if _, ok := skip[s.id]; ok {
			continue
		}
		s.Disconnect(d)
	}
}

// Refresh updates the expiration (or expires) the user's matching
// connections on every node; refreshed clients get a refresh push.
func (n *Node) Refresh(ctx context.Context, user, client string, expired bool, expireAt int64, info []byte) error {
	return n.broadcast(ctx, controlMsg{Op: "refresh", Refresh: &controlRefresh{User: user, Client: client, Expired: expired, ExpireAt: expireAt, Info: info}})
}

func (n *Node) refreshLocal(user, client string, expired bool, expireAt int64, info []byte) {
	for _, s := range n.hub.userSessions(user) {
		if client != "" && s.id != client {
			continue
		}
		if expired {
			s.Disconnect(gyre.DisconnectExpired)
			continue
		}
		s.mu.Lock()
		s.expireAt = expireAt
		if info != nil {
			s.connInfo = info
		}
		s.scheduleExpiryLocked()
		s.mu.Unlock()
		push := &protocol.Refresh{}
		if expireAt > 0 {
			push.Expires = true
			push.Ttl = uint32(max(expireAt-time.Now().Unix(), 0))
		}
		s.sendReply(&protocol.Reply{Push: &protocol.Push{Refresh: push}})
		n.metrics.IncMessagesSent("refresh", 1)
	}
}

// Presence returns the channel's presence (108 when presence is off).
func (n *Node) Presence(ctx context.Context, ch string) (map[string]*gyre.ClientInfo, error) {
	opts, err := n.serverChannel(ch)
	if err != nil {
		return nil, err
	}
	if !opts.Presence {
		return nil, gyre.ErrNotAvailable
	}
	return n.presence.Presence(ctx, ch)
}

// PresenceStats returns the channel's presence counts.
func (n *Node) PresenceStats(ctx context.Context, ch string) (gyre.PresenceStats, error) {
	opts, err := n.serverChannel(ch)
	if err != nil {
		return gyre.PresenceStats{}, err
	}
	if !opts.Presence {
		return gyre.PresenceStats{}, gyre.ErrNotAvailable
	}
	return n.presence.PresenceStats(ctx, ch)
}

// History reads the channel's stream (108 when history is off).
func (n *Node) History(ctx context.Context, ch string, f gyre.HistoryFilter) ([]*gyre.Publication, gyre.StreamPosition, error) {
	opts, err := n.serverChannel(ch)
	if err != nil {
		return nil, gyre.StreamPosition{}, err
	}
	if !opts.HistoryEnabled() {
		return nil, gyre.StreamPosition{}, gyre.ErrNotAvailable
	}
	return n.broker.History(ctx, ch, gyre.HistoryOptions{Filter: f, MetaTTL: opts.HistoryMetaTTL.D()})
}

// RemoveHistory drops the channel's publications.
func (n *Node) RemoveHistory(ctx context.Context, ch string) error {
	opts, err := n.serverChannel(ch)
	if err != nil {
		return err
	}
	if !opts.HistoryEnabled() {
		return gyre.ErrNotAvailable
	}
	return n.broker.RemoveHistory(ctx, ch)
}
