// Package websocket serves client protocol v2 over WebSocket at
// /connection/websocket: it upgrades HTTP requests with Gyre's own RFC 6455
// implementation (internal/ws), selects JSON or Protobuf, and adapts the
// connection to node.Transport.
//
// Connections are read in one of two modes (Config.ReadMode, config key
// websocket.read_mode, a Gyre extension). In the epoll mode (the default on
// Linux) the upgrade handler registers the socket with internal/netpoll and
// returns; when the socket has data a short-lived goroutine reads it
// without blocking, pushes it into ws.Conn.Feed and hands every message to
// Session.HandleFrame, so an idle connection parks no goroutine. In the
// goroutine mode (the fallback: other platforms, TLS connections) a read
// loop goroutine per connection blocks in ws.Conn.ReadMessage. Either way a
// connection's frames are handled one at a time, in order, and
// Handler.Wait returns when every connection has ended.
package websocket
