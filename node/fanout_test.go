package node

import (
	"context"
	"fmt"
	"testing"

	"github.com/centrifugal/protocol"
)

// TestFanoutEncodesOncePerFormat: one publication to 50 JSON and 50
// Protobuf subscribers is encoded exactly twice, and everyone receives it.
func TestFanoutEncodesOncePerFormat(t *testing.T) {
	n := newTestNode(t, nil)
	var trs []*fakeTransport
	for i := range 100 {
		p := protocol.TypeJSON
		if i%2 == 1 {
			p = protocol.TypeProtobuf
		}
		_, tr := connectSession(t, n, p, "room")
		trs = append(trs, tr)
	}
	before := PushEncodes()
	if _, err := n.Publish(context.Background(), PublishRequest{Channel: "room", Data: []byte(`{"x":1}`)}); err != nil {
		t.Fatal(err)
	}
	if got := PushEncodes() - before; got != 2 {
		t.Fatalf("publication encoded %d times for 100 subscribers in 2 formats, want 2", got)
	}
	for _, tr := range trs {
		rs := tr.waitReplies(t, 3)
		pub := rs[2].Push.GetPub()
		if pub == nil || string(pub.Data) != `{"x":1}` || pub.Offset != 1 {
			t.Fatalf("unexpected push %+v", rs[2])
		}
	}
}

// BenchmarkFanout measures one publication delivered to S subscribers
// (half JSON, half Protobuf): encoding happens twice per publication, the
// rest is per-subscriber queueing.
func BenchmarkFanout(b *testing.B) {
	for _, subs := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("subs=%d", subs), func(b *testing.B) {
			n := newTestNode(b, func(c *Config) { c.Client.QueueMaxSize = 1 << 30 })
			for i := range subs {
				p := protocol.TypeJSON
				if i%2 == 1 {
					p = protocol.TypeProtobuf
				}
				_, tr := connectSession(b, n, p, "bench")
				tr.drop = true
			}
			data := []byte(`{"text":"hello, fan-out"}`)
			ctx := context.Background()
			before := PushEncodes()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := n.Publish(ctx, PublishRequest{Channel: "bench", Data: data}); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(PushEncodes()-before)/float64(b.N), "encodes/op")
		})
	}
}

// TestFrameRepliesShareOneWrite: the replies to the commands of one frame
// (an SDK's connect with its subscribes) go out in one transport write.
func TestFrameRepliesShareOneWrite(t *testing.T) {
	n := newTestNode(t, nil)
	for _, p := range []protocol.Type{protocol.TypeJSON, protocol.TypeProtobuf} {
		_, tr := connectSession(t, n, p, "a", "b", "c")
		tr.mu.Lock()
		frames := len(tr.frames)
		tr.mu.Unlock()
		if frames != 1 {
			t.Fatalf("%s: 4 replies in %d writes, want 1", p, frames)
		}
	}
}
