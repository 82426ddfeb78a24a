package ws

import (
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gyrehq/gyre/internal/rawsock"
)

// Conn is a server-side WebSocket connection created by Upgrade.
//
// Its input is read either by ReadMessage (one goroutine blocked in a read
// per connection) or pushed with Feed by a readiness-based reader (no
// goroutine while idle); a connection uses one of the two. One goroutine at
// a time may call ReadMessage or Feed. WriteMessage, WritePing, WriteClose,
// the deadline setters and Close are safe for concurrent use, also
// concurrently with ReadMessage and Feed.
//
// Between messages a Conn holds no buffers besides a 14-byte header array;
// everything else is taken from pools for the duration of a frame.
type Conn struct {
	nc net.Conn
	rc syscall.RawConn // raw writes (writeAll); nil when nc is not a plain socket

	writeTimeout time.Duration // SetWriteTimeout; read-only once in use

	// Read side; owned by the goroutine calling ReadMessage.
	hdr          [14]byte  // frame header: 2 fixed bytes + up to 8 length bytes + 4 mask bytes
	rs           readState // partial frame and message (parse.go)
	pending      []byte    // bytes read by the HTTP server past the request; nil once consumed
	readLimit    int64
	inflateLimit int64
	rerr         error // sticky read error
	onPong       func(data []byte)

	// Negotiated at upgrade time; read-only afterwards.
	subprotocol string
	compress    bool
	compLevel   int8
	compMin     int

	// Write side, guarded by wmu.
	wmu       sync.Mutex
	closeSent bool
	werr      error   // sticky write error
	rest      *[]byte // bytes TryWriteMessage could not write yet (Flush); rare, so a pointer

	closed atomic.Bool
}

// newConn wraps nc. pending holds bytes already read from nc that belong to
// the WebSocket stream; newConn copies them.
func newConn(nc net.Conn, pending []byte, o *UpgradeOptions) *Conn {
	c := &Conn{nc: nc, rc: rawsock.RawConn(nc)}
	c.rs.expect(unitHeader, 0, 2)
	if len(pending) > 0 {
		c.pending = append([]byte(nil), pending...)
	}
	c.readLimit = DefaultReadLimit
	c.compLevel = DefaultCompressionLevel
	if o != nil {
		if o.ReadLimit > 0 {
			c.readLimit = o.ReadLimit
		}
		if o.CompressionLevel >= 1 && o.CompressionLevel <= 9 {
			c.compLevel = int8(o.CompressionLevel)
		}
		if o.CompressionMinSize > 0 {
			c.compMin = o.CompressionMinSize
		}
		c.inflateLimit = o.DecompressedReadLimit
		c.onPong = o.OnPong
	}
	if c.inflateLimit <= 0 {
		c.inflateLimit = 10 * c.readLimit
		if c.inflateLimit < c.readLimit { // overflow
			c.inflateLimit = c.readLimit
		}
	}
	return c
}

// Subprotocol returns the subprotocol selected during the handshake, or ""
// if none was.
func (c *Conn) Subprotocol() string { return c.subprotocol }

// Compressed reports whether permessage-deflate was negotiated.
func (c *Conn) Compressed() bool { return c.compress }

// NetConn returns the underlying network connection, for registering it
// with a readiness poller. Reading from it directly would corrupt the
// WebSocket stream: deliver what is read to Feed instead.
func (c *Conn) NetConn() net.Conn { return c.nc }

// RemoteAddr returns the remote network address of the underlying
// connection.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// LocalAddr returns the local network address of the underlying connection.
func (c *Conn) LocalAddr() net.Addr { return c.nc.LocalAddr() }

// SetReadDeadline sets the deadline for future and pending ReadMessage
// calls. A zero value means no deadline. After a deadline is exceeded the
// connection is unusable for reading.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.nc.SetReadDeadline(t) }

// SetWriteDeadline sets the deadline for future and pending writes,
// including pongs and close frames sent by ReadMessage. A zero value means
// no deadline. After a write times out the connection is unusable for
// writing.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.nc.SetWriteDeadline(t) }

// Close closes the underlying network connection without sending a close
// frame (use WriteClose for that). It unblocks pending reads and writes.
// Calls after the first return nil.
func (c *Conn) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return nil
	}
	return c.nc.Close()
}
