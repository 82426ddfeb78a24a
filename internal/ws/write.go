package ws

import (
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/gyrehq/gyre/internal/rawsock"
)

// iovec holds what a vectored write needs: the frame header and the
// net.Buffers handed to the connection. It is pooled rather than kept in
// every Conn, since only writes of large payloads use it.
type iovec struct {
	hdr  [maxServerHeader]byte
	iov  [2][]byte
	bufs net.Buffers
}

var iovecPool = sync.Pool{New: func() any { return new(iovec) }}

// getIovec takes an iovec from the pool.
func getIovec() *iovec { return iovecPool.Get().(*iovec) }

// putIovec drops the payload references of v and returns it to the pool.
func putIovec(v *iovec) {
	v.iov = [2][]byte{}
	v.bufs = nil
	iovecPool.Put(v)
}

// copyWriteMax is the largest payload that is copied behind its header into
// a pooled scratch buffer and sent with one Write call. Larger payloads are
// sent with net.Buffers (writev on TCP connections) to avoid the copy.
const copyWriteMax = 4096 - maxServerHeader

// WriteMessage sends payload as a single, unfragmented frame. op must be
// OpText or OpBinary; the caller is responsible for text payloads being
// valid UTF-8. When compression was negotiated and the payload is at least
// CompressionMinSize bytes long, the message is sent compressed.
//
// WriteMessage is safe for concurrent use; frames from concurrent calls
// never interleave. It returns ErrCloseSent after a close frame was sent.
// After a write error the connection is unusable and every later write
// returns the same error.
func (c *Conn) WriteMessage(op OpCode, payload []byte) error {
	if op != OpText && op != OpBinary {
		return ErrInvalidOpCode
	}
	if c.compress && len(payload) >= c.compMin {
		return c.writeCompressed(op, payload)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return ErrCloseSent
	}
	return c.writeFrameLocked(finBit|byte(op), payload)
}

// WritePing sends a ping frame with the given application data (at most
// 125 bytes). The peer's pong is reported to UpgradeOptions.OnPong by the
// goroutine calling ReadMessage.
func (c *Conn) WritePing(data []byte) error {
	if len(data) > maxControlPayload {
		return ErrControlTooBig
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return ErrCloseSent
	}
	return c.writeFrameLocked(finBit|byte(OpPing), data)
}

// writePong answers a ping. Nothing is sent once a close frame went out.
func (c *Conn) writePong(data []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return nil
	}
	return c.writeFrameLocked(finBit|byte(OpPong), data)
}

// CanTryWrite reports whether TryWriteMessage can be used: the connection is
// a plain socket and sends uncompressed frames.
func (c *Conn) CanTryWrite() bool { return c.rc != nil && !c.compress }

// TryWriteMessage sends payload as one frame like WriteMessage, but never
// waits for the socket: it makes one pass of non-blocking writes. It returns
// true when the whole frame went out. Otherwise the connection keeps what
// was not written (copied), and the caller must call Flush, which waits for
// the socket; every other write sends the kept bytes first, so frames never
// interleave. It requires CanTryWrite.
func (c *Conn) TryWriteMessage(op OpCode, payload []byte) (bool, error) {
	if op != OpText && op != OpBinary {
		return false, ErrInvalidOpCode
	}
	if !c.CanTryWrite() {
		return false, ErrTryWrite
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return false, ErrCloseSent
	}
	if c.werr != nil {
		return false, c.werr
	}
	bf := getBuffer(maxServerHeader + len(payload))
	defer bf.put()
	off := putServerHeader(bf.b[:maxServerHeader], finBit|byte(op), len(payload))
	frame := bf.b[off : maxServerHeader+copy(bf.b[maxServerHeader:], payload)]
	if c.rest != nil {
		*c.rest = append(*c.rest, frame...)
		return false, nil
	}
	n, full, err := rawsock.TryWrite(c.rc, frame)
	if err != nil {
		c.werr = c.opError(err)
		return false, c.werr
	}
	if !full {
		return true, nil
	}
	rest := append([]byte(nil), frame[n:]...)
	c.rest = &rest
	return false, nil
}

// Flush sends what TryWriteMessage kept, waiting for the socket within the
// write timeout.
func (c *Conn) Flush() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.werr != nil {
		return c.werr
	}
	return c.flushRestLocked()
}

// flushRestLocked writes the bytes TryWriteMessage kept. c.wmu must be held.
func (c *Conn) flushRestLocked() error {
	if c.rest == nil {
		return nil
	}
	err := c.writeAll(*c.rest)
	c.rest = nil
	if err != nil {
		c.werr = err
	}
	return err
}

// writeFrameLocked sends one unmasked frame whose first header byte is b0.
// c.wmu must be held.
func (c *Conn) writeFrameLocked(b0 byte, p []byte) error {
	if c.werr != nil {
		return c.werr
	}
	if err := c.flushRestLocked(); err != nil {
		return err
	}
	var err error
	if len(p) <= copyWriteMax {
		bf := getBuffer(maxServerHeader + len(p))
		off := putServerHeader(bf.b[:maxServerHeader], b0, len(p))
		n := copy(bf.b[maxServerHeader:], p)
		err = c.writeAll(bf.b[off : maxServerHeader+n])
		bf.put()
	} else {
		v := getIovec()
		off := putServerHeader(v.hdr[:], b0, len(p))
		v.iov[0] = v.hdr[off:]
		v.iov[1] = p
		v.bufs = v.iov[:]
		if c.writeTimeout > 0 {
			_ = c.nc.SetWriteDeadline(time.Now().Add(c.writeTimeout))
		}
		_, err = v.bufs.WriteTo(c.nc)
		if c.writeTimeout > 0 {
			_ = c.nc.SetWriteDeadline(time.Time{})
		}
		putIovec(v)
	}
	if err != nil {
		c.werr = err
	}
	return err
}

// writeRawLocked sends buf, which already holds a complete frame. c.wmu
// must be held.
func (c *Conn) writeRawLocked(buf []byte) error {
	if c.werr != nil {
		return c.werr
	}
	if err := c.flushRestLocked(); err != nil {
		return err
	}
	if err := c.writeAll(buf); err != nil {
		c.werr = err
		return err
	}
	return nil
}

// writeAll writes b to the connection, bounded by the write timeout when
// one is set (SetWriteTimeout).
//
// On plain sockets it writes with raw non-blocking system calls (package
// rawsock): the first pass never waits, and only when the socket buffer is
// full does it arm the write deadline and park in the netpoller until the
// socket is writable again. The common case touches no timer and does not
// go through the runtime's system-call bookkeeping.
func (c *Conn) writeAll(b []byte) error {
	if c.rc != nil {
		n, full, err := rawsock.TryWrite(c.rc, b)
		if err == nil && full {
			if c.writeTimeout > 0 {
				_ = c.nc.SetWriteDeadline(time.Now().Add(c.writeTimeout))
				defer c.nc.SetWriteDeadline(time.Time{})
			}
			_, err = rawsock.Write(c.rc, b[n:])
		}
		return c.opError(err)
	}
	if c.writeTimeout > 0 {
		_ = c.nc.SetWriteDeadline(time.Now().Add(c.writeTimeout))
		defer c.nc.SetWriteDeadline(time.Time{})
	}
	_, err := c.nc.Write(b)
	return err
}

// opError wraps a bare errno from a raw write like net.Conn.Write would.
func (c *Conn) opError(err error) error {
	if errno, ok := err.(syscall.Errno); ok {
		return &net.OpError{Op: "write", Net: c.nc.LocalAddr().Network(), Source: c.nc.LocalAddr(), Addr: c.nc.RemoteAddr(), Err: errno}
	}
	return err
}

// SetWriteTimeout bounds every later write: a write that cannot complete
// within d fails with a timeout error (and the connection is unusable
// afterwards). On plain sockets the deadline is armed only when the socket
// buffer is full, so writes that go straight through touch no timer. Zero
// (the default) means no timeout beyond SetWriteDeadline. Call it before
// the connection is used by other goroutines.
func (c *Conn) SetWriteTimeout(d time.Duration) { c.writeTimeout = d }
