package redis

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/redis/rueidis"
)

// subscribeBatch is how many channels one SUBSCRIBE command carries when
// resubscribing after a reconnect.
const subscribeBatch = 512

// pubSub owns a shard's dedicated PUB/SUB connection: one connection per
// shard, subscribed to every channel this node has subscribers in. Its
// run goroutine (re)connects, resubscribes everything after a lost
// connection and then reports the gap.
type pubSub struct {
	shard     *shard
	onMessage func(rueidis.PubSubMessage)
	// onGap is called with the channels (not PUB/SUB names) whose
	// deliveries may have been lost, after they were resubscribed.
	onGap   func(channels []string)
	onError func(error)

	// opMu is held shared by Subscribe and Unsubscribe for their whole
	// round trip and exclusively by run while it swaps connections and
	// resubscribes, so no change to the subscription set is lost.
	opMu  sync.RWMutex
	conn  rueidis.DedicatedClient // nil while disconnected
	ready chan struct{}           // closed when conn becomes non-nil

	mu       sync.Mutex // guards channels
	channels map[string]struct{}

	stop chan struct{}
	done chan struct{}

	// backoffMin and backoffMax bound the wait between reconnect attempts.
	backoffMin, backoffMax time.Duration
}

func newPubSub(s *shard, onMessage func(rueidis.PubSubMessage), onGap func([]string), onError func(error)) *pubSub {
	return &pubSub{
		shard:      s,
		onMessage:  onMessage,
		onGap:      onGap,
		onError:    onError,
		ready:      make(chan struct{}),
		channels:   make(map[string]struct{}),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
		backoffMin: defaultResubscribeBackoffMin,
		backoffMax: defaultResubscribeBackoffMax,
	}
}

// subscribe subscribes the connection to the PUB/SUB channel name. While
// the connection is being (re)established it waits for it, bounded by ctx.
func (p *pubSub) subscribe(ctx context.Context, name string) error {
	for {
		p.opMu.RLock()
		conn, ready := p.conn, p.ready
		if conn == nil {
			p.opMu.RUnlock()
			select {
			case <-ready:
				continue
			case <-p.stop:
				return ErrClosed
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		p.mu.Lock()
		_, had := p.channels[name]
		p.channels[name] = struct{}{}
		p.mu.Unlock()
		err := conn.Do(ctx, conn.B().Subscribe().Channel(name).Build()).Error()
		if err != nil && !had {
			p.mu.Lock()
			delete(p.channels, name)
			p.mu.Unlock()
		}
		p.opMu.RUnlock()
		if err != nil {
			return fmt.Errorf("redis: shard %d: subscribe: %w", p.shard.index, err)
		}
		return nil
	}
}

// unsubscribe unsubscribes from the PUB/SUB channel name. Without a
// connection there is nothing to do: the next one will not subscribe it.
func (p *pubSub) unsubscribe(ctx context.Context, name string) error {
	p.opMu.RLock()
	defer p.opMu.RUnlock()
	p.mu.Lock()
	delete(p.channels, name)
	p.mu.Unlock()
	if p.conn == nil {
		return nil
	}
	err := p.conn.Do(ctx, p.conn.B().Unsubscribe().Channel(name).Build()).Error()
	if err != nil && ctx.Err() == nil && !isRedisError(err) {
		// The connection broke; the next one will not subscribe it.
		return nil
	}
	if err != nil {
		return fmt.Errorf("redis: shard %d: unsubscribe: %w", p.shard.index, err)
	}
	return nil
}

// isRedisError reports whether err is an error reply of the server (as
// opposed to a connection error).
func isRedisError(err error) bool {
	_, ok := rueidis.IsRedisErr(err)
	return ok
}

// run keeps the PUB/SUB connection up until stop is closed.
func (p *pubSub) run() {
	defer close(p.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-p.stop:
			cancel()
		case <-p.done:
		}
	}()
	connected := false // whether a connection was up before
	backoff := p.backoffMin
	for {
		wait, release, channels, err := p.connect(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			p.onError(fmt.Errorf("redis: shard %d: PUB/SUB connect: %w", p.shard.index, err))
			select {
			case <-time.After(jitter(backoff)):
			case <-ctx.Done():
				return
			}
			backoff = min(2*backoff, p.backoffMax)
			continue
		}
		backoff = p.backoffMin
		if connected && len(channels) > 0 {
			p.onGap(channels)
		}
		connected = true
		select {
		case err := <-wait:
			p.opMu.Lock()
			p.conn = nil
			p.ready = make(chan struct{})
			p.opMu.Unlock()
			release()
			if ctx.Err() != nil {
				return
			}
			if err == nil {
				err = errors.New("connection closed")
			}
			p.onError(fmt.Errorf("redis: shard %d: PUB/SUB connection lost, resubscribing: %w", p.shard.index, err))
		case <-ctx.Done():
			p.opMu.Lock()
			p.conn = nil
			p.opMu.Unlock()
			release()
			return
		}
	}
}

// connect makes a dedicated connection, subscribes it to every channel in
// the set and publishes it to subscribe/unsubscribe. It returns the
// connection's error channel, its release function and the channels it
// subscribed (as channel names, not PUB/SUB names).
func (p *pubSub) connect(ctx context.Context) (<-chan error, func(), []string, error) {
	conn, release := p.shard.client.Dedicate()
	wait := conn.SetPubSubHooks(rueidis.PubSubHooks{OnMessage: p.onMessage})
	p.opMu.Lock()
	defer p.opMu.Unlock()
	// A PING makes the connection (cluster clients pick a node on the first
	// command) and proves it works even with nothing to subscribe.
	if err := conn.Do(ctx, conn.B().Ping().Build()).Error(); err != nil {
		release()
		return nil, nil, nil, err
	}
	p.mu.Lock()
	names := make([]string, 0, len(p.channels))
	for name := range p.channels {
		names = append(names, name)
	}
	p.mu.Unlock()
	for i := 0; i < len(names); i += subscribeBatch {
		batch := names[i:min(i+subscribeBatch, len(names))]
		if err := conn.Do(ctx, conn.B().Subscribe().Channel(batch...).Build()).Error(); err != nil {
			release()
			return nil, nil, nil, err
		}
	}
	p.conn = conn
	close(p.ready)
	channels := make([]string, 0, len(names))
	for _, name := range names {
		if ch, ok := p.shard.keys.channelOf(name); ok {
			channels = append(channels, ch)
		}
	}
	return wait, release, channels, nil
}

// close stops run and waits for it, or for ctx.
func (p *pubSub) close(ctx context.Context) error {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// subscribed returns the number of PUB/SUB channels in the set.
func (p *pubSub) subscribed() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.channels)
}

// jitter returns d ± 20%.
func jitter(d time.Duration) time.Duration {
	return d - d/5 + time.Duration(rand.Int64N(int64(d)*2/5+1))
}
