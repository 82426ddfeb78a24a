package ws

import (
	"encoding/binary"
	"unicode/utf8"
)

// DefaultReadLimit is the maximum message size used when
// UpgradeOptions.ReadLimit is not positive.
const DefaultReadLimit = 65536

// ReadMessage returns the next complete data message (OpText or OpBinary).
// It reassembles fragmented messages, unmasks and decompresses payloads,
// answers pings with pongs, reports pongs to UpgradeOptions.OnPong and
// handles the close handshake.
//
// The payload stays valid until release is called; release must be called
// exactly once (it is never nil, also when err is not nil, and it is a
// no-op for empty payloads and on error).
//
// When the peer sends a close frame, ReadMessage replies with a close frame
// echoing the code (unless a close frame was sent already) and returns a
// *CloseError. When the peer violates the protocol, ReadMessage sends a
// close frame with code 1002 (or 1007 for invalid UTF-8 or compressed data)
// and returns a *ProtocolError. When a message exceeds the read limits it
// sends a close frame with code 1009 and returns ErrMessageTooBig; the
// length declared in a frame header is checked before anything is
// allocated for the payload.
//
// Errors are sticky: after ReadMessage returned an error, every later call
// returns the same error. The caller should then Close the connection.
// ReadMessage must not be called from more than one goroutine at a time.
func (c *Conn) ReadMessage() (op OpCode, payload []byte, release func(), err error) {
	if c.rerr != nil {
		return 0, nil, noRelease, c.rerr
	}
	op, bf, payload, err := c.readMessage()
	if err != nil {
		c.rerr = err
		return 0, nil, noRelease, err
	}
	if bf == nil {
		return op, nil, noRelease, nil
	}
	return op, payload, bf.release, nil
}

// protocolError releases bf (if any), sends a close frame with code and
// reason and returns the matching *ProtocolError.
func (c *Conn) protocolError(bf *buffer, code uint16, reason string) error {
	if bf != nil {
		bf.put()
	}
	_ = c.writeClose(code, reason)
	return &ProtocolError{Code: code, Reason: reason}
}

// tooBig sends a 1009 close frame and returns ErrMessageTooBig.
func (c *Conn) tooBig(bf *buffer) error {
	if bf != nil {
		bf.put()
	}
	_ = c.writeClose(CloseMessageTooBig, "message too big")
	return ErrMessageTooBig
}

// readMessage reads frames until a data message is complete. The message
// is data, which lies inside bf.b; bf is nil for an empty message.
func (c *Conn) readMessage() (op OpCode, bf *buffer, data []byte, err error) {
	var (
		off        int   // start of the message inside bf.b
		n          int64 // message bytes read so far
		started    bool
		compressed bool
	)
	for {
		// The only blocking read while idle goes into the Conn's header
		// array; no buffer is held here.
		if err := c.readFull(c.hdr[:2]); err != nil {
			if bf != nil {
				bf.put()
			}
			return 0, nil, nil, err
		}
		b0, b1 := c.hdr[0], c.hdr[1]
		fop := OpCode(b0 & opMask)
		fin := b0&finBit != 0
		len7 := int(b1 & lenMask)
		if b0&(rsv2Bit|rsv3Bit) != 0 {
			return 0, nil, nil, c.protocolError(bf, CloseProtocolError, "reserved bits set")
		}
		if b1&maskBit == 0 {
			return 0, nil, nil, c.protocolError(bf, CloseProtocolError, "unmasked client frame")
		}

		if fop.isControl() {
			switch {
			case fop != OpClose && fop != OpPing && fop != OpPong:
				return 0, nil, nil, c.protocolError(bf, CloseProtocolError, "reserved opcode")
			case !fin:
				return 0, nil, nil, c.protocolError(bf, CloseProtocolError, "fragmented control frame")
			case len7 > maxControlPayload:
				return 0, nil, nil, c.protocolError(bf, CloseProtocolError, "control frame payload over 125 bytes")
			case b0&rsv1Bit != 0:
				return 0, nil, nil, c.protocolError(bf, CloseProtocolError, "RSV1 set on a control frame")
			}
			if err := c.handleControl(fop, len7); err != nil {
				if bf != nil {
					bf.put()
				}
				return 0, nil, nil, err
			}
			continue
		}

		switch fop {
		case OpText, OpBinary:
			if started {
				return 0, nil, nil, c.protocolError(bf, CloseProtocolError, "data frame inside a fragmented message")
			}
			if b0&rsv1Bit != 0 && !c.compress {
				return 0, nil, nil, c.protocolError(bf, CloseProtocolError, "RSV1 set without a negotiated extension")
			}
			started, op, compressed = true, fop, b0&rsv1Bit != 0
		case OpContinuation:
			if !started {
				return 0, nil, nil, c.protocolError(bf, CloseProtocolError, "continuation frame without a message")
			}
			if b0&rsv1Bit != 0 {
				return 0, nil, nil, c.protocolError(bf, CloseProtocolError, "RSV1 set on a continuation frame")
			}
		default:
			return 0, nil, nil, c.protocolError(bf, CloseProtocolError, "reserved opcode")
		}

		var key [4]byte
		if len7 <= 125 && bf == nil {
			// First frame with a 7-bit length: read the masking key and the
			// payload with one read, the key landing in front of the data.
			if int64(len7) > c.readLimit {
				return 0, nil, nil, c.tooBig(nil)
			}
			bf = getBuffer(4 + len7)
			if err := c.readFull(bf.b[:4+len7]); err != nil {
				bf.put()
				return 0, nil, nil, err
			}
			copy(key[:], bf.b[:4])
			off = 4
			maskBytes(key, bf.b[4:4+len7])
			n = int64(len7)
		} else {
			ext := 0
			switch len7 {
			case 126:
				ext = 2
			case 127:
				ext = 8
			}
			if err := c.readFull(c.hdr[2 : 2+ext+4]); err != nil {
				if bf != nil {
					bf.put()
				}
				return 0, nil, nil, err
			}
			length := int64(len7)
			switch ext {
			case 2:
				length = int64(binary.BigEndian.Uint16(c.hdr[2:]))
			case 8:
				u := binary.BigEndian.Uint64(c.hdr[2:])
				if u>>63 != 0 {
					return 0, nil, nil, c.protocolError(bf, CloseProtocolError, "payload length with the most significant bit set")
				}
				length = int64(u)
			}
			copy(key[:], c.hdr[2+ext:])
			// Check the declared length before allocating anything for it.
			if length > c.readLimit-n {
				return 0, nil, nil, c.tooBig(bf)
			}
			start := off + int(n)
			end := start + int(length)
			bf = growBuffer(bf, start, end)
			p := bf.b[start:end]
			if err := c.readFull(p); err != nil {
				bf.put()
				return 0, nil, nil, err
			}
			maskBytes(key, p)
			n += length
		}
		if fin {
			break
		}
	}

	if n == 0 {
		bf.put()
		return op, nil, nil, nil
	}
	data = bf.b[off : off+int(n)]
	if compressed {
		out, m, err := inflate(data, c.inflateLimit)
		bf.put()
		if err == ErrMessageTooBig {
			return 0, nil, nil, c.tooBig(nil)
		}
		if err != nil {
			return 0, nil, nil, c.protocolError(nil, CloseInvalidPayload, "invalid compressed data")
		}
		if m == 0 {
			out.put()
			return op, nil, nil, nil
		}
		bf, data = out, out.b[:m]
	}
	if op == OpText && !utf8.Valid(data) {
		return 0, nil, nil, c.protocolError(bf, CloseInvalidPayload, "invalid UTF-8 in text message")
	}
	return op, bf, data, nil
}

// handleControl reads the payload of a control frame (the 2-byte header is
// already consumed and validated) and acts on it. It returns a *CloseError
// for close frames.
func (c *Conn) handleControl(op OpCode, length int) error {
	bf := getBuffer(4 + length)
	defer bf.put()
	if err := c.readFull(bf.b[:4+length]); err != nil {
		return err
	}
	key := [4]byte(bf.b[:4])
	p := bf.b[4 : 4+length]
	maskBytes(key, p)
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
		return c.protocolError(nil, perr.Code, perr.Reason)
	}
	// Echo the code; if we sent a close frame already this is the reply
	// to it and nothing more is sent.
	_ = c.writeClose(code, "")
	return &CloseError{Code: code, Reason: reason}
}
