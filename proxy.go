package gyre

import "context"

// ProxyClient describes the connection an event comes from; it is sent with
// every proxy request.
type ProxyClient struct {
	// ClientID is the connection's client ID.
	ClientID string
	// Transport is "websocket" (or another transport name).
	Transport string
	// Protocol is "json" or "protobuf".
	Protocol string
	// User is the connection's user ID ("" for anonymous or before connect).
	User string
	// Meta is the connection meta (from the token or the connect proxy);
	// proxies send it only when include_connection_meta is on.
	Meta []byte
	// Headers are the connection's HTTP request headers; proxies forward
	// only those listed in their http_headers allow-list.
	Headers map[string][]string
}

// ConnectProxyRequest asks the application to authenticate a connection.
type ConnectProxyRequest struct {
	Client  ProxyClient
	Data    []byte
	Name    string
	Version string
	// Channels requested by unidirectional clients.
	Channels []string
}

// ConnectProxyResult is the application's answer to a connect. A nil result
// with a nil error means "no credentials".
type ConnectProxyResult struct {
	User string
	// ExpireAt in Unix seconds; 0 means the connection does not expire.
	ExpireAt int64
	Info     []byte
	Data     []byte
	Channels []string
	Subs     map[string]SubscribeGrant
	Meta     []byte
}

// RefreshProxyRequest asks the application to extend a connection.
type RefreshProxyRequest struct {
	Client ProxyClient
}

// RefreshProxyResult extends (or expires) a connection.
type RefreshProxyResult struct {
	Expired  bool
	ExpireAt int64
	Info     []byte
	Meta     []byte
}

// SubscribeProxyRequest asks the application whether a client may subscribe.
type SubscribeProxyRequest struct {
	Client  ProxyClient
	Channel string
	Token   string
	Data    []byte
}

// PublishProxyRequest asks the application whether a client may publish.
type PublishProxyRequest struct {
	Client  ProxyClient
	Channel string
	Data    []byte
}

// PublishProxyResult may rewrite the publication.
type PublishProxyResult struct {
	// Data, when non-nil, replaces the published data.
	Data           []byte
	SkipHistory    bool
	Tags           map[string]string
	IdempotencyKey string
}

// SubRefreshProxyRequest asks the application to extend a subscription.
type SubRefreshProxyRequest struct {
	Client  ProxyClient
	Channel string
}

// SubRefreshProxyResult extends (or expires) a subscription.
type SubRefreshProxyResult struct {
	Expired  bool
	ExpireAt int64
	Info     []byte
}

// RPCProxyRequest forwards a client RPC.
type RPCProxyRequest struct {
	Client ProxyClient
	Method string
	Data   []byte
}

// Proxy errors: a proxy returns an Error (the application's error, passed to
// the client as is), a Disconnect (the application closes the connection),
// or any other error for a failed call (down, timeout, garbage), which the
// server turns into ErrInternal and logs with the proxy's name.

// ConnectProxy calls the application on connect.
type ConnectProxy interface {
	ProxyConnect(ctx context.Context, req ConnectProxyRequest) (*ConnectProxyResult, error)
}

// RefreshProxy calls the application when a connection expires.
type RefreshProxy interface {
	ProxyRefresh(ctx context.Context, req RefreshProxyRequest) (*RefreshProxyResult, error)
}

// SubscribeProxy calls the application on subscribe; the grant may override
// channel options and carry data for the client.
type SubscribeProxy interface {
	ProxySubscribe(ctx context.Context, req SubscribeProxyRequest) (*SubscribeGrant, error)
}

// PublishProxy calls the application on client publish.
type PublishProxy interface {
	ProxyPublish(ctx context.Context, req PublishProxyRequest) (*PublishProxyResult, error)
}

// SubRefreshProxy calls the application when a subscription expires.
type SubRefreshProxy interface {
	ProxySubRefresh(ctx context.Context, req SubRefreshProxyRequest) (*SubRefreshProxyResult, error)
}

// RPCProxy forwards client RPC calls to the application.
type RPCProxy interface {
	ProxyRPC(ctx context.Context, req RPCProxyRequest) ([]byte, error)
}
