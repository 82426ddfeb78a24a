package nats

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gyrehq/gyre"
	"github.com/nats-io/nats.go"
)

// Interface guards.
var (
	_ gyre.Broker = (*Broker)(nil)
	_ gyre.Closer = (*Broker)(nil)
)

// Defaults of Config.
const (
	DefaultURL            = "nats://127.0.0.1:4222"
	DefaultPrefix         = "gyre"
	DefaultConnectTimeout = time.Second
	DefaultBufferSize     = 65536
	// flushTimeout bounds Subscribe's flush when ctx has no deadline.
	flushTimeout = 4 * time.Second
)

var (
	// ErrClosed is returned by the Broker's methods after Close.
	ErrClosed = errors.New("nats: broker closed")
	// ErrNoHistory is returned by Publish with history options, History
	// and RemoveHistory: NATS keeps no streams. It wraps
	// gyre.ErrNotAvailable (code 108). Use the Redis engine for history,
	// positioning and recovery.
	ErrNoHistory = fmt.Errorf("nats: broker keeps no history: %w", gyre.ErrNotAvailable)
	// ErrInvalidChannel is returned for channel names that are not valid
	// NATS subject tokens (whitespace, empty tokens from "..", leading or
	// trailing dots, or the wildcard tokens "*" and ">").
	ErrInvalidChannel = errors.New("nats: channel name is not a valid NATS subject")

	errNilHandler        = errors.New("nats: nil event handler")
	errHandlerRegistered = errors.New("nats: event handler already registered")
)

// DeliveryGapHandler is an optional interface of the
// gyre.BrokerEventHandler registered with a Broker, with the same meaning
// as redis.DeliveryGapHandler: after the connection to NATS was lost and
// re-established (NATS resubscribes by itself), and when NATS dropped
// messages for a slow consumer, the Broker calls HandleDeliveryGap for
// each affected channel. It must not block.
type DeliveryGapHandler interface {
	HandleDeliveryGap(channel string)
}

// Config configures a Broker. The zero value connects to
// nats://127.0.0.1:4222 with prefix "gyre".
type Config struct {
	// URL of the NATS server; several comma-separated URLs name a cluster.
	// Empty means DefaultURL.
	URL string
	// Prefix starts every subject: <prefix>.client.<channel>. Empty means
	// "gyre".
	Prefix string
	// Name is the connection name shown by the NATS server (optional).
	Name string
	// TLS, when set, is used for the connection.
	TLS *tls.Config
	// ConnectTimeout bounds the initial dial (default 1s).
	ConnectTimeout time.Duration
	// BufferSize is how many received messages may wait for the handler
	// (default 65536); past it NATS drops messages (slow consumer) and the
	// channels get a delivery gap report.
	BufferSize int
	// OnError, when set, is called with background errors. It must not
	// block. Nil discards them.
	OnError func(err error)
}

// Broker is an at-most-once gyre.Broker on NATS core PUB/SUB: it carries
// publications, joins and leaves between nodes and keeps no history.
// Publications have offset 0. It is safe for concurrent use.
type Broker struct {
	cfg     Config
	nc      *nats.Conn
	prefix  string // <Prefix>.client.
	msgs    chan *nats.Msg
	handler atomic.Pointer[handlerBox]
	closed  atomic.Bool
	once    sync.Once
	stop    chan struct{} // closed by Close
	done    chan struct{} // closed when the dispatcher returns

	mu   sync.Mutex
	subs map[string]*nats.Subscription // by channel
}

type handlerBox struct{ h gyre.BrokerEventHandler }

// NewBroker connects to NATS and starts the goroutine that hands received
// messages to the event handler. It fails when the server cannot be
// reached. NATS reconnects by itself afterwards, forever.
func NewBroker(cfg Config) (*Broker, error) {
	if cfg.URL == "" {
		cfg.URL = DefaultURL
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.BufferSize <= 0 {
		cfg.BufferSize = DefaultBufferSize
	}
	if cfg.OnError == nil {
		cfg.OnError = func(error) {}
	}
	b := &Broker{
		cfg:    cfg,
		prefix: cfg.Prefix + ".client.",
		msgs:   make(chan *nats.Msg, cfg.BufferSize),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
		subs:   make(map[string]*nats.Subscription),
	}
	opts := []nats.Option{
		nats.Name(cfg.Name),
		nats.Timeout(cfg.ConnectTimeout),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.ReconnectJitter(100*time.Millisecond, time.Second),
		nats.ReconnectHandler(func(*nats.Conn) { b.reportGap(b.channels()) }),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				cfg.OnError(fmt.Errorf("nats: disconnected: %w", err))
			}
		}),
		nats.ErrorHandler(b.asyncError),
	}
	if cfg.TLS != nil {
		opts = append(opts, nats.Secure(cfg.TLS))
	}
	nc, err := nats.Connect(cfg.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("nats: connect %s: %w", cfg.URL, err)
	}
	b.nc = nc
	go b.dispatch()
	return b, nil
}

// RegisterEventHandler sets the handler that receives every publication,
// join and leave. It may be called once. If h also implements
// DeliveryGapHandler it is told about possibly lost deliveries.
func (b *Broker) RegisterEventHandler(h gyre.BrokerEventHandler) error {
	if h == nil {
		return errNilHandler
	}
	if !b.handler.CompareAndSwap(nil, &handlerBox{h: h}) {
		return errHandlerRegistered
	}
	return nil
}

// Subscribe subscribes to the channel's subject and returns once the
// server processed the subscription (a flush round trip).
func (b *Broker) Subscribe(ctx context.Context, channel string) error {
	subject, err := b.subject(ctx, channel)
	if err != nil {
		return err
	}
	b.mu.Lock()
	if _, ok := b.subs[channel]; !ok {
		sub, err := b.nc.ChanSubscribe(subject, b.msgs)
		if err != nil {
			b.mu.Unlock()
			return fmt.Errorf("nats: subscribe %q: %w", channel, err)
		}
		_ = sub.SetPendingLimits(-1, -1)
		b.subs[channel] = sub
	}
	b.mu.Unlock()
	if _, ok := ctx.Deadline(); !ok {
		// NATS needs a deadline for a flush.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, flushTimeout)
		defer cancel()
	}
	if err := b.nc.FlushWithContext(ctx); err != nil {
		return fmt.Errorf("nats: subscribe %q: %w", channel, err)
	}
	return nil
}

// Unsubscribe unsubscribes from the channel's subject.
func (b *Broker) Unsubscribe(ctx context.Context, channel string) error {
	if err := b.usable(ctx); err != nil {
		return err
	}
	b.mu.Lock()
	sub := b.subs[channel]
	delete(b.subs, channel)
	b.mu.Unlock()
	if sub == nil {
		return nil
	}
	if err := sub.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		return fmt.Errorf("nats: unsubscribe %q: %w", channel, err)
	}
	return nil
}

// Publish sends the publication to the channel's subscribers on every
// node, at most once, with offset 0 and a zero position. Publishing with
// history (HistorySize and HistoryTTL > 0) returns ErrNoHistory.
// IdempotencyKey is ignored: NATS core keeps no state to deduplicate with.
func (b *Broker) Publish(ctx context.Context, channel string, data []byte, opts gyre.PublishOptions) (gyre.StreamPosition, bool, error) {
	if opts.HistorySize > 0 && opts.HistoryTTL > 0 {
		return gyre.StreamPosition{}, false, ErrNoHistory
	}
	subject, err := b.subject(ctx, channel)
	if err != nil {
		return gyre.StreamPosition{}, false, err
	}
	payload := encodePublication(data, &opts, time.Now().UnixMilli())
	msg := make([]byte, 0, len("__p1:0:__")+len(payload))
	msg = append(append(msg, "__p1:0:__"...), payload...)
	if err := b.nc.Publish(subject, msg); err != nil {
		return gyre.StreamPosition{}, false, fmt.Errorf("nats: publish %q: %w", channel, err)
	}
	return gyre.StreamPosition{}, false, nil
}

// PublishJoin delivers a join event to the channel's subscribers.
func (b *Broker) PublishJoin(ctx context.Context, channel string, info *gyre.ClientInfo) error {
	return b.publishInfo(ctx, channel, joinPrefix, info)
}

// PublishLeave delivers a leave event to the channel's subscribers.
func (b *Broker) PublishLeave(ctx context.Context, channel string, info *gyre.ClientInfo) error {
	return b.publishInfo(ctx, channel, leavePrefix, info)
}

func (b *Broker) publishInfo(ctx context.Context, channel, prefix string, info *gyre.ClientInfo) error {
	subject, err := b.subject(ctx, channel)
	if err != nil {
		return err
	}
	if info == nil {
		info = &gyre.ClientInfo{}
	}
	if err := b.nc.Publish(subject, encodeClientInfo(prefix, info)); err != nil {
		return fmt.Errorf("nats: publish %s %q: %w", strings.Trim(prefix, "_"), channel, err)
	}
	return nil
}

// History returns ErrNoHistory: NATS keeps no streams.
func (b *Broker) History(ctx context.Context, channel string, opts gyre.HistoryOptions) ([]*gyre.Publication, gyre.StreamPosition, error) {
	return nil, gyre.StreamPosition{}, ErrNoHistory
}

// RemoveHistory returns ErrNoHistory: NATS keeps no streams.
func (b *Broker) RemoveHistory(ctx context.Context, channel string) error {
	return ErrNoHistory
}

// Close closes the connection and waits for the dispatching goroutine, or
// for ctx. Afterwards every method returns ErrClosed. Close may be called
// more than once.
func (b *Broker) Close(ctx context.Context) error {
	b.closed.Store(true)
	b.once.Do(func() {
		b.nc.Close()
		// msgs stays open: NATS's reader may still hold a message for it.
		close(b.stop)
	})
	select {
	case <-b.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// dispatch hands received messages to the handler in arrival order, so
// one channel's events keep the order in which they were published from
// one connection.
func (b *Broker) dispatch() {
	defer close(b.done)
	for {
		var m *nats.Msg
		select {
		case m = <-b.msgs:
		case <-b.stop:
			return
		}
		channel, ok := strings.CutPrefix(m.Subject, b.prefix)
		hb := b.handler.Load()
		if !ok || hb == nil {
			continue
		}
		msg, err := decodeMessage(string(m.Data))
		if err != nil {
			b.cfg.OnError(fmt.Errorf("nats: message in %q: %w", channel, err))
			continue
		}
		switch msg.Kind {
		case 'p':
			err = hb.h.HandlePublication(channel, msg.Pub, msg.SP)
		case 'j':
			err = hb.h.HandleJoin(channel, msg.Info)
		case 'l':
			err = hb.h.HandleLeave(channel, msg.Info)
		}
		if err != nil {
			b.cfg.OnError(fmt.Errorf("nats: handler for %q: %w", channel, err))
		}
	}
}

// asyncError handles NATS's asynchronous errors: a slow consumer lost
// messages of the subscription's channel.
func (b *Broker) asyncError(_ *nats.Conn, sub *nats.Subscription, err error) {
	b.cfg.OnError(fmt.Errorf("nats: %w", err))
	if sub != nil && errors.Is(err, nats.ErrSlowConsumer) {
		if ch, ok := strings.CutPrefix(sub.Subject, b.prefix); ok {
			b.reportGap([]string{ch})
		}
	}
}

// reportGap tells the handler, if it wants to know, that the channels'
// deliveries may have been lost.
func (b *Broker) reportGap(channels []string) {
	hb := b.handler.Load()
	if hb == nil || b.closed.Load() {
		return
	}
	if g, ok := hb.h.(DeliveryGapHandler); ok {
		for _, ch := range channels {
			g.HandleDeliveryGap(ch)
		}
	}
}

// channels returns the subscribed channels.
func (b *Broker) channels() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]string, 0, len(b.subs))
	for ch := range b.subs {
		out = append(out, ch)
	}
	return out
}

// subject returns the channel's subject when the broker is usable and the
// channel is a valid subject.
func (b *Broker) subject(ctx context.Context, channel string) (string, error) {
	if err := b.usable(ctx); err != nil {
		return "", err
	}
	if !validChannel(channel) {
		return "", fmt.Errorf("%w: %q", ErrInvalidChannel, channel)
	}
	return b.prefix + channel, nil
}

// validChannel reports whether channel can follow "<prefix>.client." in a
// NATS subject without changing its meaning.
func validChannel(channel string) bool {
	if channel == "" || strings.ContainsAny(channel, " \t\r\n") {
		return false
	}
	for tok := range strings.SplitSeq(channel, ".") {
		if tok == "" || tok == "*" || tok == ">" {
			return false
		}
	}
	return true
}

func (b *Broker) usable(ctx context.Context) error {
	if b.closed.Load() {
		return ErrClosed
	}
	return ctx.Err()
}
