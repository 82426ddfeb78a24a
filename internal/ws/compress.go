package ws

import (
	"compress/flate"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// DefaultCompressionLevel is the flate level used when
// UpgradeOptions.CompressionLevel is not in 1..9.
const DefaultCompressionLevel = 1

// deflateResponse is the extension response sent when permessage-deflate is
// accepted. Both directions run without context takeover, so each message
// is compressed and decompressed on its own with pooled state.
const deflateResponse = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"

// negotiateDeflate picks the first permessage-deflate offer in the
// Sec-WebSocket-Extensions request headers that can be honoured and returns
// the extension response for it. ok is false when there is no such offer;
// the handshake then proceeds without compression.
func negotiateDeflate(h http.Header) (response string, ok bool) {
	for _, line := range h.Values("Sec-WebSocket-Extensions") {
		for offer := range strings.SplitSeq(line, ",") {
			if resp, ok := acceptDeflateOffer(offer); ok {
				return resp, true
			}
		}
	}
	return "", false
}

// acceptDeflateOffer checks a single extension offer such as
// "permessage-deflate; client_max_window_bits" (RFC 7692, section 7.1).
func acceptDeflateOffer(offer string) (string, bool) {
	name, params, hasParams := strings.Cut(offer, ";")
	if !strings.EqualFold(strings.TrimSpace(name), "permessage-deflate") {
		return "", false
	}
	var seen [4]bool
	serverWindow15 := false
	for param := range strings.SplitSeq(params, ";") {
		if !hasParams {
			break
		}
		param = strings.TrimSpace(param)
		if param == "" {
			return "", false
		}
		key, value, hasValue := strings.Cut(param, "=")
		key = strings.ToLower(strings.TrimSpace(key))
		value = strings.TrimSpace(value)
		if hasValue && len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
			value = value[1 : len(value)-1]
		}
		var idx int
		switch key {
		case "server_no_context_takeover":
			idx = 0
			if hasValue {
				return "", false
			}
		case "client_no_context_takeover":
			idx = 1
			if hasValue {
				return "", false
			}
		case "server_max_window_bits":
			idx = 2
			bits, ok := windowBits(value)
			if !hasValue || !ok {
				return "", false
			}
			// compress/flate always uses a 32 KiB window, so a smaller
			// limit on the server's window cannot be honoured.
			if bits != 15 {
				return "", false
			}
			serverWindow15 = true
		case "client_max_window_bits":
			idx = 3
			// The client tells us it could limit its window; we can
			// decompress any window size, so we never ask it to.
			if hasValue {
				if _, ok := windowBits(value); !ok {
					return "", false
				}
			}
		default:
			return "", false
		}
		if seen[idx] {
			return "", false
		}
		seen[idx] = true
	}
	if serverWindow15 {
		return deflateResponse + "; server_max_window_bits=15", true
	}
	return deflateResponse, true
}

// windowBits parses a window-bits parameter value (8..15).
func windowBits(v string) (int, bool) {
	if len(v) == 0 || len(v) > 2 || v[0] == '0' {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 8 || n > 15 {
		return 0, false
	}
	return n, true
}

// deflateTail is what a sync flush ends with; RFC 7692 strips it from the
// wire and the receiver appends it again.
const deflateTail = "\x00\x00\xff\xff"

// inflateTail is deflateTail followed by an empty final stored block, so
// that the decompressor reports io.EOF at the end of the message instead of
// waiting for more input.
const inflateTail = deflateTail + "\x01\x00\x00\xff\xff"

// bufWriter is an io.Writer appending to a pooled buffer.
type bufWriter struct {
	bf *buffer
	n  int
}

// Write implements io.Writer.
func (w *bufWriter) Write(p []byte) (int, error) {
	if w.n+len(p) > len(w.bf.b) {
		w.bf = growBuffer(w.bf, w.n, w.n+len(p))
	}
	w.n += copy(w.bf.b[w.n:], p)
	return len(p), nil
}

// deflater is a pooled flate writer for one compression level.
type deflater struct {
	fw  *flate.Writer
	out bufWriter
}

var deflaterPools [10]sync.Pool // indexed by level

// writeCompressed compresses payload into a pooled buffer that leaves room
// for the frame header in front and sends header and payload with one
// Write. Incompressible payloads are sent uncompressed.
func (c *Conn) writeCompressed(op OpCode, payload []byte) error {
	level := int(c.compLevel)
	d, _ := deflaterPools[level].Get().(*deflater)
	if d == nil {
		d = &deflater{}
		d.fw, _ = flate.NewWriter(&d.out, level) // level is validated in newConn
	}
	d.out.bf = getBuffer(maxServerHeader + len(payload)/2 + 64)
	d.out.n = maxServerHeader
	d.fw.Reset(&d.out)
	_, _ = d.fw.Write(payload) // writes to a bufWriter never fail
	_ = d.fw.Flush()
	bf, n := d.out.bf, d.out.n
	d.out.bf = nil
	deflaterPools[level].Put(d)
	defer bf.put()

	if n-maxServerHeader >= len(deflateTail) && string(bf.b[n-len(deflateTail):n]) == deflateTail {
		n -= len(deflateTail)
	}
	size := n - maxServerHeader

	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return ErrCloseSent
	}
	if size >= len(payload) {
		return c.writeFrameLocked(finBit|byte(op), payload)
	}
	off := putServerHeader(bf.b[:maxServerHeader], finBit|rsv1Bit|byte(op), size)
	return c.writeRawLocked(bf.b[off:n])
}

// flateSource feeds a compressed message followed by inflateTail to the
// decompressor. It implements io.ByteReader so that compress/flate does not
// wrap it in a bufio.Reader.
type flateSource struct {
	p    []byte
	tail string
}

// Read implements io.Reader.
func (s *flateSource) Read(b []byte) (int, error) {
	if len(s.p) > 0 {
		n := copy(b, s.p)
		s.p = s.p[n:]
		return n, nil
	}
	if len(s.tail) > 0 {
		n := copy(b, s.tail)
		s.tail = s.tail[n:]
		return n, nil
	}
	return 0, io.EOF
}

// ReadByte implements io.ByteReader.
func (s *flateSource) ReadByte() (byte, error) {
	if len(s.p) > 0 {
		b := s.p[0]
		s.p = s.p[1:]
		return b, nil
	}
	if len(s.tail) > 0 {
		b := s.tail[0]
		s.tail = s.tail[1:]
		return b, nil
	}
	return 0, io.EOF
}

// inflater is a pooled flate reader.
type inflater struct {
	fr  io.ReadCloser
	src flateSource
}

var inflaterPool sync.Pool

// inflate decompresses one message. It never lets the output buffer grow
// much beyond limit+1 bytes: exceeding limit returns ErrMessageTooBig.
func inflate(in []byte, limit int64) (*buffer, int, error) {
	inf, _ := inflaterPool.Get().(*inflater)
	if inf == nil {
		inf = &inflater{}
		inf.src = flateSource{p: in, tail: inflateTail}
		inf.fr = flate.NewReader(&inf.src)
	} else {
		inf.src = flateSource{p: in, tail: inflateTail}
		_ = inf.fr.(flate.Resetter).Reset(&inf.src, nil)
	}
	defer func() {
		inf.src = flateSource{}
		inflaterPool.Put(inf)
	}()

	capLimit := limit + 1
	want := int64(len(in))*4 + 64
	if want > capLimit {
		want = capLimit
	}
	out := getBuffer(int(want))
	n := 0
	for {
		if n == len(out.b) {
			if int64(n) > limit {
				out.put()
				return nil, 0, ErrMessageTooBig
			}
			grow := int64(n) * 2
			if grow > capLimit {
				grow = capLimit
			}
			out = growBuffer(out, n, int(grow))
		}
		m, err := inf.fr.Read(out.b[n:])
		n += m
		if int64(n) > limit {
			out.put()
			return nil, 0, ErrMessageTooBig
		}
		if err == io.EOF {
			return out, n, nil
		}
		if err != nil {
			out.put()
			return nil, 0, err
		}
	}
}
