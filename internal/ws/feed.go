package ws

import (
	"errors"
	"io"
)

// ErrFeedStopped is returned by Feed and FeedEnd after a message handler
// returned false: the rest of the input was not parsed.
var ErrFeedStopped = errors.New("websocket: reading stopped by the message handler")

// Buffered reports how many bytes the HTTP server had read past the
// upgrade request (frames the client sent right behind it). A reader that
// waits for readiness of the socket must first call Feed(nil, handle)
// when it is not zero: those bytes will not make the socket readable.
func (c *Conn) Buffered() int { return len(c.pending) }

// Feed is the push (readiness-based) counterpart of ReadMessage: it parses
// p, the next bytes received from the peer, which may hold any number of
// frames or end anywhere inside one; the connection keeps the partial
// frame until the next call. For every complete data message it calls
// handle with the opcode and the payload, which is only valid during the
// call. If handle returns false, Feed stops and returns nil without
// parsing the rest of p; the read side is then finished (later calls
// return ErrFeedStopped).
//
// Feed consumes the bytes the HTTP server had buffered past the request
// before p. It checks, answers and reports exactly what ReadMessage does:
// pings are answered, pongs reported to UpgradeOptions.OnPong, a close
// frame is echoed and returned as a *CloseError, protocol violations and
// oversized messages send 1002/1007/1009 close frames and return a
// *ProtocolError or ErrMessageTooBig. Errors are sticky. Buffers are taken
// from the pools only while a message is incomplete; Feed does not retain
// p.
//
// When the connection reports EOF or an error, call FeedEnd. Feed and
// FeedEnd must not be called concurrently with each other or with
// ReadMessage.
func (c *Conn) Feed(p []byte, handle func(op OpCode, payload []byte) bool) error {
	if c.rerr != nil {
		return c.rerr
	}
	for len(c.pending) > 0 || len(p) > 0 {
		var n int
		if len(c.pending) > 0 {
			n = copy(c.dst(), c.pending)
			c.pending = c.pending[n:]
			if len(c.pending) == 0 {
				c.pending = nil
			}
		} else {
			n = copy(c.dst(), p)
			p = p[n:]
		}
		if !c.filled(n) {
			continue
		}
		m, done, err := c.step()
		if err != nil {
			c.rerr = err
			return err
		}
		if !done {
			continue
		}
		ok := handle(m.op, m.data)
		if m.bf != nil {
			m.bf.put()
		}
		if !ok {
			c.dropRead()
			c.pending = nil
			c.rerr = ErrFeedStopped
			return nil
		}
	}
	return nil
}

// FeedEnd tells a connection read with Feed that its input ended: err is
// the read error, nil for EOF. It releases a partial frame and returns
// the error ReadMessage would have returned at that point (io.EOF,
// io.ErrUnexpectedEOF inside a frame, or err), which is also sticky. If
// the read side had already failed it returns that earlier error.
func (c *Conn) FeedEnd(err error) error {
	if c.rerr != nil {
		return c.rerr
	}
	if err == nil {
		err = io.EOF
	}
	c.pending = nil
	c.rerr = c.inputEnded(err)
	return c.rerr
}
