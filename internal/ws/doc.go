// Package ws is a small server-side implementation of the WebSocket
// protocol (RFC 6455) with optional per-message compression
// (permessage-deflate, RFC 7692, without context takeover).
//
// It is built to carry Gyre's client protocol, where a server holds very
// many mostly idle connections, so it optimises for memory per idle
// connection and for cheap writes:
//
//   - A Conn keeps no read or write buffers between messages. While it
//     waits for the next frame it blocks on a read into a small array that
//     is part of the Conn itself (the two bytes of a frame header). Buffers
//     for the rest of the frame come from size-classed sync.Pools and go
//     back to them when the caller releases the message.
//   - The HTTP server's bufio buffers are not retained after the upgrade;
//     bytes the server had already read past the request (a client may send
//     its first frame together with the handshake) are copied out first.
//   - Every WriteMessage call sends exactly one frame, with the header and
//     the payload handed to the kernel in a single write where possible.
//
// Use Upgrade from an http.Handler to accept a connection, then either run
// one goroutine that calls ReadMessage in a loop, or, without a goroutine
// per connection, wait for the socket to become readable (see
// internal/netpoll), read whatever arrived without blocking and push it
// into Feed, which keeps the partial frame between calls and calls back for
// every complete message (FeedEnd at EOF). Both read paths drive one frame
// parser (parse.go), so they enforce the same checks and limits and answer
// pings and close frames the same way. Writes (WriteMessage,
// WritePing, WriteClose) are safe to call from any number of goroutines,
// concurrently with the reader. ReadMessage answers pings and close frames
// by itself.
//
// Messages returned by ReadMessage live in pooled memory: the payload is
// valid until the returned release function is called, and release must be
// called exactly once.
//
// A typical close sequence on the server side is WriteClose, then
// ReadMessage until it returns a *CloseError (with a read deadline), then
// Close.
package ws
