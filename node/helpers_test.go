package node

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/centrifugal/protocol"
	"go.uber.org/goleak"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/broker/memory"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeTransport records frames written to it.
type fakeTransport struct {
	proto  protocol.Type
	mu     sync.Mutex
	frames [][]byte
	closed chan gyre.Disconnect
	wrote  chan struct{}
	drop   bool // discard frames (benchmarks)
}

func newFakeTransport(p protocol.Type) *fakeTransport {
	return &fakeTransport{proto: p, closed: make(chan gyre.Disconnect, 1), wrote: make(chan struct{}, 1)}
}

func (f *fakeTransport) Name() string            { return "fake" }
func (f *fakeTransport) Protocol() protocol.Type { return f.proto }
func (f *fakeTransport) Write(b []byte) error {
	if !f.drop {
		f.mu.Lock()
		f.frames = append(f.frames, append([]byte(nil), b...))
		f.mu.Unlock()
	}
	select {
	case f.wrote <- struct{}{}:
	default:
	}
	return nil
}
func (f *fakeTransport) Close(d gyre.Disconnect) error {
	select {
	case f.closed <- d:
	default:
	}
	return nil
}

// replies decodes every reply written so far.
func (f *fakeTransport) replies(t testing.TB) []*protocol.Reply {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*protocol.Reply
	for _, fr := range f.frames {
		var dec protocol.ReplyDecoder
		if f.proto == protocol.TypeJSON {
			dec = protocol.NewJSONReplyDecoder(fr)
		} else {
			dec = protocol.NewProtobufReplyDecoder(fr)
		}
		for {
			r, err := dec.Decode()
			if r != nil {
				out = append(out, r)
			}
			if err != nil {
				break
			}
		}
	}
	return out
}

// waitReplies waits until at least n replies were written.
func (f *fakeTransport) waitReplies(t testing.TB, n int) []*protocol.Reply {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		if r := f.replies(t); len(r) >= n {
			return r
		}
		select {
		case <-f.wrote:
		case <-deadline:
			t.Fatalf("timed out waiting for %d replies, have %d", n, len(f.replies(t)))
		}
	}
}

func newTestNode(t testing.TB, mutate func(*Config)) *Node {
	t.Helper()
	b := memory.NewBroker(memory.BrokerConfig{})
	cfg := Config{
		Broker:   b,
		Presence: memory.NewPresenceManager(),
		Client:   ClientConfig{Insecure: true},
		Channels: ChannelConfig{WithoutNamespace: gyre.ChannelOptions{HistorySize: 10, HistoryTTL: gyre.Duration(time.Minute)}},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = n.Shutdown(ctx)
	})
	return n
}

// encodeCommands frames commands in the transport's protocol.
func encodeCommands(t testing.TB, p protocol.Type, cmds ...*protocol.Command) []byte {
	t.Helper()
	enc := protocol.GetDataEncoder(p)
	defer protocol.PutDataEncoder(p, enc)
	for _, c := range cmds {
		var b []byte
		var err error
		if p == protocol.TypeJSON {
			b = c.AppendJSON(nil)
		} else {
			b, err = c.MarshalCF()
		}
		if err != nil {
			t.Fatal(err)
		}
		_ = enc.Encode(b)
	}
	return enc.Finish()
}

// connectSession creates a session and connects it (insecure node).
func connectSession(t testing.TB, n *Node, p protocol.Type, channels ...string) (*Session, *fakeTransport) {
	t.Helper()
	tr := newFakeTransport(p)
	s, err := n.NewSession(tr, ConnInfo{})
	if err != nil {
		t.Fatal(err)
	}
	cmds := []*protocol.Command{{Id: 1, Connect: &protocol.ConnectRequest{}}}
	for i, ch := range channels {
		cmds = append(cmds, &protocol.Command{Id: uint32(i + 2), Subscribe: &protocol.SubscribeRequest{Channel: ch}})
	}
	if !s.HandleFrame(encodeCommands(t, p, cmds...)) {
		t.Fatal("session closed during connect")
	}
	tr.waitReplies(t, len(cmds))
	return s, tr
}

// DisconnectForTest closes sessions at the end of a test.
var DisconnectForTest = gyre.DisconnectShutdown
