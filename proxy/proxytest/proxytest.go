// Package proxytest holds the conformance table every proxy transport
// (proxy/httpproxy, proxy/grpcproxy) runs, and the fake application
// backends it runs against: an HTTP server speaking Centrifugo's HTTP proxy
// JSON and a gRPC server implementing proxypb.CentrifugoProxyServer, both
// listening on 127.0.0.1:0.
//
// A test case describes the backend's behaviour once, as a [Handler] that
// sees a transport-neutral [Request] and returns a transport-neutral
// [Reply]; each backend translates both to and from its wire format. [Run]
// then checks what the proxy returns in gyre terms.
package proxytest

import (
	"context"
	"testing"
	"time"

	"github.com/gyrehq/gyre"
)

// Request is a proxy request as the backend received it.
type Request struct {
	// Event is the gRPC method (Connect, Refresh, …) for the gRPC backend,
	// or the URL path without its leading slash for the HTTP backend.
	Event     string
	Client    string
	Transport string
	Protocol  string
	Encoding  string
	// HasUser reports whether the request carried the user field (always
	// true over gRPC, where every field is implicitly present).
	HasUser  bool
	User     string
	Channel  string
	Token    string
	Method   string
	Name     string
	Version  string
	Channels []string
	// Data is the raw payload: JSON over HTTP, bytes over gRPC.
	Data    []byte
	B64Data string
	Meta    []byte
	// Headers holds HTTP headers or gRPC metadata, keys in lower case.
	Headers map[string][]string
}

// RPCResult is the Reply.Result of an RPC.
type RPCResult struct{ Data []byte }

// Reply is what the backend answers.
type Reply struct {
	Error      *gyre.Error
	Disconnect *gyre.Disconnect
	// Result is nil (no result) or one of *gyre.ConnectProxyResult,
	// *gyre.RefreshProxyResult, *gyre.SubscribeGrant (subscribe result),
	// *gyre.PublishProxyResult, *gyre.SubRefreshProxyResult or *RPCResult,
	// matching the event.
	Result any
	// B64 sends info and data as their b64 twins.
	B64 bool
}

// Handler is the fake application: it answers one request. ctx ends when
// the proxy gives up on the call.
type Handler func(ctx context.Context, req *Request) *Reply

// Options are the proxy settings a case needs; each transport maps them
// onto its own Config.
type Options struct {
	Timeout     time.Duration
	Headers     []string
	Static      map[string]string
	Binary      bool
	IncludeMeta bool
}

// Proxy is what both transports implement.
type Proxy interface {
	gyre.ConnectProxy
	gyre.RefreshProxy
	gyre.SubscribeProxy
	gyre.PublishProxy
	gyre.SubRefreshProxy
	gyre.RPCProxy
	Close() error
}

// Transport plugs one proxy transport into Run.
type Transport struct {
	// Serve starts a backend answering with h and returns its host:port;
	// the backend stops at the end of the test.
	Serve func(t *testing.T, h Handler) string
	// Endpoint turns a host:port into the transport's endpoint.
	Endpoint func(addr string) string
	// New creates a proxy for endpoint; Run closes it.
	New func(t *testing.T, endpoint string, o Options) Proxy
	// ErrProxyFailed is the transport's failure sentinel.
	ErrProxyFailed error
}
