// Package bridgegrpc serves a bridge.Bridge as the gRPC proxy service
// (centrifugal.centrifugo.proxy.CentrifugoProxy) that a Gyre or Centrifugo
// server calls at its gRPC proxy endpoint (grpc://host:port).
//
// The listen address follows the seed's proxy_address: tcp://host:port,
// host:port, or unix:///path (a stale socket file is removed first). TLS
// is optional (the seed's proxy listener had none). The gzip compressor is
// registered, so compressed calls (the server's grpc.compression /
// use_compressor) are accepted and answered compressed.
//
// The gRPC deadline the server sets (its proxy timeout) is the deadline of
// the handler's context.
//
// # Concurrency
//
// A Server is safe for concurrent use; gRPC runs each call on its own
// goroutine and the bridge dispatches on it. Shutdown may be called from
// any goroutine, once.
package bridgegrpc
