package node

import (
	"context"
	"errors"
	"time"

	"github.com/gyrehq/gyre"
)

// Proxies are the application backends the node calls for client events.
// Named maps are keyed by proxy name; "default" is the one configured under
// channel.proxy.* (or rpc.proxy).
type Proxies struct {
	Connect    gyre.ConnectProxy
	Refresh    gyre.RefreshProxy
	Subscribe  map[string]gyre.SubscribeProxy
	Publish    map[string]gyre.PublishProxy
	SubRefresh map[string]gyre.SubRefreshProxy
	RPC        map[string]gyre.RPCProxy
}

// RPCNamespace selects the RPC proxy for methods "name:..." (or for methods
// without a namespace).
type RPCNamespace struct {
	ProxyEnabled bool
	ProxyName    string
}

// proxyExtension is how long a connection or subscription is extended when
// its refresh proxy fails, before the next try.
const proxyExtension = 60 * time.Second

// proxyCallTimeout bounds a proxy call on top of the proxy's own timeout.
const proxyCallTimeout = 30 * time.Second

func proxyName(name string) string {
	if name == "" {
		return "default"
	}
	return name
}

// proxyClient describes the session to a proxy.
func (s *Session) proxyClient() gyre.ProxyClient {
	s.mu.Lock()
	defer s.mu.Unlock()
	return gyre.ProxyClient{
		ClientID:  s.id,
		Transport: s.transport.Name(),
		Protocol:  string(s.transport.Protocol()),
		User:      s.user,
		Meta:      s.meta,
		Headers:   s.conn.Header,
	}
}

// proxyErr maps a proxy error onto what the client gets: the application's
// Error or Disconnect as is, anything else (the call failed) as an internal
// error, logged and counted.
func (n *Node) proxyErr(event string, err error) error {
	var e gyre.Error
	if errors.As(err, &e) {
		return e
	}
	if d, ok := gyre.AsDisconnect(err); ok {
		return d
	}
	n.log.Error("proxy call failed", "event", event, "error", err)
	n.metrics.IncProxyError(event)
	return gyre.ErrInternal
}

func proxyCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), proxyCallTimeout)
}

// AllProxies is implemented by proxy clients that serve every event type
// (Gyre's HTTP and gRPC proxies do).
type AllProxies interface {
	gyre.ConnectProxy
	gyre.RefreshProxy
	gyre.SubscribeProxy
	gyre.PublishProxy
	gyre.SubRefreshProxy
	gyre.RPCProxy
}
