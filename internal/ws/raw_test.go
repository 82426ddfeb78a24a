package ws

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// violation is a sequence of client frames that breaks the protocol and the
// close code the server must answer with.
type violation struct {
	name   string
	frames [][]byte
	code   uint16
}

// violationCases are the protocol violations of TestProtocolViolations
// (with ReadLimit 1000); TestFeedMatchesRead reuses them.
func violationCases() []violation {
	text := finBit | byte(OpText)
	return []violation{
		{"unmasked frame", [][]byte{rawFrame(text, []byte("hi"), false)}, 1002},
		{"reserved opcode 3", [][]byte{frame(finBit|3, nil)}, 1002},
		{"reserved control opcode 11", [][]byte{frame(finBit|11, nil)}, 1002},
		{"RSV1 without extension", [][]byte{frame(text|rsv1Bit, []byte("x"))}, 1002},
		{"RSV2", [][]byte{frame(text|rsv2Bit, []byte("x"))}, 1002},
		{"continuation without start", [][]byte{frame(finBit, []byte("x"))}, 1002},
		{"new message inside fragmented one", [][]byte{
			frame(byte(OpText), []byte("a")), frame(text, []byte("b"))}, 1002},
		{"fragmented ping", [][]byte{frame(byte(OpPing), nil)}, 1002},
		{"ping over 125 bytes", [][]byte{frame(finBit|byte(OpPing), make([]byte, 126))}, 1002},
		{"close with 1-byte body", [][]byte{frame(finBit|byte(OpClose), []byte{3})}, 1002},
		{"close code 999", [][]byte{frame(finBit|byte(OpClose), closeBody(999, ""))}, 1002},
		{"close code 1005", [][]byte{frame(finBit|byte(OpClose), closeBody(1005, ""))}, 1002},
		{"close code 2000", [][]byte{frame(finBit|byte(OpClose), closeBody(2000, ""))}, 1002},
		{"close reason invalid UTF-8", [][]byte{frame(finBit|byte(OpClose), closeBody(1000, "\xff"))}, 1007},
		{"invalid UTF-8 text", [][]byte{frame(text, []byte("ok\xfe\xff"))}, 1007},
		{"invalid UTF-8 across fragments", [][]byte{
			frame(byte(OpText), []byte("\xe2\x82")), frame(finBit, []byte("\x28"))}, 1007},
		{"64-bit length with MSB set", [][]byte{{text, 127 | maskBit, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4}}, 1002},
		{"declared length 2^62", [][]byte{{text, 127 | maskBit, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}}, 1009},
		{"declared 16-bit length over limit", [][]byte{{text, 126 | maskBit, 0xff, 0xff, 1, 2, 3, 4}}, 1009},
	}
}

// TestProtocolViolations sends hand-built frames and checks the close code
// the server answers with and the error ReadMessage returns.
func TestProtocolViolations(t *testing.T) {
	for _, tt := range violationCases() {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, &UpgradeOptions{ReadLimit: 1000}, echo)
			rc := dialRaw(t, ts, "", nil)
			rc.write(tt.frames...)
			rc.expectClose(tt.code)
			err := ts.result(t)
			var pe *ProtocolError
			switch {
			case tt.code == 1009:
				if !errors.Is(err, ErrMessageTooBig) {
					t.Fatalf("server error = %v, want ErrMessageTooBig", err)
				}
			case !errors.As(err, &pe) || pe.Code != tt.code:
				t.Fatalf("server error = %v, want ProtocolError %d", err, tt.code)
			}
		})
	}
}

func TestRawPingAndFragments(t *testing.T) {
	ts := startServer(t, nil, echo)
	rc := dialRaw(t, ts, "", nil)
	// A fragmented message with a ping and an empty fragment in between.
	rc.write(
		frame(byte(OpText), []byte("Hel")),
		frame(finBit|byte(OpPing), []byte("ping!")),
		frame(byte(OpContinuation), nil),
		frame(finBit|byte(OpContinuation), []byte("lo")),
		frame(finBit|byte(OpPong), []byte("unsolicited")),
		frame(finBit|byte(OpBinary), nil),
		frame(finBit|byte(OpBinary), make([]byte, 300)),
	)
	if b0, p := rc.readFrame(); b0 != finBit|byte(OpPong) || string(p) != "ping!" {
		t.Fatalf("got frame %#x %q, want pong", b0, p)
	}
	if b0, p := rc.readFrame(); b0 != finBit|byte(OpText) || string(p) != "Hello" {
		t.Fatalf("got frame %#x %q, want text Hello", b0, p)
	}
	if b0, p := rc.readFrame(); b0 != finBit|byte(OpBinary) || len(p) != 0 {
		t.Fatalf("got frame %#x len %d, want empty binary", b0, len(p))
	}
	if b0, p := rc.readFrame(); b0 != finBit|byte(OpBinary) || len(p) != 300 {
		t.Fatalf("got frame %#x len %d, want 300-byte binary", b0, len(p))
	}
	// A close frame without body is answered with one and reported as 1005.
	rc.write(frame(finBit|byte(OpClose), nil))
	if b0, p := rc.readFrame(); b0 != finBit|byte(OpClose) || len(p) != 0 {
		t.Fatalf("got frame %#x %q, want empty close", b0, p)
	}
	var ce *CloseError
	if err := ts.result(t); !errors.As(err, &ce) || ce.Code != CloseNoStatus {
		t.Fatalf("server result = %v", err)
	}
}

func TestFirstFrameWithUpgradeRequest(t *testing.T) {
	hadPending := make(chan bool, 1)
	ts := startServer(t, nil, func(c *Conn) error {
		hadPending <- len(c.pending) > 0
		return echo(c)
	})
	msg := frame(finBit|byte(OpText), []byte("early bird"))
	msg = append(msg, frame(finBit|byte(OpBinary), make([]byte, 1000))...)
	rc := dialRaw(t, ts, "", msg) // request and frames in one Write
	if !recv(t, hadPending) {
		t.Error("the server had not buffered the first frame; test did not exercise the path")
	}
	if _, p := rc.readFrame(); string(p) != "early bird" {
		t.Fatalf("echo = %q", p)
	}
	if _, p := rc.readFrame(); len(p) != 1000 {
		t.Fatalf("echo len = %d", len(p))
	}
	rc.nc.Close()
	if err := ts.result(t); err == nil {
		t.Fatal("want an error after the client went away")
	}
}

// TestRawCompression checks the wire format of compressed frames in both
// directions and CompressionMinSize, using the offer Chromium sends.
func TestRawCompression(t *testing.T) {
	large := []byte(strings.Repeat("compressible text ", 50))
	ts := startServer(t, &UpgradeOptions{Compression: true, CompressionMinSize: 100}, func(c *Conn) error {
		if err := c.WriteMessage(OpText, []byte("small")); err != nil {
			return err
		}
		if err := c.WriteMessage(OpText, large); err != nil {
			return err
		}
		return echo(c)
	})
	rc := dialRaw(t, ts, "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n", nil)
	if got := rc.resp.Header.Get("Sec-WebSocket-Extensions"); got != deflateResponse {
		t.Fatalf("extension response = %q", got)
	}
	if b0, p := rc.readFrame(); b0 != finBit|byte(OpText) || string(p) != "small" {
		t.Fatalf("small message: %#x %q, want uncompressed", b0, p)
	}
	b0, p := rc.readFrame()
	if b0 != finBit|rsv1Bit|byte(OpText) || len(p) >= len(large) {
		t.Fatalf("large message: b0 %#x len %d, want compressed", b0, len(p))
	}
	if got := inflateMessage(t, p); !bytes.Equal(got, large) {
		t.Fatal("large message does not decompress to the original")
	}

	// Client → server: a compressed message split over two frames, and an
	// uncompressed one.
	z := deflateMessage(t, large)
	rc.write(
		frame(rsv1Bit|byte(OpText), z[:10]),
		frame(finBit|byte(OpContinuation), z[10:]),
		frame(finBit|byte(OpText), []byte("plain")),
	)
	if b0, p := rc.readFrame(); b0&rsv1Bit == 0 || !bytes.Equal(inflateMessage(t, p), large) {
		t.Fatalf("echo of compressed message: b0 %#x", b0)
	}
	if _, p := rc.readFrame(); string(p) != "plain" {
		t.Fatalf("echo = %q", p)
	}
	// Corrupt compressed data → 1007.
	rc.write(frame(finBit|rsv1Bit|byte(OpBinary), []byte{0xff, 0xff, 0xff}))
	rc.expectClose(1007)
	var pe *ProtocolError
	if err := ts.result(t); !errors.As(err, &pe) || pe.Code != 1007 {
		t.Fatalf("server result = %v", err)
	}
}

// TestHugeDeclaredLengthDoesNotAllocate checks that the declared length is
// rejected before any buffer for it is allocated.
func TestHugeDeclaredLengthDoesNotAllocate(t *testing.T) {
	var out bytes.Buffer
	hdr := []byte{finBit | byte(OpBinary), 127 | maskBit, 0, 0, 0, 0, 0x40, 0, 0, 0, 1, 2, 3, 4} // 1 GiB
	c := newConn(&memConn{r: io.MultiReader(bytes.NewReader(hdr), zeroReader{}), w: &out}, nil, nil)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, _, _, err := c.ReadMessage()
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrMessageTooBig) {
		t.Fatalf("err = %v", err)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 64<<10 {
		t.Fatalf("allocated %d bytes for a rejected message", d)
	}
	b := out.Bytes()
	if len(b) < 4 || OpCode(b[0]&opMask) != OpClose || binary.BigEndian.Uint16(b[2:]) != 1009 {
		t.Fatalf("wrote %x, want close 1009", b)
	}
	// The error is sticky.
	if _, _, rel, err2 := c.ReadMessage(); err2 != err || rel == nil {
		t.Fatalf("second ReadMessage = %v", err2)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestWriteTimeoutWhenPeerStopsReading: with SetWriteTimeout, writes to a
// peer that stopped reading go straight through until the socket buffers are
// full, then fail with a timeout error within about the timeout, and the
// connection stays failed. Small payloads take the copying, non-blocking
// path; large ones the vectored one.
func TestWriteTimeoutWhenPeerStopsReading(t *testing.T) {
	const timeout = 200 * time.Millisecond
	type result struct {
		wrote   int
		err     error
		blocked time.Duration
	}
	for _, size := range []int{1000, 16 << 10} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			done := make(chan result, 1)
			ts := startServer(t, nil, func(c *Conn) error {
				c.SetWriteTimeout(timeout)
				payload := make([]byte, size)
				r := result{}
				for r.wrote < 256<<20 {
					start := time.Now()
					if err := c.WriteMessage(OpBinary, payload); err != nil {
						r.err, r.blocked = err, time.Since(start)
						break
					}
					r.wrote += len(payload)
				}
				done <- r
				return c.WriteMessage(OpBinary, payload)
			})
			rc := dialRaw(t, ts, "", nil) // never reads after the upgrade
			defer rc.nc.Close()
			r := recv(t, done)
			var ne net.Error
			if !errors.As(r.err, &ne) || !ne.Timeout() {
				t.Fatalf("after %d bytes: error %v, want a timeout", r.wrote, r.err)
			}
			if r.blocked < timeout/2 || r.blocked > 5*timeout {
				t.Fatalf("the failing write took %v, want about %v", r.blocked, timeout)
			}
			if r.wrote == 0 {
				t.Fatal("no write went through before the buffers filled")
			}
			if err := ts.result(t); err == nil {
				t.Fatal("a write after the timeout succeeded")
			}
		})
	}
}
