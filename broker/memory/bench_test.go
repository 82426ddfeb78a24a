package memory

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gyrehq/gyre"
)

func newBenchBroker(b *testing.B) *Broker {
	br := NewBroker(BrokerConfig{})
	b.Cleanup(func() { closeBroker(b, br) })
	if err := br.RegisterEventHandler(nopHandler{}); err != nil {
		b.Fatal(err)
	}
	return br
}

var benchOptions = []struct {
	name string
	opts gyre.PublishOptions
}{
	{"NoHistory", gyre.PublishOptions{}},
	{"History", gyre.PublishOptions{HistorySize: 100, HistoryTTL: time.Minute}},
	{"HistoryIdempotent", gyre.PublishOptions{HistorySize: 100, HistoryTTL: time.Minute, IdempotencyKey: "k"}},
}

func BenchmarkPublish(b *testing.B) {
	data := []byte(`{"text":"hello"}`)
	for _, bo := range benchOptions {
		b.Run(bo.name, func(b *testing.B) {
			br := newBenchBroker(b)
			opts := bo.opts
			b.ReportAllocs()
			for b.Loop() {
				// A repeated key would be suppressed after the first publish,
				// which is what the idempotent case measures.
				if _, _, err := br.Publish(ctx, "ch", data, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkPublishParallel(b *testing.B) {
	data := []byte(`{"text":"hello"}`)
	channels := make([]string, 256)
	for i := range channels {
		channels[i] = fmt.Sprint("ch", i)
	}
	for _, bo := range benchOptions[:2] {
		b.Run(bo.name, func(b *testing.B) {
			br := newBenchBroker(b)
			var next atomic.Uint32
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := int(next.Add(1)) * 7
				for pb.Next() {
					i++
					if _, _, err := br.Publish(ctx, channels[i%len(channels)], data, bo.opts); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

func BenchmarkHistory(b *testing.B) {
	br := newBenchBroker(b)
	for range 100 {
		if _, _, err := br.Publish(ctx, "ch", []byte("x"), hist(100, time.Minute)); err != nil {
			b.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name   string
		filter gyre.HistoryFilter
	}{
		{"Top", gyre.HistoryFilter{Limit: 0}},
		{"Since90", gyre.HistoryFilter{Since: &gyre.StreamPosition{Offset: 90}, Limit: -1}},
		{"All100", gyre.HistoryFilter{Limit: -1}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := br.History(ctx, "ch", gyre.HistoryOptions{Filter: tc.filter}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
