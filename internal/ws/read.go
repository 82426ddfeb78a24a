package ws

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
// ReadMessage must not be called from more than one goroutine at a time,
// and not on a connection whose input is delivered with Feed.
func (c *Conn) ReadMessage() (op OpCode, payload []byte, release func(), err error) {
	if c.rerr != nil {
		return 0, nil, noRelease, c.rerr
	}
	m, err := c.readMessage()
	if err != nil {
		c.rerr = err
		return 0, nil, noRelease, err
	}
	if m.bf == nil {
		return m.op, nil, noRelease, nil
	}
	return m.op, m.data, m.bf.release, nil
}

// readMessage drives the frame parser (parse.go) with blocking reads until
// a data message is complete. Every read goes straight into the parser's
// current unit: while idle that is the 2-byte header array inside the
// Conn, so no buffer is held between messages. The pending handshake bytes
// are consumed first.
func (c *Conn) readMessage() (readMsg, error) {
	for {
		dst := c.dst()
		var n int
		var err error
		if len(c.pending) > 0 {
			n = copy(dst, c.pending)
			c.pending = c.pending[n:]
			if len(c.pending) == 0 {
				c.pending = nil
			}
		} else {
			n, err = c.nc.Read(dst)
		}
		// A read that completes the unit counts even if it also returned
		// an error; the next read reports the error again.
		if c.filled(n) {
			m, done, perr := c.step()
			if perr != nil || done {
				return m, perr
			}
			continue
		}
		if err != nil {
			return readMsg{}, c.inputEnded(err)
		}
	}
}
