package ws

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"time"
)

// TestTryWriteMessage: frames that fit go out at once; once the peer stops
// reading, TryWriteMessage keeps the rest instead of waiting, later frames
// (tried or written) queue behind it, and after Flush the peer receives every
// frame whole and in order.
func TestTryWriteMessage(t *testing.T) {
	type outcome struct {
		sent     int // frames handed to TryWriteMessage or WriteMessage
		firstNot int // index of the first frame TryWriteMessage did not finish
		err      error
	}
	done := make(chan outcome, 1)
	resume := make(chan struct{})
	payload := func(i int) []byte {
		p := make([]byte, 1000)
		binary.BigEndian.PutUint32(p, uint32(i))
		return p
	}
	ts := startServer(t, nil, func(c *Conn) error {
		c.SetWriteTimeout(5 * time.Second)
		if !c.CanTryWrite() {
			done <- outcome{err: errors.New("CanTryWrite is false on a plain socket")}
			return nil
		}
		o := outcome{firstNot: -1}
		for o.firstNot < 0 && o.sent < 1<<20 {
			ok, err := c.TryWriteMessage(OpBinary, payload(o.sent))
			if err != nil {
				o.err = err
				break
			}
			if !ok {
				o.firstNot = o.sent
			}
			o.sent++
		}
		// Behind the kept bytes: another tried frame and a written one.
		if ok, err := c.TryWriteMessage(OpBinary, payload(o.sent)); ok || err != nil {
			o.err = errors.New("a frame behind kept bytes was not queued")
		}
		o.sent++
		done <- o
		<-resume
		if err := c.Flush(); err != nil {
			return err
		}
		if err := c.WriteMessage(OpBinary, payload(o.sent)); err != nil {
			return err
		}
		return c.WriteClose(CloseNormal, "")
	})
	rc := dialRaw(t, ts, "", nil)
	o := recv(t, done)
	if o.err != nil || o.firstNot < 0 {
		t.Fatalf("after %d frames: %+v", o.sent, o)
	}
	close(resume)
	for i := 0; i <= o.sent; i++ {
		b0, p := rc.readFrame()
		if b0 != finBit|byte(OpBinary) || len(p) != 1000 || int(binary.BigEndian.Uint32(p)) != i {
			t.Fatalf("frame %d: header %#x, %d bytes, index %d", i, b0, len(p), binary.BigEndian.Uint32(p))
		}
		if !bytes.Equal(p[4:], make([]byte, 996)) {
			t.Fatalf("frame %d: corrupted payload", i)
		}
	}
	rc.expectClose(CloseNormal)
	if err := ts.result(t); err != nil {
		t.Fatal(err)
	}
}

func TestTryWriteNeedsPlainUncompressed(t *testing.T) {
	ts := startServer(t, &UpgradeOptions{Compression: true}, func(c *Conn) error {
		if c.CanTryWrite() {
			return errors.New("CanTryWrite on a compressed connection")
		}
		if _, err := c.TryWriteMessage(OpText, []byte("x")); !errors.Is(err, ErrTryWrite) {
			return errors.New("TryWriteMessage did not refuse")
		}
		return nil
	})
	dialRaw(t, ts, "Sec-WebSocket-Extensions: permessage-deflate\r\n", nil)
	if err := ts.result(t); err != nil {
		t.Fatal(err)
	}
}
