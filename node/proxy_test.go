package node

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/centrifugal/protocol"

	"github.com/gyrehq/gyre"
)

// fakeProxy implements every proxy interface with per-event functions.
type fakeProxy struct {
	mu         sync.Mutex
	connect    func(gyre.ConnectProxyRequest) (*gyre.ConnectProxyResult, error)
	refresh    func(gyre.RefreshProxyRequest) (*gyre.RefreshProxyResult, error)
	subscribe  func(gyre.SubscribeProxyRequest) (*gyre.SubscribeGrant, error)
	publish    func(gyre.PublishProxyRequest) (*gyre.PublishProxyResult, error)
	subRefresh func(gyre.SubRefreshProxyRequest) (*gyre.SubRefreshProxyResult, error)
	rpc        func(gyre.RPCProxyRequest) ([]byte, error)
	calls      []string
}

func (f *fakeProxy) record(ev string) {
	f.mu.Lock()
	f.calls = append(f.calls, ev)
	f.mu.Unlock()
}

func (f *fakeProxy) ProxyConnect(_ context.Context, r gyre.ConnectProxyRequest) (*gyre.ConnectProxyResult, error) {
	f.record("connect")
	return f.connect(r)
}
func (f *fakeProxy) ProxyRefresh(_ context.Context, r gyre.RefreshProxyRequest) (*gyre.RefreshProxyResult, error) {
	f.record("refresh")
	return f.refresh(r)
}
func (f *fakeProxy) ProxySubscribe(_ context.Context, r gyre.SubscribeProxyRequest) (*gyre.SubscribeGrant, error) {
	f.record("subscribe")
	return f.subscribe(r)
}
func (f *fakeProxy) ProxyPublish(_ context.Context, r gyre.PublishProxyRequest) (*gyre.PublishProxyResult, error) {
	f.record("publish")
	return f.publish(r)
}
func (f *fakeProxy) ProxySubRefresh(_ context.Context, r gyre.SubRefreshProxyRequest) (*gyre.SubRefreshProxyResult, error) {
	f.record("sub_refresh")
	return f.subRefresh(r)
}
func (f *fakeProxy) ProxyRPC(_ context.Context, r gyre.RPCProxyRequest) ([]byte, error) {
	f.record("rpc")
	return f.rpc(r)
}

var errBackendDown = errors.New("proxy default: connection refused")

func proxiedNode(t *testing.T, fp *fakeProxy) *Node {
	return newTestNode(t, func(c *Config) {
		c.Client.Insecure = false
		c.Channels.Namespaces = map[string]gyre.ChannelOptions{
			"p": {SubscribeProxyEnabled: true, PublishProxyEnabled: true},
		}
		c.RPC.WithoutNamespace = RPCNamespace{ProxyEnabled: true}
		c.RPC.Namespaces = map[string]RPCNamespace{"off": {}}
		c.Proxies = Proxies{
			Connect:   fp,
			Subscribe: map[string]gyre.SubscribeProxy{"default": fp},
			Publish:   map[string]gyre.PublishProxy{"default": fp},
			RPC:       map[string]gyre.RPCProxy{"default": fp},
		}
	})
}

// session sends frames and returns the replies (or the close code).
func proxySession(t *testing.T, n *Node, cmds ...*protocol.Command) ([]*protocol.Reply, *fakeTransport) {
	t.Helper()
	tr := newFakeTransport(protocol.TypeJSON)
	s, err := n.NewSession(tr, ConnInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if !s.HandleFrame(encodeCommands(t, protocol.TypeJSON, cmds...)) {
		return nil, tr
	}
	return tr.waitReplies(t, len(cmds)), tr
}

func TestConnectProxy(t *testing.T) {
	connect := &protocol.Command{Id: 1, Connect: &protocol.ConnectRequest{Data: []byte(`{"auth":"x"}`), Name: "test"}}
	tests := []struct {
		name      string
		fn        func(gyre.ConnectProxyRequest) (*gyre.ConnectProxyResult, error)
		wantUser  string
		wantErr   uint32
		wantClose uint32
	}{
		{"sets user and data", func(r gyre.ConnectProxyRequest) (*gyre.ConnectProxyResult, error) {
			if string(r.Data) != `{"auth":"x"}` || r.Name != "test" || r.Client.Transport != "fake" || r.Client.Protocol != "json" {
				return nil, errors.New("bad request to proxy")
			}
			return &gyre.ConnectProxyResult{User: "42", Data: []byte(`{"welcome":true}`)}, nil
		}, "42", 0, 0},
		{"no result means no credentials", func(gyre.ConnectProxyRequest) (*gyre.ConnectProxyResult, error) { return nil, nil }, "", 0, 3501},
		{"application error", func(gyre.ConnectProxyRequest) (*gyre.ConnectProxyResult, error) {
			return nil, gyre.Error{Code: 1000, Message: "custom"}
		}, "", 1000, 0},
		{"application disconnect", func(gyre.ConnectProxyRequest) (*gyre.ConnectProxyResult, error) {
			return nil, gyre.Disconnect{Code: 4500, Reason: "go away"}
		}, "", 0, 4500},
		{"backend down", func(gyre.ConnectProxyRequest) (*gyre.ConnectProxyResult, error) { return nil, errBackendDown }, "", 100, 0},
		{"unknown server-side channel", func(gyre.ConnectProxyRequest) (*gyre.ConnectProxyResult, error) {
			return &gyre.ConnectProxyResult{User: "1", Channels: []string{"nope:x"}}, nil
		}, "", 102, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := proxiedNode(t, &fakeProxy{connect: tc.fn})
			rs, tr := proxySession(t, n, connect)
			if tc.wantClose != 0 {
				select {
				case d := <-tr.closed:
					if d.Code != tc.wantClose {
						t.Fatalf("close %d, want %d", d.Code, tc.wantClose)
					}
				case <-time.After(5 * time.Second):
					t.Fatal("no close")
				}
				return
			}
			if tc.wantErr != 0 {
				if rs[0].Error == nil || rs[0].Error.Code != tc.wantErr {
					t.Fatalf("reply %+v, want error %d", rs[0], tc.wantErr)
				}
				return
			}
			if rs[0].Connect == nil || string(rs[0].Connect.Data) != `{"welcome":true}` {
				t.Fatalf("connect reply %+v", rs[0])
			}
		})
	}
}

func TestSubscribePublishRPCProxies(t *testing.T) {
	fp := &fakeProxy{
		connect: func(gyre.ConnectProxyRequest) (*gyre.ConnectProxyResult, error) {
			return &gyre.ConnectProxyResult{User: "u1", Meta: []byte(`{"m":1}`)}, nil
		},
		subscribe: func(r gyre.SubscribeProxyRequest) (*gyre.SubscribeGrant, error) {
			switch r.Channel {
			case "p:deny":
				return nil, gyre.Error{Code: 403, Message: "nope"}
			case "p:down":
				return nil, errBackendDown
			}
			if r.Client.User != "u1" {
				return nil, errors.New("user not sent")
			}
			return &gyre.SubscribeGrant{Data: []byte(`{"room":"ok"}`)}, nil
		},
		publish: func(r gyre.PublishProxyRequest) (*gyre.PublishProxyResult, error) {
			return &gyre.PublishProxyResult{Data: []byte(`{"rewritten":true}`)}, nil
		},
		rpc: func(r gyre.RPCProxyRequest) ([]byte, error) {
			if r.Method == "fail" {
				return nil, gyre.Error{Code: 1500, Message: "rpc failed"}
			}
			return []byte(`{"echo":` + string(r.Data) + `}`), nil
		},
	}
	n := proxiedNode(t, fp)
	rs, tr := proxySession(t, n,
		&protocol.Command{Id: 1, Connect: &protocol.ConnectRequest{}},
		&protocol.Command{Id: 2, Subscribe: &protocol.SubscribeRequest{Channel: "p:room"}},
		&protocol.Command{Id: 3, Subscribe: &protocol.SubscribeRequest{Channel: "p:deny"}},
		&protocol.Command{Id: 4, Subscribe: &protocol.SubscribeRequest{Channel: "p:down"}},
		&protocol.Command{Id: 5, Rpc: &protocol.RPCRequest{Method: "echo", Data: []byte(`1`)}},
		&protocol.Command{Id: 6, Rpc: &protocol.RPCRequest{Method: "fail"}},
		&protocol.Command{Id: 7, Rpc: &protocol.RPCRequest{Method: "off:x"}},
		&protocol.Command{Id: 8, Rpc: &protocol.RPCRequest{Method: "unknown:x"}},
		&protocol.Command{Id: 9, Publish: &protocol.PublishRequest{Channel: "p:room", Data: []byte(`{"orig":true}`)}},
	)
	byID := map[uint32]*protocol.Reply{}
	for _, r := range rs {
		if r.Id > 0 {
			byID[r.Id] = r
		}
	}
	if r := byID[2]; r.Subscribe == nil || string(r.Subscribe.Data) != `{"room":"ok"}` {
		t.Fatalf("subscribe reply %+v", r)
	}
	for id, code := range map[uint32]uint32{3: 403, 4: 100, 6: 1500, 7: 108, 8: 104} {
		if r := byID[id]; r.Error == nil || r.Error.Code != code {
			t.Fatalf("reply %d = %+v, want error %d", id, r, code)
		}
	}
	if r := byID[5]; r.Rpc == nil || string(r.Rpc.Data) != `{"echo":1}` {
		t.Fatalf("rpc reply %+v", r)
	}
	all := tr.waitReplies(t, 10)
	var pub *protocol.Publication
	for _, r := range all {
		if r.Push != nil && r.Push.Pub != nil {
			pub = r.Push.Pub
		}
	}
	if pub == nil || string(pub.Data) != `{"rewritten":true}` {
		t.Fatalf("publication %+v, want rewritten data", pub)
	}
}

func TestRefreshProxy(t *testing.T) {
	refreshed := make(chan struct{}, 1)
	fp := &fakeProxy{
		connect: func(gyre.ConnectProxyRequest) (*gyre.ConnectProxyResult, error) {
			return &gyre.ConnectProxyResult{User: "r", ExpireAt: time.Now().Unix() + 1}, nil
		},
		refresh: func(gyre.RefreshProxyRequest) (*gyre.RefreshProxyResult, error) {
			select {
			case refreshed <- struct{}{}:
				return &gyre.RefreshProxyResult{ExpireAt: time.Now().Unix() + 3600}, nil
			default:
				return &gyre.RefreshProxyResult{Expired: true}, nil
			}
		},
	}
	n := newTestNode(t, func(c *Config) {
		c.Client.Insecure = false
		c.Proxies = Proxies{Connect: fp, Refresh: fp}
	})
	rs, tr := proxySession(t, n, &protocol.Command{Id: 1, Connect: &protocol.ConnectRequest{}})
	if rs[0].Connect == nil || rs[0].Connect.Expires || rs[0].Connect.Ttl != 0 {
		t.Fatalf("with a refresh proxy the client must not refresh itself: %+v", rs[0])
	}
	select {
	case <-refreshed:
	case <-time.After(5 * time.Second):
		t.Fatal("refresh proxy not called at expiry")
	}
	select {
	case d := <-tr.closed:
		t.Fatalf("closed with %v after a successful refresh", d)
	default:
	}
}

// TestConnectErrorReachesClientBeforeClose: a refused connect followed by
// another command in the same frame (as SDKs send them) gives the error
// reply first, then close 3501.
func TestConnectErrorReachesClientBeforeClose(t *testing.T) {
	fp := &fakeProxy{connect: func(gyre.ConnectProxyRequest) (*gyre.ConnectProxyResult, error) {
		return nil, gyre.Error{Code: 401, Message: "unauthorized"}
	}}
	n := proxiedNode(t, fp)
	tr := newFakeTransport(protocol.TypeJSON)
	s, err := n.NewSession(tr, ConnInfo{})
	if err != nil {
		t.Fatal(err)
	}
	s.HandleFrame(encodeCommands(t, protocol.TypeJSON,
		&protocol.Command{Id: 1, Connect: &protocol.ConnectRequest{}},
		&protocol.Command{Id: 2, Subscribe: &protocol.SubscribeRequest{Channel: "p:x"}},
	))
	select {
	case d := <-tr.closed:
		if d.Code != 3501 {
			t.Fatalf("closed with %d, want 3501", d.Code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("not closed")
	}
	rs := tr.replies(t)
	if len(rs) != 1 || rs[0].Error == nil || rs[0].Error.Code != 401 {
		t.Fatalf("replies before close = %+v, want the connect error 401", rs)
	}
}
