package node

import (
	"github.com/centrifugal/protocol"
	"github.com/gyrehq/gyre"
)

// Transport is the write side of a client connection. Reading is the
// transport's own job: it calls Session.HandleFrame for every frame it
// receives and Session.Closed when the connection ends.
//
// The node calls Write from at most one goroutine at a time and never
// concurrently with Close.
type Transport interface {
	// Name is the transport name sent to proxies ("websocket").
	Name() string
	// Protocol is the negotiated encoding.
	Protocol() protocol.Type
	// Write sends one frame holding one or more already framed messages.
	Write(frame []byte) error
	// Close sends the disconnect (in the close frame for WebSocket) and
	// closes the connection. DisconnectConnectionClosed closes without a
	// close frame.
	Close(d gyre.Disconnect) error
}

// TryWriter is implemented by transports that can write without waiting
// for the socket (the WebSocket transport on plain sockets). The node then
// writes publications from the fan-out goroutine instead of starting a
// flush goroutine per connection; a connection whose socket is full gets
// one, which calls Flush.
type TryWriter interface {
	// CanTryWrite reports, once for the connection, whether TryWrite works.
	CanTryWrite() bool
	// TryWrite writes frame (as Write) without waiting. It returns true
	// when the frame went out whole; otherwise the transport keeps the rest
	// and sends it before anything else, at the latest in Flush.
	TryWrite(frame []byte) (bool, error)
	// Flush sends what TryWrite kept, waiting within the write timeout.
	Flush() error
}

// ConnInfo is what the transport knows about the connection's request.
type ConnInfo struct {
	RemoteAddr string
	// Header holds the request headers the transport kept (canonical keys,
	// as in net/http).
	Header map[string][]string
}
