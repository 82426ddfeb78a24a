package ws

import (
	"bytes"
	"encoding/binary"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
	"unsafe"
)

func TestMaskBytes(t *testing.T) {
	key := [4]byte{1, 2, 3, 4}
	for n := range 100 {
		p := testPayload(n, false)
		got := append([]byte(nil), p...)
		maskBytes(key, got)
		for i := range p {
			if got[i] != p[i]^key[i%4] {
				t.Fatalf("len %d: byte %d wrong", n, i)
			}
		}
	}
}

func TestPutServerHeader(t *testing.T) {
	for _, n := range []int{0, 125, 126, 65535, 65536, 1 << 40} {
		var b [maxServerHeader]byte
		off := putServerHeader(b[:], finBit|byte(OpBinary), n)
		h := b[off:]
		if h[0] != finBit|byte(OpBinary) || h[1]&maskBit != 0 {
			t.Fatalf("n=%d: header %x", n, h)
		}
		var got int
		switch l := h[1] & lenMask; l {
		case 126:
			got = int(binary.BigEndian.Uint16(h[2:]))
			if len(h) != 4 {
				t.Fatalf("n=%d: header length %d", n, len(h))
			}
		case 127:
			got = int(binary.BigEndian.Uint64(h[2:]))
		default:
			got = int(l)
			if len(h) != 2 {
				t.Fatalf("n=%d: header length %d", n, len(h))
			}
		}
		if got != n {
			t.Fatalf("encoded length %d, want %d", got, n)
		}
	}
}

func TestTruncateReason(t *testing.T) {
	for _, r := range []string{"", "short", strings.Repeat("a", 200), strings.Repeat("é", 100), strings.Repeat("€", 50), "a" + strings.Repeat("😀", 40)} {
		got := truncateReason(r)
		if len(got) > 123 || !utf8.ValidString(got) || !strings.HasPrefix(r, got) || (len(r) <= 123 && got != r) {
			t.Errorf("truncateReason(%d bytes) = %d bytes, valid=%v", len(r), len(got), utf8.ValidString(got))
		}
		if len(r) > 123 && len(got) < 120 {
			t.Errorf("truncated too much: %d bytes", len(got))
		}
	}
}

func TestValidCloseCode(t *testing.T) {
	valid := []uint16{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999}
	invalid := []uint16{0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535}
	for _, c := range valid {
		if !validCloseCode(c) {
			t.Errorf("%d should be valid", c)
		}
	}
	for _, c := range invalid {
		if validCloseCode(c) {
			t.Errorf("%d should be invalid", c)
		}
	}
}

func TestBufferPool(t *testing.T) {
	for _, n := range []int{0, 1, 128, 129, 4096, 1 << 20, 1<<20 + 1} {
		bf := getBuffer(n)
		if len(bf.b) < n {
			t.Fatalf("getBuffer(%d) has %d bytes", n, len(bf.b))
		}
		bf.put()
		bf.put() // double release is ignored
	}
	bf := getBuffer(10)
	copy(bf.b, "0123456789")
	bf = growBuffer(bf, 10, 1000)
	if len(bf.b) < 1000 || string(bf.b[:10]) != "0123456789" {
		t.Fatal("growBuffer lost data")
	}
	bf.put()
}

// TestIdleFootprint documents the design goal: a Conn is small and holds
// no buffer between messages.
func TestIdleFootprint(t *testing.T) {
	if s := unsafe.Sizeof(Conn{}); s > 256 {
		t.Errorf("sizeof(Conn) = %d bytes, want <= 256", s)
	}
	frames := bytes.Repeat(frame(finBit|byte(OpText), []byte("hello")), 3)
	c := newConn(&memConn{r: bytes.NewReader(frames[7:]), w: io.Discard}, frames[:7], &UpgradeOptions{Compression: true})
	for range 2 {
		_, _, release, err := c.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		release()
	}
	if c.pending != nil {
		t.Error("pending handshake bytes are still referenced")
	}
	if c.rs.bf != nil || c.rs.cbf != nil {
		t.Error("the parser still holds a buffer between messages")
	}
}

func TestAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	c := newConn(&memConn{r: &loopReader{data: frame(finBit|byte(OpText), testPayload(100, true))}, w: io.Discard}, nil, nil)
	read := testing.AllocsPerRun(1000, func() {
		_, _, release, err := c.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		release()
	})
	msg := testPayload(100, true)
	write := testing.AllocsPerRun(1000, func() { _ = c.WriteMessage(OpText, msg) })
	big := testPayload(10000, false)
	writev := testing.AllocsPerRun(1000, func() { _ = c.WriteMessage(OpBinary, big) })
	if read != 0 || write != 0 || writev != 0 {
		t.Errorf("allocs per ReadMessage = %v, WriteMessage(100 B) = %v, WriteMessage(10 KB) = %v; want 0", read, write, writev)
	}
}

func TestWriteMessageValidationAndClose(t *testing.T) {
	c := newConn(&memConn{r: eofReader{}, w: io.Discard}, nil, nil)
	for _, op := range []OpCode{OpContinuation, OpClose, OpPing, OpPong, 3} {
		if err := c.WriteMessage(op, nil); err != ErrInvalidOpCode {
			t.Errorf("WriteMessage(%v) = %v", op, err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	if _, _, release, err := c.ReadMessage(); err != io.EOF || release == nil {
		t.Fatalf("ReadMessage at EOF = %v", err)
	}
}
