package ws

import (
	"encoding/binary"
	"io"
	"unicode/utf8"
)

// The frame parser is one state machine shared by both read paths. It asks
// for input in units: the 2 header bytes, the extended length plus masking
// key, the masking key plus payload of a message's first short frame, the
// payload of a longer frame, or the masking key plus payload of a control
// frame. The current unit's unfilled bytes are returned by dst. A driver
// fills them (ReadMessage by reading from the connection straight into
// them, Feed by copying from the bytes it was given), records the bytes
// with filled, and calls step once the unit is complete. step validates
// what the unit completed and sets up the next unit, so every protocol
// check and limit lives in this file and both paths behave the same.

// Kinds of input units.
const (
	unitHeader  uint8 = iota // c.hdr[0:2]: the two fixed header bytes
	unitExt                  // c.hdr[2:2+ext+4]: extended length and masking key
	unitShort                // bf.b[0:4+len]: key and payload of a message's first frame with a 7-bit length
	unitPayload              // bf.b[pos:end]: payload of a frame (key already read)
	unitControl              // cbf.b[0:4+len]: key and payload of a control frame
)

// readState is the partial frame and message state of a connection's read
// side. Between messages it holds no buffers.
type readState struct {
	bf  *buffer // data message being reassembled; nil between messages
	cbf *buffer // control frame being read; nil otherwise
	n   int64   // message bytes received so far (after off)
	pos int     // next byte of the current unit to fill
	end int     // end of the current unit

	key        [4]byte // masking key of the current data frame
	unit       uint8   // kind of the current unit
	partial    bool    // some bytes of the current unit have arrived
	fop        OpCode  // opcode of the current frame
	fin        bool    // FIN bit of the current frame
	started    bool    // a data message is in progress
	compressed bool    // the message in progress is compressed (RSV1)
	op         OpCode  // opcode of the message in progress
	off        uint8   // start of the message inside bf.b (0 or 4)
}

// expect sets up the next unit.
func (r *readState) expect(unit uint8, pos, end int) {
	r.unit, r.pos, r.end, r.partial = unit, pos, end, false
}

// dst returns the unfilled rest of the current unit.
func (c *Conn) dst() []byte {
	r := &c.rs
	switch r.unit {
	case unitHeader, unitExt:
		return c.hdr[r.pos:r.end]
	case unitControl:
		return r.cbf.b[r.pos:r.end]
	}
	return r.bf.b[r.pos:r.end]
}

// filled records that n more bytes of dst() were filled and reports
// whether the current unit is complete.
func (c *Conn) filled(n int) bool {
	if n > 0 {
		c.rs.pos += n
		c.rs.partial = true
	}
	return c.rs.pos == c.rs.end
}

// inputEnded handles the end of the input (err from the connection, io.EOF
// at a clean end): it releases the partial state and returns the error
// the read paths report, io.ErrUnexpectedEOF when the input ended in the
// middle of a unit.
func (c *Conn) inputEnded(err error) error {
	if err == io.EOF && c.rs.partial {
		err = io.ErrUnexpectedEOF
	}
	c.dropRead()
	return err
}

// dropRead releases the buffers of a partial frame or message and resets
// the parser to expect a header.
func (c *Conn) dropRead() {
	r := &c.rs
	if r.bf != nil {
		r.bf.put()
	}
	if r.cbf != nil {
		r.cbf.put()
	}
	*r = readState{}
	r.expect(unitHeader, 0, 2)
}

// readMsg is a complete data message produced by step. bf is nil for an
// empty message; otherwise data lies inside bf.b and the receiver releases
// bf.
type readMsg struct {
	op   OpCode
	bf   *buffer
	data []byte
}

// step acts on the completed current unit and sets up the following ones
// until one needs input. It returns done when a data message is complete,
// or an error after which the read side is unusable (close frames for
// protocol violations have been sent; buffers are released).
func (c *Conn) step() (m readMsg, done bool, err error) {
	r := &c.rs
	for r.pos == r.end {
		switch r.unit {
		case unitHeader:
			if err := c.frameHeader(); err != nil {
				c.dropRead()
				return readMsg{}, false, err
			}
		case unitShort:
			r.key = [4]byte(r.bf.b[:4])
			r.off = 4
			maskBytes(r.key, r.bf.b[4:r.end])
			r.n = int64(r.end - 4)
			if r.fin {
				return c.finishMessage()
			}
			r.expect(unitHeader, 0, 2)
		case unitExt:
			if err := c.extHeader(); err != nil {
				c.dropRead()
				return readMsg{}, false, err
			}
		case unitPayload:
			start := int(r.off) + int(r.n)
			maskBytes(r.key, r.bf.b[start:r.end])
			r.n += int64(r.end - start)
			if r.fin {
				return c.finishMessage()
			}
			r.expect(unitHeader, 0, 2)
		case unitControl:
			cbf := r.cbf
			r.cbf = nil
			p := cbf.b[4:r.end]
			maskBytes([4]byte(cbf.b[:4]), p)
			err := c.handleControl(r.fop, p)
			cbf.put()
			if err != nil {
				c.dropRead()
				return readMsg{}, false, err
			}
			r.expect(unitHeader, 0, 2)
		}
	}
	return readMsg{}, false, nil
}

// frameHeader validates the two fixed header bytes in c.hdr and sets up
// the unit that follows them.
func (c *Conn) frameHeader() error {
	r := &c.rs
	b0, b1 := c.hdr[0], c.hdr[1]
	fop := OpCode(b0 & opMask)
	fin := b0&finBit != 0
	len7 := int(b1 & lenMask)
	if b0&(rsv2Bit|rsv3Bit) != 0 {
		return c.protocolError(CloseProtocolError, "reserved bits set")
	}
	if b1&maskBit == 0 {
		return c.protocolError(CloseProtocolError, "unmasked client frame")
	}
	r.fop, r.fin = fop, fin

	if fop.isControl() {
		switch {
		case fop != OpClose && fop != OpPing && fop != OpPong:
			return c.protocolError(CloseProtocolError, "reserved opcode")
		case !fin:
			return c.protocolError(CloseProtocolError, "fragmented control frame")
		case len7 > maxControlPayload:
			return c.protocolError(CloseProtocolError, "control frame payload over 125 bytes")
		case b0&rsv1Bit != 0:
			return c.protocolError(CloseProtocolError, "RSV1 set on a control frame")
		}
		r.cbf = getBuffer(4 + len7)
		r.expect(unitControl, 0, 4+len7)
		return nil
	}

	switch fop {
	case OpText, OpBinary:
		if r.started {
			return c.protocolError(CloseProtocolError, "data frame inside a fragmented message")
		}
		if b0&rsv1Bit != 0 && !c.compress {
			return c.protocolError(CloseProtocolError, "RSV1 set without a negotiated extension")
		}
		r.started, r.op, r.compressed = true, fop, b0&rsv1Bit != 0
	case OpContinuation:
		if !r.started {
			return c.protocolError(CloseProtocolError, "continuation frame without a message")
		}
		if b0&rsv1Bit != 0 {
			return c.protocolError(CloseProtocolError, "RSV1 set on a continuation frame")
		}
	default:
		return c.protocolError(CloseProtocolError, "reserved opcode")
	}

	if len7 <= 125 && r.bf == nil {
		// First frame with a 7-bit length: the masking key and the
		// payload are one unit, the key landing in front of the data.
		if int64(len7) > c.readLimit {
			return c.tooBig()
		}
		r.bf = getBuffer(4 + len7)
		r.expect(unitShort, 0, 4+len7)
		return nil
	}
	ext := 0
	switch len7 {
	case 126:
		ext = 2
	case 127:
		ext = 8
	}
	r.expect(unitExt, 2, 2+ext+4)
	return nil
}

// extHeader decodes the extended payload length and the masking key in
// c.hdr, checks the length against the read limit before anything is
// allocated for it, and sets up the payload unit.
func (c *Conn) extHeader() error {
	r := &c.rs
	ext := r.end - 2 - 4
	length := int64(c.hdr[1] & lenMask)
	switch ext {
	case 2:
		length = int64(binary.BigEndian.Uint16(c.hdr[2:]))
	case 8:
		u := binary.BigEndian.Uint64(c.hdr[2:])
		if u>>63 != 0 {
			return c.protocolError(CloseProtocolError, "payload length with the most significant bit set")
		}
		length = int64(u)
	}
	r.key = [4]byte(c.hdr[2+ext:])
	if length > c.readLimit-r.n {
		return c.tooBig()
	}
	start := int(r.off) + int(r.n)
	end := start + int(length)
	r.bf = growBuffer(r.bf, start, end)
	r.expect(unitPayload, start, end)
	return nil
}

// finishMessage completes the message in progress: it decompresses it if
// needed, checks UTF-8 for text, and resets the state for the next one.
func (c *Conn) finishMessage() (readMsg, bool, error) {
	r := &c.rs
	op, bf, off, n, compressed := r.op, r.bf, int(r.off), int(r.n), r.compressed
	*r = readState{}
	r.expect(unitHeader, 0, 2)
	if n == 0 {
		if bf != nil {
			bf.put()
		}
		return readMsg{op: op}, true, nil
	}
	data := bf.b[off : off+n]
	if compressed {
		out, m, err := inflate(data, c.inflateLimit)
		bf.put()
		if err == ErrMessageTooBig {
			return readMsg{}, false, c.tooBig()
		}
		if err != nil {
			return readMsg{}, false, c.protocolError(CloseInvalidPayload, "invalid compressed data")
		}
		if m == 0 {
			out.put()
			return readMsg{op: op}, true, nil
		}
		bf, data = out, out.b[:m]
	}
	if op == OpText && !utf8.Valid(data) {
		bf.put()
		return readMsg{}, false, c.protocolError(CloseInvalidPayload, "invalid UTF-8 in text message")
	}
	return readMsg{op: op, bf: bf, data: data}, true, nil
}

// handleControl acts on the unmasked payload of a control frame: it
// answers pings, reports pongs and answers close frames. It returns a
// *CloseError for close frames.
func (c *Conn) handleControl(op OpCode, p []byte) error {
	switch op {
	case OpPing:
		return c.writePong(p)
	case OpPong:
		if c.onPong != nil {
			c.onPong(p)
		}
		return nil
	}
	code, reason, perr := parseClosePayload(p)
	if perr != nil {
		return c.protocolError(perr.Code, perr.Reason)
	}
	// Echo the code; if we sent a close frame already this is the reply
	// to it and nothing more is sent.
	_ = c.writeClose(code, "")
	return &CloseError{Code: code, Reason: reason}
}

// protocolError sends a close frame with code and reason and returns the
// matching *ProtocolError.
func (c *Conn) protocolError(code uint16, reason string) error {
	_ = c.writeClose(code, reason)
	return &ProtocolError{Code: code, Reason: reason}
}

// tooBig sends a 1009 close frame and returns ErrMessageTooBig.
func (c *Conn) tooBig() error {
	_ = c.writeClose(CloseMessageTooBig, "message too big")
	return ErrMessageTooBig
}
