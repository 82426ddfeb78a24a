package redis

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/broker/internal/wire"
	"github.com/redis/rueidis"
)

// Interface guards.
var (
	_ gyre.Broker = (*Broker)(nil)
	_ gyre.Closer = (*Broker)(nil)
)

var (
	// ErrClosed is returned by the Broker's and PresenceManager's methods
	// after Close.
	ErrClosed = errors.New("redis: closed")

	errNilHandler        = errors.New("redis: nil event handler")
	errHandlerRegistered = errors.New("redis: event handler already registered")
)

// DeliveryGapHandler is an optional interface of the
// gyre.BrokerEventHandler registered with a Broker. When the PUB/SUB
// connection of a shard was lost and re-established, the Broker
// resubscribes every channel and then calls HandleDeliveryGap for each of
// them: publications, joins and leaves sent while the connection was down
// were not delivered to this node. A node reacts by re-checking the stream
// top of positioned and recovering subscribers (which then resubscribe
// and recover from history) and by treating the channel's other
// subscribers as possibly behind. HandleDeliveryGap is called from the
// Broker's goroutine and must not block.
type DeliveryGapHandler interface {
	HandleDeliveryGap(channel string)
}

// Broker is a gyre.Broker on Redis: streams with offsets and epochs kept in
// Redis, delivery between nodes over Redis PUB/SUB. Create it with
// NewBroker and stop it with Close. It is safe for concurrent use.
type Broker struct {
	cfg     Config
	shards  []*shard
	pubsubs []*pubSub
	handler atomic.Pointer[handlerBox]
	closed  atomic.Bool
	once    sync.Once
}

// handlerBox lets an interface value live in an atomic.Pointer.
type handlerBox struct{ h gyre.BrokerEventHandler }

// NewBroker connects to every shard of cfg and starts one PUB/SUB
// goroutine per shard. It fails when a shard's address is invalid or the
// shard cannot be reached. Call Close to release everything.
func NewBroker(cfg Config) (*Broker, error) {
	cfg = cfg.withDefaults()
	shards, err := newShards(cfg)
	if err != nil {
		return nil, err
	}
	b := &Broker{cfg: cfg, shards: shards}
	for _, s := range shards {
		p := newPubSub(s, b.messageHandler(s), b.reportGap, cfg.OnError)
		b.pubsubs = append(b.pubsubs, p)
		go p.run()
	}
	return b, nil
}

// RegisterEventHandler sets the handler that receives every publication,
// join and leave of the channels this node subscribed to. It may be called
// once. If h also implements DeliveryGapHandler it is told about possibly
// lost deliveries.
func (b *Broker) RegisterEventHandler(h gyre.BrokerEventHandler) error {
	if h == nil {
		return errNilHandler
	}
	if !b.handler.CompareAndSwap(nil, &handlerBox{h: h}) {
		return errHandlerRegistered
	}
	return nil
}

// Subscribe subscribes this node to the channel's PUB/SUB channel on its
// shard and returns once Redis confirmed it. While the shard's PUB/SUB
// connection is being re-established it waits, bounded by ctx.
func (b *Broker) Subscribe(ctx context.Context, channel string) error {
	if err := b.usable(ctx); err != nil {
		return err
	}
	i := b.shardIndex(channel)
	return b.pubsubs[i].subscribe(ctx, b.shards[i].keys.pubsub(channel))
}

// Unsubscribe unsubscribes this node from the channel.
func (b *Broker) Unsubscribe(ctx context.Context, channel string) error {
	if err := b.usable(ctx); err != nil {
		return err
	}
	i := b.shardIndex(channel)
	return b.pubsubs[i].unsubscribe(ctx, b.shards[i].keys.pubsub(channel))
}

// Publish runs one Lua script on the channel's shard that, atomically:
// returns the cached result of an earlier publish with the same
// IdempotencyKey (suppressed=true); otherwise appends the publication to
// the stream when opts enable history (XADD with the offset as entry ID,
// MAXLEN HistorySize, PEXPIRE HistoryTTL; the meta's offset is HINCRBY'd
// and its epoch created on first use; the meta lives max(HistoryMetaTTL,
// HistoryTTL)), PUBLISHes it with its offset and epoch, and caches the
// result under the idempotency key for IdempotentResultTTL (zero means 5
// minutes). Handlers on every subscribed node, this one included, receive
// the publication asynchronously from PUB/SUB.
func (b *Broker) Publish(ctx context.Context, channel string, data []byte, opts gyre.PublishOptions) (gyre.StreamPosition, bool, error) {
	if err := b.usable(ctx); err != nil {
		return gyre.StreamPosition{}, false, err
	}
	s := b.shardFor(channel)
	payload := encodePublication(data, &opts, time.Now().UnixMilli())
	size, histTTL, metaTTL := "0", "0", "0"
	if opts.HistorySize > 0 && opts.HistoryTTL > 0 {
		size = strconv.Itoa(opts.HistorySize)
		histTTL = ms(opts.HistoryTTL)
		metaTTL = ms(max(b.metaTTL(opts.HistoryMetaTTL), opts.HistoryTTL))
	}
	resultTTL, resultKey := "0", s.keys.result(channel, "")
	if opts.IdempotencyKey != "" {
		resultTTL = ms(orDefault(opts.IdempotentResultTTL, DefaultIdempotentResultTTL))
		resultKey = s.keys.result(channel, opts.IdempotencyKey)
	}
	res := publishScript.Exec(ctx, s.client,
		[]string{s.keys.stream(channel), s.keys.meta(channel), resultKey},
		[]string{s.keys.pubsub(channel), rueidis.BinaryString(payload), size, histTTL, metaTTL, newEpoch(), resultTTL},
	)
	arr, err := res.ToArray()
	if err != nil || len(arr) != 3 {
		return gyre.StreamPosition{}, false, b.fail(s, "publish", err, len(arr))
	}
	off, err1 := arr[0].AsUint64()
	epoch, err2 := arr[1].ToString()
	suppressed, err3 := arr[2].AsInt64()
	if err := errors.Join(err1, err2, err3); err != nil {
		return gyre.StreamPosition{}, false, b.fail(s, "publish", err, 3)
	}
	sp := gyre.StreamPosition{Offset: off, Epoch: epoch}
	if off == 0 {
		sp = gyre.StreamPosition{}
	}
	return sp, suppressed == 1, nil
}

// PublishJoin delivers a join event to the channel's subscribers on every
// node through PUB/SUB.
func (b *Broker) PublishJoin(ctx context.Context, channel string, info *gyre.ClientInfo) error {
	return b.publishInfo(ctx, channel, joinPrefix, info)
}

// PublishLeave delivers a leave event to the channel's subscribers on
// every node through PUB/SUB.
func (b *Broker) PublishLeave(ctx context.Context, channel string, info *gyre.ClientInfo) error {
	return b.publishInfo(ctx, channel, leavePrefix, info)
}

func (b *Broker) publishInfo(ctx context.Context, channel, prefix string, info *gyre.ClientInfo) error {
	if err := b.usable(ctx); err != nil {
		return err
	}
	if info == nil {
		info = &gyre.ClientInfo{}
	}
	s := b.shardFor(channel)
	cmd := s.client.B().Publish().Channel(s.keys.pubsub(channel)).Message(rueidis.BinaryString(encodeClientInfo(prefix, info))).Build()
	if err := s.client.Do(ctx, cmd).Error(); err != nil {
		return fmt.Errorf("redis: shard %d: publish %s: %w", s.index, strings.Trim(prefix, "_"), err)
	}
	return nil
}

// History returns the publications opts.Filter selects and the stream
// top, with exactly the semantics of the memory broker (see
// gyre.HistoryFilter): a channel without meta gets one with offset 0 and a
// fresh epoch; a Since with another epoch returns
// gyre.ErrUnrecoverablePosition with the top; a Since older than the
// oldest item starts from the oldest. The call extends the meta's life by
// opts.MetaTTL (zero: the configured default), but never below the
// stream's remaining TTL.
func (b *Broker) History(ctx context.Context, channel string, opts gyre.HistoryOptions) ([]*gyre.Publication, gyre.StreamPosition, error) {
	if err := b.usable(ctx); err != nil {
		return nil, gyre.StreamPosition{}, err
	}
	s := b.shardFor(channel)
	f := opts.Filter
	read, reverse, start, end := historyRange(f)
	sinceEpoch := ""
	if f.Since != nil {
		sinceEpoch = f.Since.Epoch
	}
	count := "-1"
	if f.Limit > 0 {
		count = strconv.Itoa(f.Limit)
	}
	res := historyScript.Exec(ctx, s.client,
		[]string{s.keys.stream(channel), s.keys.meta(channel)},
		[]string{newEpoch(), ms(b.metaTTL(opts.MetaTTL)), sinceEpoch, read, reverse, start, end, count},
	)
	arr, err := res.ToArray()
	if err != nil || len(arr) != 3 {
		return nil, gyre.StreamPosition{}, b.fail(s, "history", err, len(arr))
	}
	top, err1 := arr[0].AsUint64()
	epoch, err2 := arr[1].ToString()
	items, err3 := arr[2].ToArray()
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, gyre.StreamPosition{}, b.fail(s, "history", err, 3)
	}
	sp := gyre.StreamPosition{Offset: top, Epoch: epoch}
	if sinceEpoch != "" && sinceEpoch != epoch {
		return nil, sp, gyre.ErrUnrecoverablePosition
	}
	if len(items) == 0 {
		return nil, sp, nil
	}
	pubs := make([]*gyre.Publication, 0, len(items))
	for _, item := range items {
		pub, err := decodeStreamEntry(item)
		if err != nil {
			return nil, sp, fmt.Errorf("redis: shard %d: history of %q: %w", s.index, channel, err)
		}
		pubs = append(pubs, pub)
	}
	return pubs, sp, nil
}

// historyRange turns a filter into the script's read/reverse flags and
// XRANGE (start, end) or XREVRANGE (end, start) bounds.
func historyRange(f gyre.HistoryFilter) (read, reverse, start, end string) {
	if f.Limit == 0 {
		return "0", "0", "-", "+"
	}
	if !f.Reverse {
		start = "-"
		if f.Since != nil {
			start = strconv.FormatUint(f.Since.Offset+1, 10)
		}
		return "1", "0", start, "+"
	}
	end = "+"
	if f.Since != nil {
		if f.Since.Offset <= 1 {
			return "0", "1", "-", "+"
		}
		end = strconv.FormatUint(f.Since.Offset-1, 10)
	}
	return "1", "1", end, "-"
}

// decodeStreamEntry decodes one XRANGE entry [id, [field, value, …]].
func decodeStreamEntry(item rueidis.RedisMessage) (*gyre.Publication, error) {
	entry, err := item.AsXRangeEntry()
	if err != nil {
		return nil, err
	}
	idStr, _, _ := strings.Cut(entry.ID, "-")
	off, err := strconv.ParseUint(idStr, 10, 64)
	if err != nil {
		return nil, wire.ErrMalformed
	}
	data, ok := entry.FieldValues["d"]
	if !ok {
		return nil, wire.ErrMalformed
	}
	pub, err := decodePublication([]byte(data))
	if err != nil {
		return nil, err
	}
	pub.Offset = off
	return pub, nil
}

// RemoveHistory deletes the channel's stream; the meta (top offset and
// epoch) stays.
func (b *Broker) RemoveHistory(ctx context.Context, channel string) error {
	if err := b.usable(ctx); err != nil {
		return err
	}
	s := b.shardFor(channel)
	if err := s.client.Do(ctx, s.client.B().Del().Key(s.keys.stream(channel)).Build()).Error(); err != nil {
		return fmt.Errorf("redis: shard %d: remove history: %w", s.index, err)
	}
	return nil
}

// Close stops the PUB/SUB goroutines, waiting for them or for ctx, and
// closes every connection. Afterwards every method returns ErrClosed.
// Close may be called more than once.
func (b *Broker) Close(ctx context.Context) error {
	b.closed.Store(true)
	var err error
	b.once.Do(func() {
		for _, p := range b.pubsubs {
			err = errors.Join(err, p.close(ctx))
		}
		for _, s := range b.shards {
			s.client.Close()
		}
	})
	return err
}

// messageHandler returns the PUB/SUB callback of shard s. It runs on the
// connection's reader goroutine, so one channel's messages reach the
// handler in the order Redis published them.
func (b *Broker) messageHandler(s *shard) func(rueidis.PubSubMessage) {
	return func(m rueidis.PubSubMessage) {
		hb := b.handler.Load()
		if hb == nil {
			return
		}
		channel, ok := s.keys.channelOf(m.Channel)
		if !ok {
			return
		}
		msg, err := decodeMessage(m.Message)
		if err != nil {
			b.cfg.OnError(fmt.Errorf("redis: shard %d: message in %q: %w", s.index, channel, err))
			return
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
			b.cfg.OnError(fmt.Errorf("redis: handler for %q: %w", channel, err))
		}
	}
}

// reportGap tells the handler, if it wants to know, that the channels'
// deliveries may have been lost.
func (b *Broker) reportGap(channels []string) {
	hb := b.handler.Load()
	if hb == nil {
		return
	}
	if g, ok := hb.h.(DeliveryGapHandler); ok {
		for _, ch := range channels {
			g.HandleDeliveryGap(ch)
		}
	}
}

// usable reports why the broker can't serve a call, if it can't.
func (b *Broker) usable(ctx context.Context) error {
	if b.closed.Load() {
		return ErrClosed
	}
	return ctx.Err()
}

// fail wraps a failed script call's error.
func (b *Broker) fail(s *shard, op string, err error, n int) error {
	if err == nil {
		err = fmt.Errorf("unexpected reply of %d elements", n)
	}
	return fmt.Errorf("redis: shard %d: %s: %w", s.index, op, err)
}

// metaTTL returns ttl, or the configured default when ttl is not positive.
func (b *Broker) metaTTL(ttl time.Duration) time.Duration {
	if ttl <= 0 {
		return b.cfg.DefaultHistoryMetaTTL
	}
	return ttl
}

func (b *Broker) shardIndex(channel string) int { return shardIndex(channel, len(b.shards)) }

func (b *Broker) shardFor(channel string) *shard { return b.shards[b.shardIndex(channel)] }

// ms formats d as whole milliseconds, at least 1.
func ms(d time.Duration) string { return strconv.FormatInt(max(d.Milliseconds(), 1), 10) }

// epochLetters are the characters of an epoch.
const epochLetters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// newEpoch returns 8 random letters, as the memory broker does.
func newEpoch() string {
	var b [8]byte
	for i := range b {
		b[i] = epochLetters[rand.IntN(len(epochLetters))]
	}
	return string(b[:])
}
