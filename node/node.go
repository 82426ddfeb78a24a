package node

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"github.com/centrifugal/protocol"
	"github.com/gyrehq/gyre"
)

// ErrShuttingDown is returned by NewSession once Shutdown has begun.
var ErrShuttingDown = errors.New("node is shutting down")

// Node is the engine. Create it with New; it is safe for concurrent use.
type Node struct {
	cfg      Config
	log      *slog.Logger
	metrics  Metrics
	rules    *channelRules
	broker   gyre.Broker
	presence gyre.PresenceManager
	verifier gyre.TokenVerifier
	hub      hub
	uid      string
	started  time.Time

	cluster cluster
	wheel   *wheel // stale closes, pings and pong deadlines of every session
	writers []batchWriter

	sessMu   sync.Mutex
	sessions map[*Session]struct{}
	closing  bool
	drained  chan struct{} // closed when closing and no sessions remain
}

// New builds a node and registers it as the broker's event handler.
func New(cfg Config) (*Node, error) {
	cfg.setDefaults()
	if cfg.Broker == nil || cfg.Presence == nil {
		return nil, errors.New("node: Broker and Presence are required")
	}
	rules, err := newChannelRules(cfg.Channels)
	if err != nil {
		return nil, fmt.Errorf("node: channel rules: %w", err)
	}
	n := &Node{
		cfg:      cfg,
		log:      cfg.Logger,
		metrics:  cfg.Metrics,
		rules:    rules,
		broker:   cfg.Broker,
		presence: cfg.Presence,
		verifier: cfg.TokenVerifier,
		uid:      newUUID(),
		started:  time.Now(),
		sessions: map[*Session]struct{}{},
		drained:  make(chan struct{}),
	}
	n.wheel = newSessionWheel(cfg.Client)
	n.writers = make([]batchWriter, runtime.GOMAXPROCS(0))
	if err := n.broker.RegisterEventHandler(brokerHandler{n}); err != nil {
		return nil, fmt.Errorf("node: register broker handler: %w", err)
	}
	if err := n.startControl(); err != nil {
		return nil, fmt.Errorf("node: subscribe to the control channel: %w", err)
	}
	return n, nil
}

// UID returns the node's unique ID.
func (n *Node) UID() string { return n.uid }

// Name returns the node's name.
func (n *Node) Name() string { return n.cfg.Name }

// Version returns the version string sent to clients.
func (n *Node) Version() string { return n.cfg.Version }

// NewSession creates a session for a new connection. The session closes
// itself with 3502 (stale) unless it connects within the stale delay.
func (n *Node) NewSession(t Transport, ci ConnInfo) (*Session, error) {
	s := &Session{node: n, transport: t, conn: ci, id: newUUID(), wheel: wheelEntry{slot: -1}}
	if tw, ok := t.(TryWriter); ok && tw.CanTryWrite() {
		s.tw = tw
		s.writer = rand.Uint32()
	}
	if rl := n.cfg.Client.CommandRateLimit; rl > 0 {
		s.limiter = newRateLimiter(rl, n.cfg.Client.CommandRateLimitBurst)
	}
	n.sessMu.Lock()
	if n.closing {
		n.sessMu.Unlock()
		return nil, ErrShuttingDown
	}
	n.sessions[s] = struct{}{}
	n.sessMu.Unlock()
	if d := n.cfg.Client.StaleCloseDelay; d > 0 {
		s.mu.Lock()
		n.wheel.schedule(s, phaseStale, d)
		s.mu.Unlock()
	}
	return s, nil
}

func (n *Node) sessionDone(s *Session) {
	n.sessMu.Lock()
	delete(n.sessions, s)
	if n.closing && len(n.sessions) == 0 {
		select {
		case <-n.drained:
		default:
			close(n.drained)
		}
	}
	n.sessMu.Unlock()
}

// Shutdown stops accepting sessions, disconnects every client with 3001
// (shutdown, reconnect) and waits until all sessions ended or ctx is done.
func (n *Node) Shutdown(ctx context.Context) error {
	n.sessMu.Lock()
	n.closing = true
	all := make([]*Session, 0, len(n.sessions))
	for s := range n.sessions {
		all = append(all, s)
	}
	if len(n.sessions) == 0 {
		select {
		case <-n.drained:
		default:
			close(n.drained)
		}
	}
	n.sessMu.Unlock()
	n.stopControl()
	// Disconnect in parallel: a session may wait up to the write timeout
	// for an in-flight write to a slow client.
	var wg sync.WaitGroup
	for _, s := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Disconnect(gyre.DisconnectShutdown)
		}()
	}
	wg.Wait()
	select {
	case <-n.drained:
	case <-ctx.Done():
		return ctx.Err()
	}
	if c, ok := n.broker.(gyre.Closer); ok {
		if err := c.Close(ctx); err != nil {
			return err
		}
	}
	if c, ok := n.presence.(gyre.Closer); ok {
		return c.Close(ctx)
	}
	return nil
}

// Stats are the node's gauges.
type Stats struct {
	Clients       int
	Users         int
	Channels      int
	Subscriptions int
}

// Stats returns current counts.
func (n *Node) Stats() Stats {
	users, conns := n.hub.userTotals()
	chs, subs := n.hub.counts()
	return Stats{Clients: conns, Users: users, Channels: chs, Subscriptions: subs}
}

// Uptime returns how long the node has run.
func (n *Node) Uptime() time.Duration { return time.Since(n.started) }

// brokerHandler receives broker deliveries and fans them out.
type brokerHandler struct{ n *Node }

func (h brokerHandler) HandlePublication(ch string, pub *gyre.Publication, sp gyre.StreamPosition) error {
	if ch == controlChannel {
		h.n.handleControl(pub.Data)
		return nil
	}
	ev := event{pub: pub, sp: sp}
	enc := &encodedOnce{build: func() *protocol.Reply { return pushReply(ch, ev) }}
	h.n.fanout(ch, ev, enc)
	return nil
}

func (h brokerHandler) HandleJoin(ch string, info *gyre.ClientInfo) error {
	ev := event{join: info}
	enc := &encodedOnce{build: func() *protocol.Reply { return pushReply(ch, ev) }}
	h.n.fanout(ch, ev, enc)
	return nil
}

func (h brokerHandler) HandleLeave(ch string, info *gyre.ClientInfo) error {
	ev := event{leave: info}
	enc := &encodedOnce{build: func() *protocol.Reply { return pushReply(ch, ev) }}
	h.n.fanout(ch, ev, enc)
	return nil
}

// fanout delivers ev to every local subscriber of ch. Connections whose
// queue was idle are written after the hub walk (no locks held) with
// non-blocking writes: by this goroutine for a few of them, otherwise by the
// node's writers (see writers).
func (n *Node) fanout(ch string, ev event, enc *encodedOnce) {
	fb := getFlushBatch()
	n.hub.eachSubscriber(ch, func(sub *subscriber) { sub.deliver(ev, enc, fb) })
	fb.run(n)
}

// newUUID returns a random (version 4) UUID string.
func newUUID() string {
	var b [16]byte
	_, _ = crand.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// jitter returns a duration between d/2 and d.
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2)
}

// NumSessions returns the number of open sessions (connected or not).
func (n *Node) NumSessions() int {
	n.sessMu.Lock()
	defer n.sessMu.Unlock()
	return len(n.sessions)
}

// PushEncodes returns how many times pushes were encoded since start: one
// per fan-out and protocol in use, independent of the number of subscribers.
func PushEncodes() uint64 { return pushEncodes.Load() }

// HandleDeliveryGap is called by brokers (Redis, NATS) after their
// connection was lost and restored: publications of the channel may have
// been missed. Positioned subscribers are told (unsubscribe 2500 for
// client-side subscriptions, so the SDK resubscribes and recovers; 3010 for
// server-side ones); others cannot know what they missed.
func (h brokerHandler) HandleDeliveryGap(ch string) {
	var affected []*Session
	h.n.hub.eachSubscriber(ch, func(sub *subscriber) {
		if sub.flags&flagPositioned != 0 {
			affected = append(affected, sub.s)
		}
	})
	for _, s := range affected {
		go s.insufficientState(ch)
	}
}
