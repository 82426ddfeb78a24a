package websocket

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gyrehq/gyre/internal/netpoll"
	"github.com/gyrehq/gyre/internal/ws"
	"github.com/gyrehq/gyre/node"
)

// Read modes (Config.ReadMode).
const (
	// ReadModeGoroutine reads every connection with a goroutine blocked in
	// ws.Conn.ReadMessage.
	ReadModeGoroutine = "goroutine"
	// ReadModeEpoll registers connections with the epoll-based poller
	// (internal/netpoll) and reads them only when they have data; an idle
	// connection has no goroutine. Linux only: elsewhere, and for
	// connections without a socket descriptor (TLS), the handler uses
	// ReadModeGoroutine.
	ReadModeEpoll = "epoll"
)

// readBufSize is the size of the buffer a readiness callback reads into.
const readBufSize = 4096

// readBufs pools the read buffers; a buffer is held only while a callback
// runs.
var readBufs = sync.Pool{New: func() any { return new([readBufSize]byte) }}

// errServerClosed ends the read side of a polled connection that the
// server closed (transport.Close, or no close frame from the client within
// closeWait).
var errServerClosed = errors.New("websocket: connection closed by the server")

// polledConn is a connection read through the poller. Its callback
// (onReady) runs on a goroutine of the poller's only while the socket has
// data, and never concurrently with itself, so frames are handed to the
// session one at a time and in order, as in the read loop.
type polledConn struct {
	h      *Handler
	conn   *ws.Conn
	sess   *node.Session
	handle func(op ws.OpCode, payload []byte) bool // pc.onMessage, bound once

	desc  atomic.Pointer[netpoll.Desc]
	stop  atomic.Bool                // the server closed the connection: end on the next callback
	timer atomic.Pointer[time.Timer] // close-wait timer after a close frame was sent

	// Owned by the callback.
	ended   bool // finish ran
	stopped bool // HandleFrame returned false
}

// newPolled prepares reading t's connection through the poller; nil when
// the connection has no socket descriptor (TLS). It is set on t before the
// session exists, so that a Close of the session before registration
// already takes the polled path.
func newPolled(h *Handler, t *transport) *polledConn {
	if _, ok := t.conn.NetConn().(syscall.Conn); !ok {
		return nil
	}
	pc := &polledConn{h: h, conn: t.conn}
	pc.handle = pc.onMessage
	t.pc.Store(pc)
	return pc
}

// register hands the connection to the poller. It returns false, with
// nothing registered and t back in goroutine mode, when that fails; the
// caller then runs the read loop.
func (pc *polledConn) register(p *netpoll.Poller, t *transport, sess *node.Session) bool {
	pc.sess = sess
	// Read before Add: from then on the callback owns the read side.
	buffered := pc.conn.Buffered() > 0
	pc.h.conns.Add(1)
	d, err := p.Add(pc.conn.NetConn().(syscall.Conn), pc.onReady)
	if err != nil {
		t.pc.Store(nil)
		pc.h.conns.Done()
		pc.h.log.Debug("websocket poller registration failed", "error", err)
		if pc.stop.Load() {
			_ = pc.conn.Close()
		}
		return false
	}
	pc.desc.Store(d)
	// Bytes that arrived with the upgrade request do not make the socket
	// readable; a close requested before the Desc was stored found no
	// Desc to trigger.
	if buffered || pc.stop.Load() {
		d.Trigger()
	}
	return true
}

// abort ends the connection from outside the callback: the callback runs
// (now, or after the running call) and finishes it.
func (pc *polledConn) abort() {
	pc.stop.Store(true)
	if d := pc.desc.Load(); d != nil {
		d.Trigger()
	}
}

// closeAfter ends the connection after closeWait unless the client's
// close frame ends it first.
func (pc *polledConn) closeAfter(wait time.Duration) {
	pc.timer.Store(time.AfterFunc(wait, pc.abort))
}

// onReady is the poller callback: it reads until the socket has no more
// data and feeds what it read to the WebSocket parser.
func (pc *polledConn) onReady(d *netpoll.Desc) {
	if pc.ended {
		return
	}
	if pc.stop.Load() {
		pc.finish(d, pc.conn.FeedEnd(errServerClosed))
		return
	}
	if pc.conn.Buffered() > 0 {
		if err := pc.conn.Feed(nil, pc.handle); err != nil || pc.stopped {
			pc.finish(d, err)
			return
		}
	}
	buf := readBufs.Get().(*[readBufSize]byte)
	defer readBufs.Put(buf)
	for {
		n, err := d.Read(buf[:])
		if n > 0 {
			if ferr := pc.conn.Feed(buf[:n], pc.handle); ferr != nil || pc.stopped {
				pc.finish(d, ferr)
				return
			}
		}
		switch {
		case err == netpoll.ErrWouldBlock:
			return
		case errors.Is(err, net.ErrClosed) && pc.stop.Load():
			pc.finish(d, pc.conn.FeedEnd(errServerClosed))
			return
		case err != nil:
			if err == io.EOF {
				err = nil // FeedEnd reports io.EOF or io.ErrUnexpectedEOF
			}
			pc.finish(d, pc.conn.FeedEnd(err))
			return
		}
	}
}

// onMessage hands one message to the session, like the read loop.
func (pc *polledConn) onMessage(_ ws.OpCode, payload []byte) bool {
	if !pc.sess.HandleFrame(payload) {
		pc.stopped = true
		return false
	}
	return true
}

// finish ends the connection: it leaves the poller before the socket is
// closed, tells the session when the read side failed (err != nil; when
// HandleFrame returned false the session is closed already), and counts
// the connection out for Handler.Wait.
func (pc *polledConn) finish(d *netpoll.Desc, err error) {
	pc.ended = true
	if t := pc.timer.Load(); t != nil {
		t.Stop()
	}
	_ = d.Remove()
	_ = pc.conn.Close()
	if err != nil {
		pc.h.logReadEnd(pc.sess, err)
		pc.sess.Closed()
	}
	pc.h.conns.Done()
}
