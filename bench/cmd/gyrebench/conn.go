package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// A conn is one client-protocol-v2 WebSocket connection. The generator keeps it
// cheap: one goroutine reads with a large buffer, replies are matched by id
// without decoding, publications are found by the marker `"bt":` in the raw
// bytes (the payload is raw JSON in both JSON and Protobuf framing), and client
// frames are masked with a zero key (valid RFC 6455, no XOR work).
type conn struct {
	nc    net.Conn
	br    *bufio.Reader
	proto bool
	idx   int

	wmu  sync.Mutex
	wbuf []byte

	replies chan reply // connect/subscribe replies (publish replies are only counted)
	rec     atomic.Pointer[recorder]
	seen    bitset // publication sequence numbers seen (duplicates / loss)
	closed  atomic.Bool
	done    chan struct{}
	pings   atomic.Uint32 // server pings answered
}

type reply struct {
	id  uint32
	err bool
}

var (
	errHandshake = errors.New("websocket upgrade failed")
	errReply     = errors.New("error reply")
	errTimeout   = errors.New("reply timeout")
)

const readBufSize = 32 << 10

// dial opens the TCP connection from the given source address and upgrades it.
func dial(local *net.TCPAddr, server string, proto bool, idx int) (*conn, error) {
	d := net.Dialer{LocalAddr: local, Timeout: 10 * time.Second}
	nc, err := d.Dial("tcp", server)
	if err != nil {
		return nil, err
	}
	path := "/connection/websocket"
	if proto {
		path += "?format=protobuf"
	}
	req := "GET " + path + " HTTP/1.1\r\nHost: " + server +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := nc.Write([]byte(req)); err != nil {
		nc.Close()
		return nil, err
	}
	br := bufio.NewReaderSize(nc, readBufSize)
	line, err := br.ReadSlice('\n')
	if err != nil || !bytes.HasPrefix(line, []byte("HTTP/1.1 101")) {
		nc.Close()
		if err == nil {
			err = fmt.Errorf("%w: %q", errHandshake, bytes.TrimSpace(line))
		}
		return nil, err
	}
	for {
		line, err = br.ReadSlice('\n')
		if err != nil {
			nc.Close()
			return nil, err
		}
		if len(line) <= 2 {
			break
		}
	}
	_ = nc.SetDeadline(time.Time{})
	c := &conn{nc: nc, br: br, proto: proto, idx: idx, replies: make(chan reply, 4), done: make(chan struct{})}
	go c.readLoop()
	return c, nil
}

func (c *conn) close() {
	if c.closed.CompareAndSwap(false, true) {
		c.nc.Close()
	}
}

// writeFrame sends one masked (zero key) text or binary frame.
func (c *conn) writeFrame(payload []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	op := byte(0x1)
	if c.proto {
		op = 0x2
	}
	b := c.wbuf[:0]
	b = append(b, 0x80|op)
	n := len(payload)
	switch {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n < 65536:
		b = append(b, 0x80|126, byte(n>>8), byte(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	b = append(b, 0, 0, 0, 0)
	b = append(b, payload...)
	c.wbuf = b
	_, err := c.nc.Write(b)
	return err
}

func (c *conn) writeControl(op byte, payload []byte) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	b := append(c.wbuf[:0], 0x80|op, 0x80|byte(len(payload)), 0, 0, 0, 0)
	b = append(b, payload...)
	c.wbuf = b
	_, _ = c.nc.Write(b)
}

var (
	jsonPong  = []byte("{}")
	protoPong = []byte{0}
)

func (c *conn) readLoop() {
	defer close(c.done)
	defer c.close()
	var hdr [14]byte
	var buf []byte // payload (reused); continuation frames are appended
	for {
		if _, err := io.ReadFull(c.br, hdr[:2]); err != nil {
			return
		}
		fin := hdr[0]&0x80 != 0
		op := hdr[0] & 0x0f
		n := uint64(hdr[1] & 0x7f)
		switch n {
		case 126:
			if _, err := io.ReadFull(c.br, hdr[:2]); err != nil {
				return
			}
			n = uint64(binary.BigEndian.Uint16(hdr[:2]))
		case 127:
			if _, err := io.ReadFull(c.br, hdr[:8]); err != nil {
				return
			}
			n = binary.BigEndian.Uint64(hdr[:8])
		}
		if n > 64<<20 {
			return
		}
		if op >= 0x8 { // control
			p := make([]byte, n)
			if _, err := io.ReadFull(c.br, p); err != nil {
				return
			}
			switch op {
			case 0x8:
				c.writeControl(0x8, p[:min(len(p), 2)])
				return
			case 0x9:
				c.writeControl(0xA, p)
			}
			continue
		}
		start := 0
		if op == 0 {
			start = len(buf)
		} else {
			buf = buf[:0]
		}
		need := start + int(n)
		if cap(buf) < need {
			nb := make([]byte, need, need*2)
			copy(nb, buf[:start])
			buf = nb
		}
		buf = buf[:need]
		if _, err := io.ReadFull(c.br, buf[start:]); err != nil {
			return
		}
		if !fin {
			continue
		}
		if c.proto {
			c.handleProto(buf)
		} else {
			c.handleJSON(buf)
		}
	}
}

var (
	pushPrefix = []byte(`{"push"`)
	idKey      = []byte(`"id":`)
	errKey     = []byte(`"error"`)
	btKey      = []byte(`"bt":`)
)

func (c *conn) handleJSON(frame []byte) {
	for len(frame) > 0 {
		var msg []byte
		if i := bytes.IndexByte(frame, '\n'); i >= 0 {
			msg, frame = frame[:i], frame[i+1:]
		} else {
			msg, frame = frame, nil
		}
		if len(msg) == 2 && msg[0] == '{' && msg[1] == '}' {
			c.pings.Add(1)
			_ = c.writeFrame(jsonPong)
			continue
		}
		if bytes.HasPrefix(msg, pushPrefix) {
			c.onPush(msg)
			continue
		}
		if i := bytes.Index(msg, idKey); i >= 0 {
			id, _ := parseUint(msg[i+len(idKey):])
			c.onReply(uint32(id), bytes.Contains(msg, errKey))
		}
	}
}

func (c *conn) handleProto(frame []byte) {
	for len(frame) > 0 {
		l, k := binary.Uvarint(frame)
		if k <= 0 || uint64(len(frame)-k) < l {
			return
		}
		msg := frame[k : k+int(l)]
		frame = frame[k+int(l):]
		if l == 0 {
			c.pings.Add(1)
			_ = c.writeFrame(protoPong)
			continue
		}
		// Reply: 1 id (varint), 2 error, 4 push, 5.. results.
		var id uint64
		isErr, isPush := false, false
		for p := msg; len(p) > 0; {
			tag, k := binary.Uvarint(p)
			if k <= 0 {
				break
			}
			p = p[k:]
			f, wt := tag>>3, tag&7
			switch wt {
			case 0:
				v, k := binary.Uvarint(p)
				if k <= 0 {
					p = nil
					break
				}
				if f == 1 {
					id = v
				}
				p = p[k:]
			case 2:
				v, k := binary.Uvarint(p)
				if k <= 0 || uint64(len(p)-k) < v {
					p = nil
					break
				}
				switch f {
				case 2:
					isErr = true
				case 4:
					isPush = true
				}
				p = p[k+int(v):]
			default:
				p = nil
			}
		}
		if isPush {
			c.onPush(msg)
		} else if id > 0 {
			c.onReply(uint32(id), isErr)
		}
	}
}

func (c *conn) onReply(id uint32, isErr bool) {
	if id >= firstPublishID {
		if r := c.rec.Load(); r != nil && isErr {
			r.pubErrors.Add(1)
		}
		return
	}
	select {
	case c.replies <- reply{id: id, err: isErr}:
	default:
	}
}

// onPush records every publication in msg (marker "bt":<unix ns>,"s":<seq>).
func (c *conn) onPush(msg []byte) {
	r := c.rec.Load()
	if r == nil {
		return
	}
	for {
		i := bytes.Index(msg, btKey)
		if i < 0 {
			return
		}
		msg = msg[i+len(btKey):]
		ts, k := parseUint(msg)
		msg = msg[k:]
		var seq uint64
		if len(msg) > 5 && msg[0] == ',' && msg[1] == '"' && msg[2] == 's' {
			seq, k = parseUint(msg[5:])
			msg = msg[5+k:]
		}
		now := time.Now().UnixNano()
		r.received.Add(1)
		if seq > 0 && c.seen.testAndSet(seq) {
			r.dups.Add(1)
		}
		if d := now - int64(ts); d > 0 {
			r.lat.add(uint64(d) / 1000)
		} else {
			r.lat.add(0)
		}
	}
}

func parseUint(b []byte) (uint64, int) {
	var v uint64
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		v = v*10 + uint64(b[i]-'0')
		i++
	}
	return v, i
}

// await waits for the reply with the given id.
func (c *conn) await(id uint32, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case r := <-c.replies:
			if r.id != id {
				continue
			}
			if r.err {
				return errReply
			}
			return nil
		case <-c.done:
			return io.ErrUnexpectedEOF
		case <-t.C:
			return errTimeout
		}
	}
}

const firstPublishID = 1000

// Commands. JSON ones are written by hand; Protobuf ones are encoded field by field.

func connectCmd(proto bool, token string) []byte {
	if !proto {
		return []byte(`{"id":1,"connect":{"token":"` + token + `","name":"gyrebench"}}`)
	}
	inner := appendBytesField(nil, 1, []byte(token))
	inner = appendBytesField(inner, 4, []byte("gyrebench")) // name
	cmd := appendVarintField(nil, 1, 1)
	cmd = appendBytesField(cmd, 4, inner)
	return appendLenPrefixed(cmd)
}

func subscribeCmd(proto bool, id uint32, channel string) []byte {
	if !proto {
		return []byte(`{"id":` + strconv.FormatUint(uint64(id), 10) + `,"subscribe":{"channel":"` + channel + `"}}`)
	}
	cmd := appendVarintField(nil, 1, uint64(id))
	cmd = appendBytesField(cmd, 5, appendBytesField(nil, 1, []byte(channel)))
	return appendLenPrefixed(cmd)
}

func publishCmd(proto bool, id uint32, channel string, data []byte) []byte {
	if !proto {
		b := make([]byte, 0, 64+len(channel)+len(data))
		b = append(b, `{"id":`...)
		b = strconv.AppendUint(b, uint64(id), 10)
		b = append(b, `,"publish":{"channel":"`...)
		b = append(b, channel...)
		b = append(b, `","data":`...)
		b = append(b, data...)
		return append(b, "}}"...)
	}
	inner := appendBytesField(nil, 1, []byte(channel))
	inner = appendBytesField(inner, 2, data)
	cmd := appendVarintField(nil, 1, uint64(id))
	cmd = appendBytesField(cmd, 7, inner)
	return appendLenPrefixed(cmd)
}

func appendVarintField(b []byte, f int, v uint64) []byte {
	b = binary.AppendUvarint(b, uint64(f<<3))
	return binary.AppendUvarint(b, v)
}

func appendBytesField(b []byte, f int, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(f<<3|2))
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

func appendLenPrefixed(msg []byte) []byte {
	b := binary.AppendUvarint(make([]byte, 0, len(msg)+3), uint64(len(msg)))
	return append(b, msg...)
}

// payload is the publication data: the send time and a sequence number first,
// so receivers find them without decoding anything else.
func payload(seq uint64, pad int) []byte {
	b := make([]byte, 0, 48+pad)
	b = append(b, `{"bt":`...)
	b = strconv.AppendInt(b, time.Now().UnixNano(), 10)
	b = append(b, `,"s":`...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, `,"p":"`...)
	for i := 0; i < pad; i++ {
		b = append(b, 'x')
	}
	return append(b, `"}`...)
}

// bitset records sequence numbers seen by one connection.
type bitset struct {
	mu sync.Mutex
	w  []uint64
}

func (s *bitset) testAndSet(i uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := int(i >> 6)
	if k >= len(s.w) {
		nw := make([]uint64, k+1+k/2)
		copy(nw, s.w)
		s.w = nw
	}
	m := uint64(1) << (i & 63)
	had := s.w[k]&m != 0
	s.w[k] |= m
	return had
}

func (s *bitset) reset() {
	s.mu.Lock()
	clear(s.w)
	s.mu.Unlock()
}
