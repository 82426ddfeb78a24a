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

// writeFrameLocked sends one unmasked frame whose first header byte is b0.
// c.wmu must be held.
func (c *Conn) writeFrameLocked(b0 byte, p []byte) error {
	if c.werr != nil {
		return c.werr
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
		if errno, ok := err.(syscall.Errno); ok {
			err = &net.OpError{Op: "write", Net: c.nc.LocalAddr().Network(), Source: c.nc.LocalAddr(), Addr: c.nc.RemoteAddr(), Err: errno}
		}
		return err
	}
	if c.writeTimeout > 0 {
		_ = c.nc.SetWriteDeadline(time.Now().Add(c.writeTimeout))
		defer c.nc.SetWriteDeadline(time.Time{})
	}
	_, err := c.nc.Write(b)
	return err
}

// SetWriteTimeout bounds every later write: a write that cannot complete
// within d fails with a timeout error (and the connection is unusable
// afterwards). On plain sockets the deadline is armed only when the socket
// buffer is full, so writes that go straight through touch no timer. Zero
// (the default) means no timeout beyond SetWriteDeadline. Call it before
// the connection is used by other goroutines.
func (c *Conn) SetWriteTimeout(d time.Duration) { c.writeTimeout = d }
