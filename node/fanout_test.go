package node

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
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

// tryTransport is a fakeTransport that implements TryWriter; while full is
// set, TryWrite keeps frames and Flush waits for release.
type tryTransport struct {
	*fakeTransport
	full    atomic.Bool
	release chan struct{}
	kmu     sync.Mutex
	kept    [][]byte
	tries   atomic.Int64
}

func (t *tryTransport) CanTryWrite() bool { return true }

func (t *tryTransport) TryWrite(frame []byte) (bool, error) {
	t.tries.Add(1)
	if t.full.Load() {
		t.kmu.Lock()
		t.kept = append(t.kept, append([]byte(nil), frame...))
		t.kmu.Unlock()
		return false, nil
	}
	return true, t.fakeTransport.Write(frame)
}

func (t *tryTransport) Flush() error {
	<-t.release
	t.kmu.Lock()
	kept := t.kept
	t.kept = nil
	t.kmu.Unlock()
	for _, f := range kept {
		if err := t.fakeTransport.Write(f); err != nil {
			return err
		}
	}
	return nil
}

// TestFanoutWritesWithoutWaiting: fan-out writes idle connections through
// TryWrite; a connection whose socket is full neither holds up the others
// nor loses or reorders anything once it drains.
func TestFanoutWritesWithoutWaiting(t *testing.T) {
	for _, subs := range []int{3, 50} { // written inline, and by a batch goroutine
		t.Run(fmt.Sprint(subs), func(t *testing.T) {
			n := newTestNode(t, nil)
			var trs []*tryTransport
			for range subs {
				tr := &tryTransport{fakeTransport: newFakeTransport(protocol.TypeJSON), release: make(chan struct{})}
				s, err := n.NewSession(tr, ConnInfo{})
				if err != nil {
					t.Fatal(err)
				}
				if !s.HandleFrame(encodeCommands(t, protocol.TypeJSON,
					&protocol.Command{Id: 1, Connect: &protocol.ConnectRequest{}},
					&protocol.Command{Id: 2, Subscribe: &protocol.SubscribeRequest{Channel: "room"}})) {
					t.Fatal("closed during connect")
				}
				tr.waitReplies(t, 2)
				trs = append(trs, tr)
			}
			slow := trs[0]
			slow.full.Store(true)
			const pubs = 5
			for i := range pubs {
				if _, err := n.Publish(context.Background(), PublishRequest{Channel: "room", Data: []byte(fmt.Sprintf(`{"n":%d}`, i))}); err != nil {
					t.Fatal(err)
				}
			}
			for _, tr := range trs[1:] {
				checkPubs(t, tr.waitReplies(t, 2+pubs)[2:])
				if tr.tries.Load() == 0 {
					t.Fatal("fan-out did not use TryWrite")
				}
			}
			close(slow.release)
			checkPubs(t, slow.waitReplies(t, 2+pubs)[2:])
		})
	}
}

// checkPubs checks that rs are the publications n = 0, 1, ... in order.
func checkPubs(t *testing.T, rs []*protocol.Reply) {
	t.Helper()
	for i, r := range rs {
		pub := r.Push.GetPub()
		if pub == nil || string(pub.Data) != fmt.Sprintf(`{"n":%d}`, i) {
			t.Fatalf("reply %d: %+v", i, r)
		}
	}
}
