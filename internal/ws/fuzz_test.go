package ws

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"unicode/utf8"
)

// FuzzReadFrames feeds arbitrary bytes to ReadMessage as the client side of
// a connection. The first input byte selects options (bit 0: compression
// negotiated, bit 1: small limits). ReadMessage must never panic, must
// respect the limits, only deliver valid UTF-8 text, and must end with an
// error once the input is exhausted.
func FuzzReadFrames(f *testing.F) {
	for _, s := range frameSeeds(f) {
		for opt := range byte(4) {
			f.Add(append([]byte{opt}, s...))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		opts := &UpgradeOptions{}
		if data[0]&2 != 0 {
			opts.ReadLimit = 100
			opts.DecompressedReadLimit = 300
		}
		readLimit, inflateLimit := int64(DefaultReadLimit), int64(10*DefaultReadLimit)
		if opts.ReadLimit > 0 {
			readLimit, inflateLimit = opts.ReadLimit, opts.DecompressedReadLimit
		}
		in := data[1:]
		var out bytes.Buffer
		c := newConn(&memConn{r: bytes.NewReader(in), w: &out}, nil, opts)
		c.compress = data[0]&1 != 0
		// Every successful call consumes at least one 2-byte header.
		for range len(in)/2 + 2 {
			op, p, release, err := c.ReadMessage()
			if release == nil {
				t.Fatal("nil release func")
			}
			if err != nil {
				release()
				if _, _, _, err2 := c.ReadMessage(); err2 != err {
					t.Fatalf("error not sticky: %v then %v", err, err2)
				}
				var ce *CloseError
				var pe *ProtocolError
				if !errors.As(err, &ce) && !errors.As(err, &pe) && !errors.Is(err, ErrMessageTooBig) &&
					err != io.EOF && err != io.ErrUnexpectedEOF {
					t.Fatalf("unexpected error type %T: %v", err, err)
				}
				return
			}
			if op != OpText && op != OpBinary {
				t.Fatalf("ReadMessage returned opcode %v", op)
			}
			if op == OpText && !utf8.Valid(p) {
				t.Fatal("invalid UTF-8 text delivered")
			}
			if int64(len(p)) > max(readLimit, inflateLimit) {
				t.Fatalf("message of %d bytes exceeds the limits", len(p))
			}
			release()
		}
		t.Fatal("ReadMessage kept returning messages after the input was exhausted")
	})
}

// frameSeeds are the fuzz seeds: valid and invalid frame sequences.
func frameSeeds(f testing.TB) [][]byte {
	text := finBit | byte(OpText)
	return [][]byte{
		frame(text, []byte("hello")),
		frame(finBit|byte(OpBinary), make([]byte, 200)),
		frame(finBit|byte(OpBinary), make([]byte, 70000)),
		append(frame(byte(OpText), []byte("Hel")), append(frame(finBit|byte(OpPing), []byte("p")), frame(finBit, []byte("lo"))...)...),
		frame(finBit|byte(OpClose), closeBody(1000, "bye")),
		frame(finBit|byte(OpClose), nil),
		frame(finBit|byte(OpPong), []byte("x")),
		frame(text, []byte("\xff")),
		rawFrame(text, []byte("unmasked"), false),
		{text, 127 | maskBit, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4},
		{text, 126 | maskBit, 0, 5, 1, 2, 3, 4, 'a', 'b', 'c', 'd', 'e'},
		frame(finBit|rsv1Bit|byte(OpText), deflateMessage(f, []byte("compressed hello compressed hello"))),
		frame(finBit|rsv1Bit|byte(OpBinary), deflateMessage(f, make([]byte, 5000))),
		frame(finBit|rsv1Bit|byte(OpBinary), []byte{0x00}),
	}
}

// FuzzFeedMatchesRead checks the push parser (Feed) against the blocking
// one (ReadMessage) on the same input: the same messages, the same final
// error and the same bytes written back (pongs, close frames). The first
// input byte selects options as in FuzzReadFrames; the second holds the
// number k (low 3 bits) of chunk sizes that follow it; Feed gets the rest
// of the input in chunks of those sizes (cycled; none: byte by byte).
func FuzzFeedMatchesRead(f *testing.F) {
	for _, s := range frameSeeds(f) {
		for opt := range byte(4) {
			f.Add(append([]byte{opt, 0}, s...))
			f.Add(append([]byte{opt, 2, 3, 200}, s...))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		opts := &UpgradeOptions{}
		if data[0]&2 != 0 {
			opts.ReadLimit = 100
			opts.DecompressedReadLimit = 300
		}
		k := int(data[1] & 7)
		if len(data) < 2+k {
			return
		}
		sizes := make([]int, k)
		for i := range sizes {
			sizes[i] = int(data[2+i])
		}
		in := data[2+k:]
		if err := samePaths(in, sizes, opts, data[0]&1 != 0); err != nil {
			t.Fatal(err)
		}
	})
}
