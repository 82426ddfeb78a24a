package apiclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gyrehq/gyre/bridge/apipb"
)

// BroadcastOption configures a Broadcaster.
type BroadcastOption interface{ apply(*Broadcaster) }

type broadcastOptionFunc func(*Broadcaster)

func (f broadcastOptionFunc) apply(b *Broadcaster) { f(b) }

// WithHistory keeps publications in the channels' history (on, the
// default) or skips it (skip_history: true — the only mode of the seed's
// Spiral driver).
func WithHistory(on bool) BroadcastOption {
	return broadcastOptionFunc(func(b *Broadcaster) { b.skipHistory = !on })
}

// WithTags adds tags to every publication.
func WithTags(tags map[string]string) BroadcastOption {
	return broadcastOptionFunc(func(b *Broadcaster) { b.tags = tags })
}

// Broadcaster publishes messages to topics (channels), the counterpart of
// Spiral's BroadcastInterface with the centrifugo driver.
type Broadcaster struct {
	c           *Client
	skipHistory bool
	tags        map[string]string
}

// NewBroadcaster returns a Broadcaster over c; history is on unless
// WithHistory(false).
func NewBroadcaster(c *Client, opts ...BroadcastOption) *Broadcaster {
	b := &Broadcaster{c: c}
	for _, o := range opts {
		o.apply(b)
	}
	return b
}

// Publish sends each message (JSON) to every topic: one publish call per
// message for a single topic, one broadcast call per message for several.
// Per-channel errors of a broadcast are joined into the returned error.
func (b *Broadcaster) Publish(ctx context.Context, topics []string, messages ...[]byte) error {
	if len(topics) == 0 {
		return errors.New("apiclient: no topics")
	}
	var errs []error
	for _, m := range messages {
		if len(topics) == 1 {
			if _, err := b.c.Publish(ctx, &apipb.PublishRequest{Channel: topics[0], Data: m, SkipHistory: b.skipHistory, Tags: b.tags}); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", topics[0], err))
			}
			continue
		}
		res, err := b.c.Broadcast(ctx, &apipb.BroadcastRequest{Channels: topics, Data: m, SkipHistory: b.skipHistory, Tags: b.tags})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for i, r := range res.GetResponses() {
			if e := r.GetError(); e != nil && e.GetCode() != 0 && i < len(topics) {
				errs = append(errs, fmt.Errorf("%s: %w", topics[i], &Error{Code: e.GetCode(), Message: e.GetMessage()}))
			}
		}
	}
	return errors.Join(errs...)
}

// PublishJSON encodes v as JSON and publishes it to topics.
func (b *Broadcaster) PublishJSON(ctx context.Context, topics []string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("apiclient: encoding message: %w", err)
	}
	return b.Publish(ctx, topics, data)
}
