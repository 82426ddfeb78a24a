// Package apiclient calls a Gyre (or Centrifugo v6) server API from the
// application: every CentrifugoApi method over gRPC (apipb) or over the
// HTTP JSON API, with an API key, timeouts, gzip and TLS — what the seed's
// RoadRunner plugin lacked (issue #10 of SEED-SYSTEM.md §5) — and a
// Broadcaster that publishes to topics with history on or off.
//
// Methods take and return the generated apipb messages. The server's
// in-band API error ({"error":{code,message}}) is returned as *Error; a
// transport failure (server down, 401, 404 for a method the server does
// not serve, timeout) as any other error. A gRPC client connects lazily:
// calls made before the server is reachable fail with an error instead of
// panicking on a nil client (the seed's "not ready" bug).
//
// Over HTTP, request and result messages are encoded with Centrifugo's
// JSON names (snake_case), payload fields (data, info, params, conn_info,
// chan_info) are raw JSON; a payload that is not valid JSON is sent in its
// b64 twin (b64data, b64info) when the message has one.
//
// # Concurrency
//
// A Client and a Broadcaster are safe for concurrent use. Close the
// Client when done.
package apiclient
