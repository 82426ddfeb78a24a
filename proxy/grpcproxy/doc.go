// Package grpcproxy calls the application over gRPC for client events:
// Gyre is a client of the service centrifugal.centrifugo.proxy.CentrifugoProxy
// (package [proxypb]), exactly as Centrifugo v6 is, so backends written for
// Centrifugo's gRPC proxy (such as the RoadRunner centrifuge plugin) work
// unchanged.
//
// A [Proxy] implements every proxy interface of the root package
// ([gyre.ConnectProxy], [gyre.RefreshProxy], [gyre.SubscribeProxy],
// [gyre.PublishProxy], [gyre.SubRefreshProxy] and [gyre.RPCProxy]) with the
// unary RPCs Connect, Refresh, Subscribe, Publish, RPC and SubRefresh. It
// opens one *grpc.ClientConn lazily, on the first call, and [Proxy.Close]
// closes it.
//
// Request payloads go in the bytes fields (data, meta); with BinaryEncoding
// the request instead carries base64 in the string field b64data and says
// encoding "binary", as Centrifugo does for both proxy transports. In
// results, a non-empty b64 field wins over its bytes twin, except in
// publish, where non-empty data wins over b64data.
//
// Allow-listed client headers (http_headers, case-insensitive) and
// metadata keys (grpc_metadata) are sent as outgoing metadata with
// lower-case keys, after the static metadata (so they override it); the
// credentials key/value pair is sent as per-RPC metadata; Compression turns
// on gzip for requests.
//
// The response's disconnect wins over its error, which wins over its
// result; they are returned as [gyre.Disconnect] and [gyre.Error]. Failed
// calls — an unreachable backend, the timeout, a gRPC status error, a
// malformed base64 field — return an error wrapping [ErrProxyFailed] that
// names the proxy and the event.
//
// [proxypb]: https://pkg.go.dev/github.com/gyrehq/gyre/bridge/proxypb
package grpcproxy
