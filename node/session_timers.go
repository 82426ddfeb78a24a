package node

import (
	"context"

	"github.com/centrifugal/protocol"
	"time"

	"github.com/gyrehq/gyre"
)

// pingReply is the server ping: an empty reply.
var (
	pingJSON     = []byte("{}")
	pingProtobuf = []byte{}
)

// onWheel runs a session's duty from the node's wheel: the stale close
// before connect, then server pings and pong deadlines.
func (s *Session) onWheel(phase wheelPhase) {
	cfg := s.node.cfg.Client
	s.mu.Lock()
	st := s.status
	switch {
	case st == statusClosed:
		s.mu.Unlock()
	case phase == phaseStale:
		s.mu.Unlock()
		if st == statusConnecting {
			go s.Disconnect(gyre.DisconnectStale)
		}
	case st != statusConnected:
		s.mu.Unlock()
	case phase == phasePong:
		if s.awaitingPong {
			s.mu.Unlock()
			go s.Disconnect(gyre.DisconnectNoPong)
			return
		}
		// The next ping is due one interval after the last one.
		s.node.wheel.schedule(s, phasePing, cfg.PingInterval-time.Since(s.pingAt))
		s.mu.Unlock()
	case phase == phasePing:
		s.awaitingPong = true
		s.pingAt = time.Now()
		if cfg.PongTimeout > 0 {
			s.node.wheel.schedule(s, phasePong, cfg.PongTimeout)
		} else {
			s.node.wheel.schedule(s, phasePing, cfg.PingInterval)
		}
		s.mu.Unlock()
		if s.transport.Protocol() == protocol.TypeJSON {
			s.enqueue(pingJSON)
		} else {
			s.enqueue(pingProtobuf)
		}
	default:
		s.mu.Unlock()
	}
}

// startPingLocked arms the first ping at a random point between half the
// interval and the full interval, so reconnect storms do not synchronise.
func (s *Session) startPingLocked() {
	if s.node.cfg.Client.PingInterval <= 0 {
		s.node.wheel.remove(s)
		return
	}
	s.node.wheel.schedule(s, phasePing, jitter(s.node.cfg.Client.PingInterval))
}

// handlePong accepts a client pong (an empty command). The next ping is
// already on the wheel: a pong only clears the deadline.
func (s *Session) handlePong() bool {
	cfg := s.node.cfg.Client
	s.mu.Lock()
	if !s.awaitingPong {
		s.mu.Unlock()
		if cfg.PongTimeout > 0 {
			s.node.log.Debug("unnecessary pong", "client", s.id)
			s.Disconnect(gyre.DisconnectBadRequest)
			return false
		}
		return true
	}
	s.awaitingPong = false
	s.mu.Unlock()
	return true
}

// scheduleExpiryLocked arms the connection expiry check.
func (s *Session) scheduleExpiryLocked() {
	if s.expireTimer != nil {
		s.expireTimer.Stop()
		s.expireTimer = nil
	}
	if s.expireAt == 0 || s.node.cfg.Client.Insecure {
		return
	}
	wait := time.Until(time.Unix(s.expireAt, 0))
	if s.node.cfg.Proxies.Refresh == nil {
		// The client refreshes itself; it gets a grace period.
		wait += s.node.cfg.Client.ExpiredCloseDelay
	}
	s.expireTimer = time.AfterFunc(max(wait, 0), s.onExpire)
}

func (s *Session) onExpire() {
	s.mu.Lock()
	if s.status != statusConnected {
		s.mu.Unlock()
		return
	}
	if s.node.cfg.Proxies.Refresh != nil {
		s.mu.Unlock()
		s.refreshThroughProxy()
		return
	}
	if s.expireAt > 0 && time.Now().Unix() >= s.expireAt {
		s.mu.Unlock()
		s.Disconnect(gyre.DisconnectExpired)
		return
	}
	s.scheduleExpiryLocked()
	s.mu.Unlock()
}

// schedulePresenceLocked arms the periodic presence refresh when the session
// has subscriptions with presence.
func (s *Session) schedulePresenceLocked() {
	if s.presenceTimer == nil {
		s.presenceTimer = time.AfterFunc(s.node.cfg.Client.PresenceUpdateInterval, s.onPresenceTimer)
	}
}

func (s *Session) onPresenceTimer() {
	s.mu.Lock()
	if s.status != statusConnected {
		s.mu.Unlock()
		return
	}
	var chans []*subscriber
	for _, sub := range s.subs {
		if sub.flags&flagPresence != 0 {
			chans = append(chans, sub)
		}
	}
	s.presenceTimer.Reset(s.node.cfg.Client.PresenceUpdateInterval)
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, sub := range chans {
		if err := s.node.presence.AddPresence(ctx, sub.channel, s.clientInfo(sub.chanInfo)); err != nil {
			s.node.log.Warn("presence update failed", "channel", sub.channel, "error", err)
		}
	}
}

// clientInfo returns the session's ClientInfo with channel info.
func (s *Session) clientInfo(chanInfo []byte) *gyre.ClientInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &gyre.ClientInfo{ClientID: s.id, UserID: s.user, ConnInfo: s.connInfo, ChanInfo: chanInfo}
}

// refreshThroughProxy asks the refresh proxy to extend an expiring
// connection: expired (or no result) disconnects with 3005; a failed call
// extends the connection by a minute and tries again then.
func (s *Session) refreshThroughProxy() {
	n := s.node
	ctx, cancel := proxyCtx()
	res, err := n.cfg.Proxies.Refresh.ProxyRefresh(ctx, gyre.RefreshProxyRequest{Client: s.proxyClient()})
	cancel()
	s.mu.Lock()
	if s.status != statusConnected {
		s.mu.Unlock()
		return
	}
	if err != nil {
		if d, ok := gyre.AsDisconnect(err); ok {
			s.mu.Unlock()
			s.Disconnect(d)
			return
		}
		n.log.Error("refresh proxy failed; extending the connection", "client", s.id, "error", err)
		n.metrics.IncProxyError("refresh")
		s.expireAt = time.Now().Add(proxyExtension).Unix()
		s.scheduleExpiryLocked()
		s.mu.Unlock()
		return
	}
	if res == nil || res.Expired {
		s.mu.Unlock()
		s.Disconnect(gyre.DisconnectExpired)
		return
	}
	s.expireAt = res.ExpireAt
	if res.Info != nil {
		s.connInfo = res.Info
	}
	if res.Meta != nil {
		s.meta = res.Meta
	}
	s.scheduleExpiryLocked()
	s.mu.Unlock()
}

// schedulePositionLocked arms the periodic position check when the session
// has a positioned subscription.
func (s *Session) schedulePositionLocked() {
	if s.positionTimer == nil {
		s.positionTimer = time.AfterFunc(jitter(s.node.cfg.Client.ChannelPositionCheckDelay), s.onPositionTimer)
	}
}

// onPositionTimer compares every positioned subscription's tracked position
// with its stream top: a different epoch, or a top that stays ahead of the
// tracked offset across two checks, means publications were lost.
func (s *Session) onPositionTimer() {
	s.mu.Lock()
	if s.status != statusConnected {
		s.mu.Unlock()
		return
	}
	var subs []*subscriber
	for _, sub := range s.subs {
		if sub.flags&flagPositioned != 0 {
			subs = append(subs, sub)
		}
	}
	s.positionTimer.Reset(s.node.cfg.Client.ChannelPositionCheckDelay)
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, sub := range subs {
		_, top, err := s.node.broker.History(ctx, sub.channel, gyre.HistoryOptions{MetaTTL: sub.metaTTL})
		if err != nil {
			s.node.log.Warn("position check failed", "channel", sub.channel, "error", err)
			continue
		}
		sub.mu.Lock()
		lost := false
		switch {
		case sub.buffering:
		case top.Epoch != sub.epoch:
			lost = true
		case sub.suspect > 0 && sub.offset < sub.suspect:
			lost = true
		case top.Offset > sub.offset:
			sub.suspect = top.Offset
		default:
			sub.suspect = 0
		}
		sub.mu.Unlock()
		if lost {
			s.insufficientState(sub.channel)
		}
	}
}
