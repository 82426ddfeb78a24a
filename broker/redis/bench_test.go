package redis

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gyrehq/gyre"
)

// discard is an event handler that counts and drops events.
type discard struct{ n atomic.Int64 }

func (d *discard) HandlePublication(string, *gyre.Publication, gyre.StreamPosition) error {
	d.n.Add(1)
	return nil
}
func (d *discard) HandleJoin(string, *gyre.ClientInfo) error  { return nil }
func (d *discard) HandleLeave(string, *gyre.ClientInfo) error { return nil }

// BenchmarkPublishHistory publishes 100-byte payloads with history (size
// 100, TTL 1m) into one subscribed channel or spread over 1000 channels,
// serially and from GOMAXPROCS*8 goroutines (rueidis pipelines them).
func BenchmarkPublishHistory(b *testing.B) {
	br := newTestBroker(b, standalone(b))
	if err := br.RegisterEventHandler(&discard{}); err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 100)
	opts := gyre.PublishOptions{HistorySize: 100, HistoryTTL: time.Minute}
	channels := make([]string, 1000)
	for i := range channels {
		channels[i] = fmt.Sprintf("bench.%d", i)
		if err := br.Subscribe(b.Context(), channels[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("OneChannel", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := br.Publish(b.Context(), channels[0], data, opts); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("OneChannelParallel", func(b *testing.B) {
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, _, err := br.Publish(b.Context(), channels[0], data, opts); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("ManyChannelsParallel", func(b *testing.B) {
		var i atomic.Int64
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				ch := channels[i.Add(1)%int64(len(channels))]
				if _, _, err := br.Publish(b.Context(), ch, data, opts); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("NoHistoryParallel", func(b *testing.B) {
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, _, err := br.Publish(b.Context(), channels[1], data, gyre.PublishOptions{}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkHistory reads the last 10 of 100 publications.
func BenchmarkHistory(b *testing.B) {
	br := newTestBroker(b, standalone(b))
	data := make([]byte, 100)
	for range 100 {
		if _, _, err := br.Publish(b.Context(), "bench.history", data, gyre.PublishOptions{HistorySize: 100, HistoryTTL: time.Minute}); err != nil {
			b.Fatal(err)
		}
	}
	f := gyre.HistoryOptions{Filter: gyre.HistoryFilter{Limit: 10, Reverse: true}}
	for b.Loop() {
		if _, _, err := br.History(b.Context(), "bench.history", f); err != nil {
			b.Fatal(err)
		}
	}
}
