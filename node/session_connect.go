package node

import (
	"context"
	"errors"
	"maps"
	"strings"
	"time"

	"github.com/centrifugal/protocol"
	"github.com/gyrehq/gyre"
)

// serverSub is a server-side subscription to set up at connect.
type serverSub struct {
	channel string
	grant   gyre.SubscribeGrant
}

func (s *Session) handleConnect(id uint32, req *protocol.ConnectRequest) error {
	n := s.node
	cfg := n.cfg.Client
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	var (
		user     string
		info     []byte
		meta     []byte
		expireAt int64
		subs     []serverSub
		tokenChs map[string]struct{}
		haveCred bool
	)
	if req.Token != "" {
		tok, err := s.verifyConnectToken(ctx, req.Token)
		if err != nil {
			return err
		}
		if tok.UserID == "" && cfg.DisallowAnonymousConnectionTokens {
			return gyre.DisconnectPermissionDenied
		}
		user, info, meta, expireAt, haveCred = tok.UserID, tok.Info, tok.Meta, tok.ExpireAt, true
		tokenChs = map[string]struct{}{}
		if len(tok.Subs) > 0 {
			for ch, g := range tok.Subs {
				subs = append(subs, serverSub{channel: ch, grant: g})
				tokenChs[ch] = struct{}{}
			}
		} else {
			for _, ch := range tok.Channels {
				subs = append(subs, serverSub{channel: ch})
				tokenChs[ch] = struct{}{}
			}
		}
	}
	var connectData []byte
	if !haveCred && req.Token == "" && n.cfg.Proxies.Connect != nil {
		pctx, pcancel := proxyCtx()
		res, err := n.cfg.Proxies.Connect.ProxyConnect(pctx, gyre.ConnectProxyRequest{
			Client: s.proxyClient(), Data: append([]byte(nil), req.Data...), Name: cloneStr(req.Name), Version: cloneStr(req.Version),
		})
		pcancel()
		if err != nil {
			return n.proxyErr("connect", err)
		}
		if res != nil {
			user, info, meta, expireAt, haveCred = res.User, res.Info, res.Meta, res.ExpireAt, true
			connectData = res.Data
			if len(res.Subs) > 0 {
				for ch, g := range res.Subs {
					subs = append(subs, serverSub{channel: ch, grant: g})
				}
			} else {
				for _, ch := range res.Channels {
					subs = append(subs, serverSub{channel: ch})
				}
			}
		}
	}
	if !haveCred && cfg.UserIDHTTPHeader != "" && s.conn.Header != nil {
		if u := headerValue(s.conn.Header, cfg.UserIDHTTPHeader); u != "" {
			user, haveCred = u, true
		}
	}
	if !haveCred && (cfg.AllowAnonymousConnectWithoutToken || cfg.Insecure) {
		haveCred = true
	}
	if !haveCred {
		n.log.Debug("client credentials not found", "client", s.id)
		return gyre.DisconnectBadRequest
	}
	if cfg.Insecure {
		expireAt = 0
	}
	if expireAt > 0 && expireAt <= time.Now().Unix() {
		return gyre.ErrExpired
	}
	if cfg.PersonalChannel.Enabled && user != "" {
		subs = append(subs, serverSub{channel: n.rules.personalChannel(cfg.PersonalChannel.Namespace, user)})
	}
	if len(subs) > cfg.ChannelLimit {
		return gyre.DisconnectChannelLimit
	}
	for _, sub := range subs {
		if _, err := n.rules.options(sub.channel); err != nil {
			return err
		}
	}
	if cfg.UserConnectionLimit > 0 && user != "" && n.hub.userCount(user) >= cfg.UserConnectionLimit {
		return gyre.DisconnectConnectionLimit
	}

	s.mu.Lock()
	if s.status != statusConnecting {
		s.mu.Unlock()
		return gyre.DisconnectBadRequest
	}
	s.status = statusConnected
	s.user = user
	s.connInfo = info
	s.meta = meta
	s.expireAt = expireAt
	s.tokenChannels = tokenChs
	s.subs = make(map[string]*subscriber, len(subs))
	s.startPingLocked()
	s.scheduleExpiryLocked()
	s.mu.Unlock()
	n.hub.addSession(s, user)
	n.metrics.IncConnectionsAccepted()

	if cfg.PersonalChannel.Enabled && cfg.PersonalChannel.SingleConnection && user != "" {
		for _, other := range n.hub.userSessions(user) {
			if other != s {
				go other.Disconnect(gyre.DisconnectConnectionLimit)
			}
		}
	}

	res := &protocol.ConnectResult{
		Client:  s.id,
		Version: n.cfg.Version,
		Data:    connectData,
	}
	if expireAt > 0 && n.cfg.Proxies.Refresh == nil {
		res.Expires = true
		res.Ttl = uint32(max(expireAt-time.Now().Unix(), 0))
	}
	if cfg.PingInterval > 0 {
		res.Ping = uint32(cfg.PingInterval / time.Second)
		res.Pong = cfg.PongTimeout > 0
	}
	if cfg.ConnectIncludeServerTime {
		res.Time = time.Now().UnixMilli()
	}
	var started []*subscriber
	if len(subs) > 0 {
		res.Subs = make(map[string]*protocol.SubscribeResult, len(subs))
		for _, ss := range subs {
			var recover *protocol.SubscribeRequest
			if req.Subs != nil {
				recover = req.Subs[ss.channel]
			}
			sub, sr, err := s.subscribeServerSide(ctx, ss, recover)
			if err != nil {
				s.abortServerSubs(started)
				return err
			}
			started = append(started, sub)
			res.Subs[ss.channel] = sr
		}
	}
	// The reply goes first, then whatever arrived while subscribing.
	for _, sub := range started {
		sub.mu.Lock()
	}
	s.sendReply(&protocol.Reply{Id: id, Connect: res})
	for _, sub := range started {
		sub.goLiveLocked()
		sub.mu.Unlock()
	}
	return nil
}

func (s *Session) abortServerSubs(subs []*subscriber) {
	s.mu.Lock()
	for _, sub := range subs {
		delete(s.subs, sub.channel)
	}
	s.mu.Unlock()
	for _, sub := range subs {
		s.node.removeSubscriber(s, sub.channel, sub, true)
	}
}

// verifyConnectToken maps verifier errors to client codes: expired → 109,
// anything else → disconnect 3500.
func (s *Session) verifyConnectToken(ctx context.Context, token string) (gyre.ConnectToken, error) {
	if s.node.verifier == nil {
		return gyre.ConnectToken{}, gyre.DisconnectInvalidToken
	}
	tok, err := s.node.verifier.VerifyConnectToken(ctx, token)
	if err != nil {
		if errors.Is(err, gyre.ErrTokenExpired) {
			return tok, gyre.ErrTokenExpired
		}
		s.node.log.Info("invalid connection token", "client", s.id, "reason", err.Error())
		return tok, gyre.DisconnectInvalidToken
	}
	return tok, nil
}

func (s *Session) handleRefresh(id uint32, req *protocol.RefreshRequest) error {
	if req.Token == "" || s.node.cfg.Proxies.Refresh != nil {
		return gyre.DisconnectBadRequest
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if s.node.verifier == nil {
		return gyre.DisconnectInvalidToken
	}
	tok, err := s.node.verifier.VerifyConnectToken(ctx, req.Token)
	if err != nil {
		if errors.Is(err, gyre.ErrTokenExpired) {
			return gyre.DisconnectExpired
		}
		s.node.log.Info("invalid refresh token", "client", s.id, "reason", err.Error())
		return gyre.DisconnectInvalidToken
	}
	s.mu.Lock()
	if tok.UserID != s.user {
		s.mu.Unlock()
		return gyre.DisconnectInvalidToken
	}
	if s.tokenChannels != nil {
		newChs := map[string]struct{}{}
		if len(tok.Subs) > 0 {
			for ch := range tok.Subs {
				newChs[ch] = struct{}{}
			}
		} else {
			for _, ch := range tok.Channels {
				newChs[ch] = struct{}{}
			}
		}
		if !maps.Equal(newChs, s.tokenChannels) {
			s.mu.Unlock()
			return gyre.DisconnectInsufficientState
		}
	}
	if tok.ExpireAt > 0 && tok.ExpireAt <= time.Now().Unix() {
		s.mu.Unlock()
		return gyre.DisconnectExpired
	}
	s.expireAt = tok.ExpireAt
	if tok.Info != nil {
		s.connInfo = tok.Info
	}
	s.scheduleExpiryLocked()
	s.mu.Unlock()
	res := &protocol.RefreshResult{Client: s.id, Version: s.node.cfg.Version}
	if tok.ExpireAt > 0 {
		res.Expires = true
		res.Ttl = uint32(max(tok.ExpireAt-time.Now().Unix(), 0))
	}
	s.sendReply(&protocol.Reply{Id: id, Refresh: res})
	return nil
}

// cloneStr copies a string decoded from a (reused) frame buffer.
func cloneStr(v string) string { return strings.Clone(v) }

// headerValue returns the first value of a header, matching the name
// case-insensitively.
func headerValue(h map[string][]string, name string) string {
	if v := h[name]; len(v) > 0 {
		return v[0]
	}
	for k, v := range h {
		if len(v) > 0 && strings.EqualFold(k, name) {
			return v[0]
		}
	}
	return ""
}
