package node

import (
	"errors"
	"io"
	"sync"
	"time"

	"github.com/centrifugal/protocol"
	"github.com/gyrehq/gyre"
)

type status uint8

const (
	statusConnecting status = iota
	statusConnected
	statusClosed
)

// Session is one client connection. Create it with Node.NewSession; feed it
// frames with HandleFrame; tell it the connection ended with Closed.
type Session struct {
	node      *Node
	transport Transport
	conn      ConnInfo
	id        string
	w         writer
	tw        TryWriter // the transport, when it can write without waiting
	writer    uint32    // which of the node's batch writers serves the session

	mu            sync.Mutex
	status        status
	connectFailed bool
	user          string
	connInfo      []byte
	meta          []byte
	expireAt      int64 // Unix seconds; 0 = never
	tokenChannels map[string]struct{}
	subs          map[string]*subscriber
	wheel         wheelEntry // stale close, then pings and pong deadlines (node.wheel)
	awaitingPong  bool
	pingAt        time.Time // when the last ping was queued
	expireTimer   *time.Timer
	presenceTimer *time.Timer
	positionTimer *time.Timer
	limiter       *rateLimiter // nil when client.command_rate_limit is off
}

// ID returns the client ID.
func (s *Session) ID() string { return s.id }

// User returns the user ID ("" for anonymous or before connect).
func (s *Session) User() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.user
}

// HandleFrame decodes and handles every command in a frame. It returns
// false when the session is closed and the transport should stop reading.
// The frame may be reused by the caller after HandleFrame returns.
func (s *Session) HandleFrame(frame []byte) bool {
	if s.isClosed() {
		return false
	}
	proto := s.transport.Protocol()
	if len(frame) == 0 {
		s.Disconnect(gyre.DisconnectBadRequest)
		return false
	}
	dec := protocol.GetCommandDecoder(proto, frame)
	defer protocol.PutCommandDecoder(proto, dec)
	corked := false
	defer func() {
		if corked {
			s.uncork()
		} else {
			s.releaseHeld()
		}
	}()
	for {
		cmd, err := dec.Decode()
		if cmd != nil {
			if err == nil && !corked {
				// More commands follow in this frame (an SDK's connect with
				// its subscribes): their replies go out in one write.
				corked = true
				s.cork()
			}
			if !s.handleCommand(cmd) {
				return false
			}
		}
		if err != nil {
			// A command comes back together with io.EOF at the end of a
			// frame; io.EOF alone means the decoder could not read a
			// length prefix (a malformed Protobuf frame).
			if errors.Is(err, io.EOF) && cmd != nil {
				return !s.isClosed()
			}
			s.node.log.Debug("malformed client frame", "client", s.id, "error", err)
			s.Disconnect(gyre.DisconnectBadRequest)
			return false
		}
	}
}

func (s *Session) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status == statusClosed
}

// handleCommand dispatches one command; it returns false when the session
// was closed.
func (s *Session) handleCommand(cmd *protocol.Command) bool {
	s.mu.Lock()
	st, failed := s.status, s.connectFailed
	s.mu.Unlock()
	if st == statusClosed {
		return false
	}
	if cmd.Id == 0 && cmd.Send == nil {
		if st != statusConnected {
			s.Disconnect(gyre.DisconnectBadRequest)
			return false
		}
		return s.handlePong()
	}
	if failed || (st == statusConnecting && cmd.Connect == nil) || (st == statusConnected && cmd.Connect != nil) {
		s.Disconnect(gyre.DisconnectBadRequest)
		return false
	}
	if s.limiter != nil && !s.limiter.allow(time.Now()) {
		if s.limiter.rejected > s.limiter.patience() {
			s.Disconnect(gyre.DisconnectTooManyRequests)
			return false
		}
		if cmd.Id > 0 {
			e := gyre.ErrTooManyRequests
			s.node.metrics.IncReplyError("rate_limit", e.Code)
			s.sendReply(&protocol.Reply{Id: cmd.Id, Error: &protocol.Error{Code: e.Code, Message: e.Message, Temporary: e.Temporary}})
		}
		return true
	}
	start := time.Now()
	method, err := s.dispatch(cmd)
	s.node.metrics.IncMessagesReceived(method)
	s.node.metrics.ObserveCommand(method, time.Since(start))
	if err != nil {
		if d, ok := gyre.AsDisconnect(err); ok {
			s.Disconnect(d)
			return false
		}
		e := gyre.AsError(err)
		if e == gyre.ErrInternal && !errors.Is(err, gyre.ErrInternal) {
			s.node.log.Error("client command failed", "method", method, "client", s.id, "error", err)
		}
		s.node.metrics.IncReplyError(method, e.Code)
		if cmd.Id > 0 {
			s.sendReply(&protocol.Reply{Id: cmd.Id, Error: &protocol.Error{Code: e.Code, Message: e.Message, Temporary: e.Temporary}})
		}
		if cmd.Connect != nil {
			s.mu.Lock()
			s.connectFailed = true
			s.mu.Unlock()
		}
	}
	return !s.isClosed()
}

// dispatch runs the command's handler. Handlers send their own successful
// replies and return an error (gyre.Error or gyre.Disconnect) otherwise.
func (s *Session) dispatch(cmd *protocol.Command) (string, error) {
	switch {
	case cmd.Connect != nil:
		return "connect", s.handleConnect(cmd.Id, cmd.Connect)
	case cmd.Subscribe != nil:
		return "subscribe", s.handleSubscribe(cmd.Id, cmd.Subscribe)
	case cmd.Unsubscribe != nil:
		return "unsubscribe", s.handleUnsubscribe(cmd.Id, cmd.Unsubscribe)
	case cmd.Publish != nil:
		return "publish", s.handlePublish(cmd.Id, cmd.Publish)
	case cmd.Presence != nil:
		return "presence", s.handlePresence(cmd.Id, cmd.Presence)
	case cmd.PresenceStats != nil:
		return "presence_stats", s.handlePresenceStats(cmd.Id, cmd.PresenceStats)
	case cmd.History != nil:
		return "history", s.handleHistory(cmd.Id, cmd.History)
	case cmd.Rpc != nil:
		return "rpc", s.handleRPC(cmd.Id, cmd.Rpc)
	case cmd.Send != nil:
		return "send", gyre.DisconnectNotAvailable
	case cmd.Refresh != nil:
		return "refresh", s.handleRefresh(cmd.Id, cmd.Refresh)
	case cmd.SubRefresh != nil:
		return "sub_refresh", s.handleSubRefresh(cmd.Id, cmd.SubRefresh)
	}
	return "unknown", gyre.DisconnectBadRequest
}

// sendReply encodes a reply in the session's protocol and queues it.
func (s *Session) sendReply(r *protocol.Reply) {
	data, err := protocol.GetReplyEncoder(s.transport.Protocol()).Encode(r)
	if err != nil {
		// Only invalid raw JSON can fail: binary data for a JSON client.
		go s.Disconnect(gyre.DisconnectInappropriateProtocol)
		return
	}
	s.node.metrics.IncMessagesSent("reply", 1)
	if r.Id != 0 {
		s.enqueueReply(data) // a command reply, on the reader
	} else {
		s.enqueue(data)
	}
}

// Disconnect closes the session with d: the transport sends it (in the
// WebSocket close frame) and the session's state is cleaned up.
func (s *Session) Disconnect(d gyre.Disconnect) {
	s.closeWith(d, true)
}

// Closed tells the session that its connection ended (read error or the
// peer closed). It is safe to call more than once.
func (s *Session) Closed() {
	s.closeWith(gyre.DisconnectConnectionClosed, false)
}

func (s *Session) closeWith(d gyre.Disconnect, sendClose bool) {
	s.mu.Lock()
	if s.status == statusClosed {
		s.mu.Unlock()
		return
	}
	wasConnected := s.status == statusConnected
	s.status = statusClosed
	s.node.wheel.remove(s)
	if s.expireTimer != nil {
		s.expireTimer.Stop()
	}
	if s.presenceTimer != nil {
		s.presenceTimer.Stop()
	}
	if s.positionTimer != nil {
		s.positionTimer.Stop()
	}
	subs := s.subs
	s.subs = nil
	user := s.user
	s.mu.Unlock()

	// Queued replies reach the client before the close frame, except when
	// the client is too slow or its connection failed.
	s.closeWriter(sendClose && d.Code != gyre.DisconnectSlow.Code && d.Code != gyre.DisconnectWriteError.Code)
	if sendClose {
		s.node.metrics.IncDisconnect(d.Code)
		_ = s.transport.Close(d)
	} else {
		_ = s.transport.Close(gyre.DisconnectConnectionClosed)
	}
	for ch, sub := range subs {
		s.node.removeSubscriber(s, ch, sub, true)
	}
	if wasConnected {
		s.node.hub.removeSession(s, user)
	}
	s.node.sessionDone(s)
}
