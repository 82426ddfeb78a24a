// Package grpcapi serves Gyre's server API (package api) over gRPC with
// Centrifugo v6's wire contract (PROTOCOL.md §5.3): the service
// centrifugal.centrifugo.api.CentrifugoApi of the generated package
// bridge/apipb, so that clients generated from Centrifugo's api.proto (for
// example RoadRunner's centrifuge plugin) work unchanged.
//
// A Server is a thin adapter: every gRPC method converts its apipb request
// into the matching api request type, calls the api.Service method and
// converts the result back. The conversions are listed once (convert.go) and
// shared by the unary methods and Batch, whose commands the Service runs
// itself. The OSS methods are served (Batch, Publish, Broadcast, Subscribe,
// Unsubscribe, Disconnect, Presence, PresenceStats, History, HistoryRemove,
// Info, RPC, Refresh, Channels); Centrifugo PRO methods answer
// codes.Unimplemented, and a PRO command inside a batch gets 104 not found.
//
// Protobuf bytes fields (data, info, params, conn_info, chan_info) are
// passed through as given: raw JSON for JSON payloads, or binary. The b64*
// twins carry base64 binary and win when non-empty, as over HTTP.
//
// Errors: by default an API error comes back in-band, in the error field of
// the XxxResponse (code and message), with a nil gRPC error. In transport
// error mode (Config.ErrorModeTransport, or the request metadata
// x-centrifugo-error-mode: transport) it comes back as a gRPC status instead:
// 100→Internal, 102 and 104→NotFound, 107 and 108→InvalidArgument,
// 112→OutOfRange, 113→AlreadyExists, any other code→Internal, with the
// message as status message and the apipb.Error as status detail. Batch
// never fails as a whole, so its per-command errors always stay in-band.
//
// Authentication is a unary interceptor (Server.UnaryInterceptor): when
// Config.Key is set, the metadata authorization must be exactly
// "apikey <KEY>", otherwise the call fails with codes.Unauthenticated. With
// an empty key the API is open, as in Centrifugo (protect it with the
// network, mTLS or a key). The interceptor guards every unary method of the
// grpc.Server it is installed on.
//
// A panic while serving a call (for example in the Backend) is recovered,
// logged to Config.Logger and answered with codes.Internal; grpc-go itself
// does not recover handler panics.
//
// Typical wiring:
//
//	srv := grpcapi.NewServer(service, grpcapi.Config{Key: key})
//	gs := grpc.NewServer(grpc.UnaryInterceptor(srv.UnaryInterceptor()))
//	grpcapi.Register(gs, srv)
//	go gs.Serve(listener)
package grpcapi
