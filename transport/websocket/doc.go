// Package websocket serves client protocol v2 over WebSocket at
// /connection/websocket: it upgrades HTTP requests with Gyre's own RFC 6455
// implementation (internal/ws), selects JSON or Protobuf, and adapts the
// connection to node.Transport. The handler goroutine is the read loop.
package websocket
