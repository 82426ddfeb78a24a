package memory

import (
	"context"
	"errors"
	"hash/maphash"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gyrehq/gyre"
)

// Interface guards.
var (
	_ gyre.Broker = (*Broker)(nil)
	_ gyre.Closer = (*Broker)(nil)
)

const (
	// numShards is the number of lock shards channels are spread over.
	numShards = 64
	// defaultHistoryMetaTTL is BrokerConfig.DefaultHistoryMetaTTL's default.
	defaultHistoryMetaTTL = 720 * time.Hour
	// defaultIdempotentResultTTL applies when
	// PublishOptions.IdempotentResultTTL is zero.
	defaultIdempotentResultTTL = 5 * time.Minute
)

var (
	// ErrNoEventHandler is returned by Publish, PublishJoin and
	// PublishLeave before RegisterEventHandler was called.
	ErrNoEventHandler = errors.New("memory: no event handler registered")
	// ErrClosed is returned by the Broker's methods after Close.
	ErrClosed = errors.New("memory: broker closed")

	errNilHandler        = errors.New("memory: nil event handler")
	errHandlerRegistered = errors.New("memory: event handler already registered")
)

// BrokerConfig configures a Broker. The zero value is ready to use.
type BrokerConfig struct {
	// DefaultHistoryMetaTTL is how long a stream's meta (top offset and
	// epoch) lives after the last publish or History call when the call's
	// options leave it zero. Zero means 720h (Centrifugo's
	// channel.history_meta_ttl default).
	DefaultHistoryMetaTTL time.Duration
	// Now returns the current time; tests inject a fake clock. Nil means
	// time.Now.
	Now func() time.Time
}

// Broker is an in-memory gyre.Broker for a single node. Create it with
// NewBroker and stop it with Close. It is safe for concurrent use.
type Broker struct {
	cfg     BrokerConfig
	seed    maphash.Seed
	handler atomic.Pointer[handlerBox]
	closed  atomic.Bool
	stop    chan struct{} // closed by Close
	done    chan struct{} // closed when the cleanup goroutine returns
	shards  [numShards]shard
}

// handlerBox lets an interface value live in an atomic.Pointer.
type handlerBox struct{ h gyre.BrokerEventHandler }

// shard holds the streams and idempotency results of the channels that hash
// to it, guarded by mu.
type shard struct {
	mu           sync.Mutex
	streams      map[string]*stream
	streamTimers expiryHeap[*stream]
	results      map[resultKey]*result
	resultTimers expiryHeap[*result]
	_            [64]byte // keeps neighbouring shards' locks off one cache line
}

// resultKey names an idempotency result.
type resultKey struct {
	channel string
	key     string
}

// result is the remembered outcome of an idempotent publish; it expires at
// its timer's at.
type result struct {
	timer
	key resultKey
	pos gyre.StreamPosition
}

// NewBroker returns a Broker and starts its cleanup goroutine; call Close
// to stop it.
func NewBroker(cfg BrokerConfig) *Broker {
	return newBroker(cfg, cleanupInterval, nil)
}

// newBroker is NewBroker with a chosen cleanup interval and a hook called
// after every cleanup tick (for tests).
func newBroker(cfg BrokerConfig, interval time.Duration, afterTick func()) *Broker {
	if cfg.DefaultHistoryMetaTTL <= 0 {
		cfg.DefaultHistoryMetaTTL = defaultHistoryMetaTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	b := &Broker{
		cfg:  cfg,
		seed: maphash.MakeSeed(),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	for i := range b.shards {
		b.shards[i].streams = make(map[string]*stream)
		b.shards[i].results = make(map[resultKey]*result)
	}
	go b.runCleanup(interval, afterTick)
	return b
}

// RegisterEventHandler sets the handler that receives every publication,
// join and leave. It may be called once, before publishing.
func (b *Broker) RegisterEventHandler(h gyre.BrokerEventHandler) error {
	if h == nil {
		return errNilHandler
	}
	if !b.handler.CompareAndSwap(nil, &handlerBox{h: h}) {
		return errHandlerRegistered
	}
	return nil
}

// Subscribe does nothing: a single node receives every channel's events.
func (b *Broker) Subscribe(ctx context.Context, channel string) error {
	return nil
}

// Unsubscribe does nothing: a single node receives every channel's events.
func (b *Broker) Unsubscribe(ctx context.Context, channel string) error {
	return nil
}

// Publish appends data to the channel's stream when opts enable history
// and delivers it to the handler synchronously, under the channel's shard
// lock. It returns the publication's stream position (zero without
// history). A publish whose IdempotencyKey was seen in the channel within
// IdempotentResultTTL (zero means 5 minutes) is not stored or delivered:
// it returns the first publish's position and suppressed=true. When the
// handler fails, the publication stays in the stream and its error is
// returned with the position.
func (b *Broker) Publish(ctx context.Context, channel string, data []byte, opts gyre.PublishOptions) (gyre.StreamPosition, bool, error) {
	h, err := b.handlerFor(ctx)
	if err != nil {
		return gyre.StreamPosition{}, false, err
	}
	t := b.cfg.Now()
	now := t.UnixNano()
	sh := b.shardFor(channel)
	sh.mu.Lock()
	defer sh.mu.Unlock()

	var res *result
	if opts.IdempotencyKey != "" {
		key := resultKey{channel: channel, key: opts.IdempotencyKey}
		res = sh.results[key]
		if res != nil && now < res.at {
			return res.pos, true, nil
		}
		// An expired result the cleanup has not reached yet is reused.
		if res == nil {
			res = &result{key: key, timer: timer{at: math.MaxInt64}}
			sh.results[key] = res
			sh.resultTimers.push(res)
		}
	}

	pub := gyre.Publication{Data: data, Info: opts.ClientInfo, Tags: opts.Tags, Time: t.UnixMilli()}
	var sp gyre.StreamPosition
	if opts.HistorySize > 0 && opts.HistoryTTL > 0 {
		st := sh.stream(channel, now, true)
		st.top++
		pub.Offset = st.top
		st.items.push(pub, opts.HistorySize)
		st.itemsExpireAt = addDur(now, opts.HistoryTTL)
		st.metaExpireAt = max(addDur(now, b.metaTTL(opts.HistoryMetaTTL)), st.itemsExpireAt)
		sh.schedule(st)
		sp = st.position()
	}
	if res != nil {
		ttl := opts.IdempotentResultTTL
		if ttl <= 0 {
			ttl = defaultIdempotentResultTTL
		}
		res.pos = sp
		res.at = addDur(now, ttl)
		sh.resultTimers.fix(res.idx)
	}
	p := new(gyre.Publication)
	*p = pub
	return sp, false, h.HandlePublication(channel, p, sp)
}

// PublishJoin delivers a join event to the handler synchronously.
func (b *Broker) PublishJoin(ctx context.Context, channel string, info *gyre.ClientInfo) error {
	h, err := b.handlerFor(ctx)
	if err != nil {
		return err
	}
	sh := b.shardFor(channel)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return h.HandleJoin(channel, info)
}

// PublishLeave delivers a leave event to the handler synchronously.
func (b *Broker) PublishLeave(ctx context.Context, channel string, info *gyre.ClientInfo) error {
	h, err := b.handlerFor(ctx)
	if err != nil {
		return err
	}
	sh := b.shardFor(channel)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return h.HandleLeave(channel, info)
}

// History returns copies of the publications opts.Filter selects (see
// gyre.HistoryFilter) and the stream top, and extends the stream meta's
// life by opts.MetaTTL (zero means the default). A channel without a stream
// gets one with offset 0 and a fresh epoch. A Since with a non-empty epoch
// other than the stream's returns gyre.ErrUnrecoverablePosition with the
// top. A Since offset older than the oldest kept item selects from the
// oldest one; a negative Limit means all.
func (b *Broker) History(ctx context.Context, channel string, opts gyre.HistoryOptions) ([]*gyre.Publication, gyre.StreamPosition, error) {
	if err := b.usable(ctx); err != nil {
		return nil, gyre.StreamPosition{}, err
	}
	now := b.cfg.Now().UnixNano()
	sh := b.shardFor(channel)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	st := sh.stream(channel, now, true)
	st.metaExpireAt = addDur(now, b.metaTTL(opts.MetaTTL))
	if st.items.n > 0 {
		st.metaExpireAt = max(st.metaExpireAt, st.itemsExpireAt)
	}
	sh.schedule(st)
	top := st.position()
	f := opts.Filter
	if f.Since != nil && f.Since.Epoch != "" && f.Since.Epoch != st.epoch {
		return nil, top, gyre.ErrUnrecoverablePosition
	}
	return st.collect(f), top, nil
}

// RemoveHistory drops the channel's publications and keeps its top offset
// and epoch.
func (b *Broker) RemoveHistory(ctx context.Context, channel string) error {
	if err := b.usable(ctx); err != nil {
		return err
	}
	now := b.cfg.Now().UnixNano()
	sh := b.shardFor(channel)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if st := sh.stream(channel, now, false); st != nil {
		st.items.reset()
	}
	return nil
}

// Close stops the cleanup goroutine and waits for it, or for ctx to end.
// Afterwards every method returns ErrClosed. Close may be called more than
// once.
func (b *Broker) Close(ctx context.Context) error {
	if b.closed.CompareAndSwap(false, true) {
		close(b.stop)
	}
	select {
	case <-b.done:
		return nil
	default:
	}
	select {
	case <-b.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// usable reports why the broker can't serve a call, if it can't.
func (b *Broker) usable(ctx context.Context) error {
	if b.closed.Load() {
		return ErrClosed
	}
	return ctx.Err()
}

// handlerFor returns the registered handler when the broker can deliver.
func (b *Broker) handlerFor(ctx context.Context) (gyre.BrokerEventHandler, error) {
	if err := b.usable(ctx); err != nil {
		return nil, err
	}
	hb := b.handler.Load()
	if hb == nil {
		return nil, ErrNoEventHandler
	}
	return hb.h, nil
}

// metaTTL returns ttl, or the configured default when ttl is not positive.
func (b *Broker) metaTTL(ttl time.Duration) time.Duration {
	if ttl <= 0 {
		return b.cfg.DefaultHistoryMetaTTL
	}
	return ttl
}

// shardFor returns the shard that owns channel.
func (b *Broker) shardFor(channel string) *shard {
	return &b.shards[maphash.String(b.seed, channel)%numShards]
}

// stream returns the channel's live stream, applying expiry lazily. When
// there is none and create is set, it makes one with a fresh epoch at
// offset 0, which the caller must give an expiry and schedule. The caller
// holds sh.mu.
func (sh *shard) stream(channel string, now int64, create bool) *stream {
	st := sh.streams[channel]
	if st != nil {
		if now >= st.metaExpireAt {
			sh.dropStream(st)
			st = nil
		} else if st.items.n > 0 && now >= st.itemsExpireAt {
			st.items.reset()
		}
	}
	if st == nil && create {
		st = &stream{channel: channel, epoch: newEpoch(), timer: timer{at: math.MaxInt64}}
		sh.streams[channel] = st
		sh.streamTimers.push(st)
	}
	return st
}

// schedule moves st's expiry timer earlier when its deadline moved earlier.
// A deadline that moved later is left for the cleanup to notice, which
// keeps the hot path off the heap. The caller holds sh.mu.
func (sh *shard) schedule(st *stream) {
	if d := st.deadline(); d < st.at {
		st.at = d
		sh.streamTimers.fix(st.idx)
	}
}

// dropStream forgets st. The caller holds sh.mu.
func (sh *shard) dropStream(st *stream) {
	sh.streamTimers.remove(st.idx)
	delete(sh.streams, st.channel)
}
