package node

import (
	"context"
	"errors"
	"time"

	"github.com/centrifugal/protocol"
	"github.com/gyrehq/gyre"
)

// subParams is what the subscriber asked for.
type subParams struct {
	positioned, recoverable, joinLeave bool
	recover                            bool
	offset                             uint64
	epoch                              string
	serverSide                         bool
	rejectUnrecovered                  bool
}

const flagRejectUnrecovered = 1 << 1

func (s *Session) handleSubscribe(id uint32, req *protocol.SubscribeRequest) error {
	n := s.node
	ch := cloneStr(req.Channel)
	if ch == "" || (req.Delta != "" && req.Delta != "fossil") {
		return gyre.DisconnectBadRequest
	}
	if len(ch) > n.rules.cfg.MaxLength {
		return gyre.ErrBadRequest
	}
	if req.Tf != nil {
		// Tags filters need allow_tags_filter, which Gyre does not offer yet.
		return gyre.ErrBadRequest
	}
	s.mu.Lock()
	_, exists := s.subs[ch]
	count, user := len(s.subs), s.user
	s.mu.Unlock()
	if exists {
		return gyre.ErrAlreadySubscribed
	}
	if count >= n.cfg.Client.ChannelLimit {
		return gyre.ErrLimitExceeded
	}
	opts, err := n.rules.options(ch)
	if err != nil {
		return err
	}
	if !n.rules.validName(ch) {
		return gyre.ErrBadRequest
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var grant gyre.SubscribeGrant
	switch {
	case req.Token != "":
		if n.verifier == nil {
			return gyre.ErrPermissionDenied
		}
		tok, err := n.verifier.VerifySubscribeToken(ctx, req.Token)
		if err != nil {
			if errors.Is(err, gyre.ErrTokenExpired) {
				return gyre.ErrTokenExpired
			}
			n.log.Info("invalid subscription token", "client", s.id, "channel", ch, "reason", err.Error())
			return gyre.ErrPermissionDenied
		}
		if tok.Channel != ch || tok.UserID != user || (tok.Client != "" && tok.Client != s.id) {
			return gyre.DisconnectInvalidToken
		}
		grant = tok.SubscribeGrant
	case n.rules.isPrivate(ch):
		return gyre.ErrPermissionDenied
	case opts.AllowUserLimitedChannels && n.rules.isUserLimited(ch) && n.rules.userAllowed(ch, user):
	case opts.SubscribeProxyEnabled:
		proxy := n.cfg.Proxies.Subscribe[proxyName(opts.SubscribeProxyName)]
		if proxy == nil {
			n.log.Error("subscribe proxy not configured", "name", proxyName(opts.SubscribeProxyName), "channel", ch)
			return gyre.ErrInternal
		}
		pctx, pcancel := proxyCtx()
		g, err := proxy.ProxySubscribe(pctx, gyre.SubscribeProxyRequest{
			Client: s.proxyClient(), Channel: ch, Data: append([]byte(nil), req.Data...),
		})
		pcancel()
		if err != nil {
			return n.proxyErr("subscribe", err)
		}
		if g != nil {
			grant = *g
		}
	case opts.AllowSubscribeForClient && (user != "" || opts.AllowSubscribeForAnonymous):
	case n.cfg.Client.Insecure:
	default:
		return gyre.ErrPermissionDenied
	}
	p := subParams{
		positioned:        req.Positioned,
		recoverable:       req.Recoverable,
		joinLeave:         req.JoinLeave,
		recover:           req.Recover,
		offset:            req.Offset,
		epoch:             cloneStr(req.Epoch),
		rejectUnrecovered: req.Flag&flagRejectUnrecovered != 0,
	}
	sub, res, err := s.subscribe(ctx, ch, opts, grant, p)
	if err != nil {
		return err
	}
	sub.mu.Lock()
	s.sendReply(&protocol.Reply{Id: id, Subscribe: res})
	sub.goLiveLocked()
	sub.mu.Unlock()
	return nil
}

// subscribeServerSide subscribes at connect to a channel the token or the
// personal channel rule granted.
func (s *Session) subscribeServerSide(ctx context.Context, ss serverSub, rec *protocol.SubscribeRequest) (*subscriber, *protocol.SubscribeResult, error) {
	opts, err := s.node.rules.options(ss.channel)
	if err != nil {
		return nil, nil, err
	}
	p := subParams{serverSide: true}
	if rec != nil && rec.Recover {
		p.recover, p.offset, p.epoch = true, rec.Offset, cloneStr(rec.Epoch)
	}
	return s.subscribe(ctx, ss.channel, opts, ss.grant, p)
}

// access reports whether a user has a client/subscriber/anonymous permission.
func (s *Session) access(user string, forClient, forSubscriber, forAnonymous, subscribed bool) bool {
	if s.node.cfg.Client.Insecure {
		return true
	}
	if user == "" && !forAnonymous {
		return false
	}
	return forClient || (forSubscriber && subscribed)
}

// subscribe registers a subscriber (buffering) and computes the subscribe
// result, recovering missed publications when asked. The caller queues the
// result and then calls goLiveLocked under sub.mu.
func (s *Session) subscribe(ctx context.Context, ch string, opts gyre.ChannelOptions, grant gyre.SubscribeGrant, p subParams) (*subscriber, *protocol.SubscribeResult, error) {
	n := s.node
	if o := grant.Override; o != nil {
		set := func(dst *bool, v *bool) {
			if v != nil {
				*dst = *v
			}
		}
		set(&opts.Presence, o.Presence)
		set(&opts.JoinLeave, o.JoinLeave)
		set(&opts.ForcePushJoinLeave, o.ForcePushJoinLeave)
		set(&opts.ForceRecovery, o.ForceRecovery)
		set(&opts.ForcePositioning, o.ForcePositioning)
	}
	s.mu.Lock()
	user := s.user
	s.mu.Unlock()
	history := opts.HistoryEnabled()
	historyAccess := p.serverSide || s.access(user, opts.AllowHistoryForClient, opts.AllowHistoryForSubscriber, opts.AllowHistoryForAnonymous, true)
	presenceAccess := p.serverSide || s.access(user, opts.AllowPresenceForClient, opts.AllowPresenceForSubscriber, opts.AllowPresenceForAnonymous, true)
	var flags subFlags
	if history && (opts.ForcePositioning || (p.positioned && (opts.AllowPositioning || historyAccess))) {
		flags |= flagPositioned
	}
	if history && (opts.ForceRecovery || (p.recoverable && (opts.AllowRecovery || historyAccess))) {
		flags |= flagRecoverable | flagPositioned
	}
	if opts.ForcePushJoinLeave || (p.joinLeave && opts.JoinLeave && presenceAccess) {
		flags |= flagPushJoinLeave
	}
	if p.serverSide {
		flags |= flagServerSide
	}
	if opts.Presence {
		flags |= flagPresence
	}
	if opts.JoinLeave {
		flags |= flagJoinLeave
	}
	sub := &subscriber{s: s, channel: ch, flags: flags, chanInfo: grant.Info, buffering: true, expireAt: grant.ExpireAt}
	if opts.SubRefreshProxyEnabled {
		sub.refreshProxy = n.cfg.Proxies.SubRefresh[proxyName(opts.SubRefreshProxyName)]
	}

	s.mu.Lock()
	if s.status == statusClosed {
		s.mu.Unlock()
		return nil, nil, gyre.DisconnectConnectionClosed
	}
	if _, ok := s.subs[ch]; ok {
		s.mu.Unlock()
		return nil, nil, gyre.ErrAlreadySubscribed
	}
	s.subs[ch] = sub
	s.mu.Unlock()
	fail := func(err error) (*subscriber, *protocol.SubscribeResult, error) {
		s.mu.Lock()
		if s.subs[ch] == sub {
			delete(s.subs, ch)
		}
		s.mu.Unlock()
		n.removeSubscriber(s, ch, sub, false)
		return nil, nil, err
	}
	first, _ := n.hub.addSubscriber(ch, sub)
	if first {
		if err := n.broker.Subscribe(ctx, ch); err != nil {
			n.log.Error("broker subscribe failed", "channel", ch, "error", err)
			return fail(gyre.ErrInternal)
		}
	}

	res := &protocol.SubscribeResult{Data: grant.Data}
	sub.metaTTL = opts.HistoryMetaTTL.D()
	if flags&flagPositioned != 0 {
		s.mu.Lock()
		s.schedulePositionLocked()
		s.mu.Unlock()
		res.Positioned = true
		res.Recoverable = flags&flagRecoverable != 0
		if err := s.position(ctx, sub, opts, p, res); err != nil {
			return fail(err)
		}
	}
	if grant.ExpireAt > 0 {
		if sub.refreshProxy == nil {
			res.Expires = true
			res.Ttl = uint32(max(grant.ExpireAt-time.Now().Unix(), 0))
		}
		sub.mu.Lock()
		sub.scheduleExpiryLocked()
		sub.mu.Unlock()
	}
	if flags&flagPresence != 0 {
		if err := n.presence.AddPresence(ctx, ch, s.clientInfo(grant.Info)); err != nil {
			n.log.Error("add presence failed", "channel", ch, "error", err)
			return fail(gyre.ErrInternal)
		}
		s.mu.Lock()
		s.schedulePresenceLocked()
		s.mu.Unlock()
	}
	if flags&flagJoinLeave != 0 {
		if err := n.broker.PublishJoin(ctx, ch, s.clientInfo(grant.Info)); err != nil {
			n.log.Warn("publish join failed", "channel", ch, "error", err)
		}
	}
	return sub, res, nil
}

// position fills the stream position (and recovered publications) of a
// positioned subscription and sets the subscriber's tracked position.
func (s *Session) position(ctx context.Context, sub *subscriber, opts gyre.ChannelOptions, p subParams, res *protocol.SubscribeResult) error {
	n := s.node
	hopts := gyre.HistoryOptions{MetaTTL: opts.HistoryMetaTTL.D()}
	recovering := p.recover && sub.flags&flagRecoverable != 0
	res.WasRecovering = p.recover
	var (
		pubs []*gyre.Publication
		top  gyre.StreamPosition
		err  error
	)
	switch {
	case recovering && opts.ForceRecoveryMode == "cache":
		hopts.Filter = gyre.HistoryFilter{Limit: 1, Reverse: true}
		pubs, top, err = n.broker.History(ctx, sub.channel, hopts)
		if err != nil {
			n.log.Error("history failed", "channel", sub.channel, "error", err)
			return gyre.ErrInternal
		}
		res.Recovered = true
		if len(pubs) > 0 && (pubs[0].Offset != p.offset || top.Epoch != p.epoch) {
			res.Publications = []*protocol.Publication{toProtoPub(pubs[0])}
		}
	case recovering:
		hopts.Filter = gyre.HistoryFilter{Since: &gyre.StreamPosition{Offset: p.offset}, Limit: n.cfg.Client.RecoveryMaxPublicationLimit}
		pubs, top, err = n.broker.History(ctx, sub.channel, hopts)
		if err != nil {
			n.log.Error("history failed", "channel", sub.channel, "error", err)
			return gyre.ErrInternal
		}
		recovered := top.Epoch == p.epoch && ((len(pubs) == 0 && top.Offset == p.offset) ||
			(len(pubs) > 0 && pubs[0].Offset == p.offset+1 && pubs[len(pubs)-1].Offset == top.Offset))
		if !recovered && top.Epoch != p.epoch && p.rejectUnrecovered {
			return gyre.ErrUnrecoverablePosition
		}
		res.Recovered = recovered
		if recovered {
			res.Publications = make([]*protocol.Publication, len(pubs))
			for i, pub := range pubs {
				res.Publications[i] = toProtoPub(pub)
			}
			n.metrics.IncMessagesSent("recovered", len(pubs))
		}
	default:
		hopts.Filter = gyre.HistoryFilter{Limit: 0}
		_, top, err = n.broker.History(ctx, sub.channel, hopts)
		if err != nil {
			n.log.Error("history failed", "channel", sub.channel, "error", err)
			return gyre.ErrInternal
		}
	}
	res.Epoch = top.Epoch
	res.Offset = top.Offset
	if res.Recovered && opts.ForceRecoveryMode != "cache" {
		res.Offset = p.offset
	}
	sub.mu.Lock()
	sub.offset, sub.epoch = top.Offset, top.Epoch
	sub.mu.Unlock()
	return nil
}

func (s *Session) handleUnsubscribe(id uint32, req *protocol.UnsubscribeRequest) error {
	ch := req.Channel
	if ch == "" {
		return gyre.DisconnectBadRequest
	}
	s.mu.Lock()
	sub := s.subs[ch]
	if sub != nil && sub.flags&flagServerSide == 0 {
		delete(s.subs, ch)
	} else {
		sub = nil
	}
	s.mu.Unlock()
	if sub != nil {
		s.node.removeSubscriber(s, sub.channel, sub, false)
	}
	s.sendReply(&protocol.Reply{Id: id, Unsubscribe: &protocol.UnsubscribeResult{}})
	return nil
}

// removeSubscriber undoes subscribe: hub, broker, presence, leave.
func (n *Node) removeSubscriber(s *Session, ch string, sub *subscriber, disconnecting bool) {
	sub.mu.Lock()
	if sub.timer != nil {
		sub.timer.Stop()
	}
	sub.buffer = nil
	sub.mu.Unlock()
	last, removed := n.hub.removeSubscriber(ch, s)
	if !removed {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if last {
		if err := n.broker.Unsubscribe(ctx, ch); err != nil {
			n.log.Warn("broker unsubscribe failed", "channel", ch, "error", err)
		}
	}
	if sub.flags&flagPresence != 0 {
		if err := n.presence.RemovePresence(ctx, ch, s.id, s.User()); err != nil {
			n.log.Warn("remove presence failed", "channel", ch, "error", err)
		}
	}
	if sub.flags&flagJoinLeave != 0 {
		info := &gyre.ClientInfo{ClientID: s.id, UserID: s.User(), ConnInfo: s.connInfoCopy(), ChanInfo: sub.chanInfo}
		if err := n.broker.PublishLeave(ctx, ch, info); err != nil {
			n.log.Warn("publish leave failed", "channel", ch, "error", err)
		}
	}
}

func (s *Session) connInfoCopy() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connInfo
}

// unsubscribeServer removes a subscription and tells the client with an
// unsubscribe push (client-side subs) or disconnects (server-side subs).
func (s *Session) unsubscribeServer(ch string, u gyre.Unsubscribe, d gyre.Disconnect) {
	s.mu.Lock()
	sub := s.subs[ch]
	if sub == nil || s.status != statusConnected {
		s.mu.Unlock()
		return
	}
	if sub.flags&flagServerSide != 0 && d.Code != 0 {
		s.mu.Unlock()
		s.Disconnect(d)
		return
	}
	delete(s.subs, ch)
	s.mu.Unlock()
	s.node.removeSubscriber(s, ch, sub, false)
	s.sendReply(&protocol.Reply{Push: &protocol.Push{Channel: ch, Unsubscribe: &protocol.Unsubscribe{Code: u.Code, Reason: u.Reason}}})
	s.node.metrics.IncMessagesSent("unsubscribe", 1)
}

// insufficientState reacts to a gap in a positioned subscription.
func (s *Session) insufficientState(ch string) {
	s.unsubscribeServer(ch, gyre.UnsubscribeInsufficientState, gyre.DisconnectInsufficientState)
}

// scheduleExpiryLocked arms the subscription expiry check: at expiry with
// a sub_refresh proxy, after the grace delay when the client refreshes.
func (sub *subscriber) scheduleExpiryLocked() {
	if sub.timer != nil {
		sub.timer.Stop()
		sub.timer = nil
	}
	if sub.expireAt == 0 {
		return
	}
	wait := time.Until(time.Unix(sub.expireAt, 0))
	if sub.refreshProxy == nil {
		wait += sub.s.node.cfg.Client.ExpiredSubCloseDelay
	}
	s, ch := sub.s, sub.channel
	sub.timer = time.AfterFunc(max(wait, 0), func() { s.onSubExpire(ch) })
}

func (s *Session) onSubExpire(ch string) {
	s.mu.Lock()
	sub := s.subs[ch]
	s.mu.Unlock()
	if sub == nil {
		return
	}
	if sub.refreshProxy != nil {
		s.subRefreshThroughProxy(sub)
		return
	}
	sub.mu.Lock()
	exp := sub.expireAt
	sub.mu.Unlock()
	if exp == 0 || time.Now().Unix() < exp {
		return
	}
	s.unsubscribeServer(ch, gyre.UnsubscribeSubscriptionExpiry, gyre.DisconnectSubExpired)
}

// subRefreshThroughProxy asks the sub_refresh proxy to extend a subscription;
// a failed call extends it by a minute and tries again then.
func (s *Session) subRefreshThroughProxy(sub *subscriber) {
	n := s.node
	ctx, cancel := proxyCtx()
	res, err := sub.refreshProxy.ProxySubRefresh(ctx, gyre.SubRefreshProxyRequest{Client: s.proxyClient(), Channel: sub.channel})
	cancel()
	if err != nil {
		if d, ok := gyre.AsDisconnect(err); ok {
			s.Disconnect(d)
			return
		}
		n.log.Error("sub_refresh proxy failed; extending the subscription", "client", s.id, "channel", sub.channel, "error", err)
		n.metrics.IncProxyError("sub_refresh")
		sub.mu.Lock()
		sub.expireAt = time.Now().Add(proxyExtension).Unix()
		sub.scheduleExpiryLocked()
		sub.mu.Unlock()
		return
	}
	if res == nil || res.Expired {
		s.unsubscribeServer(sub.channel, gyre.UnsubscribeSubscriptionExpiry, gyre.DisconnectSubExpired)
		return
	}
	sub.mu.Lock()
	sub.expireAt = res.ExpireAt
	if res.Info != nil {
		sub.chanInfo = res.Info
	}
	sub.scheduleExpiryLocked()
	sub.mu.Unlock()
}

func (s *Session) handleSubRefresh(id uint32, req *protocol.SubRefreshRequest) error {
	n := s.node
	ch := cloneStr(req.Channel)
	if ch == "" {
		return gyre.DisconnectBadRequest
	}
	if req.Token == "" {
		return gyre.ErrBadRequest
	}
	s.mu.Lock()
	sub, user := s.subs[ch], s.user
	s.mu.Unlock()
	if sub == nil {
		return gyre.ErrPermissionDenied
	}
	if sub.refreshProxy != nil {
		return gyre.DisconnectBadRequest
	}
	if n.verifier == nil {
		return gyre.ErrPermissionDenied
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tok, err := n.verifier.VerifySubscribeToken(ctx, req.Token)
	if err != nil {
		if errors.Is(err, gyre.ErrTokenExpired) {
			return gyre.ErrTokenExpired
		}
		return gyre.ErrPermissionDenied
	}
	if tok.Channel != ch || tok.UserID != user || (tok.Client != "" && tok.Client != s.id) {
		return gyre.DisconnectInvalidToken
	}
	res := &protocol.SubRefreshResult{}
	sub.mu.Lock()
	sub.expireAt = tok.ExpireAt
	if tok.ExpireAt > 0 {
		res.Expires = true
		res.Ttl = uint32(max(tok.ExpireAt-time.Now().Unix(), 0))
	}
	sub.scheduleExpiryLocked()
	sub.mu.Unlock()
	s.sendReply(&protocol.Reply{Id: id, SubRefresh: res})
	return nil
}
