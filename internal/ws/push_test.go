package ws

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
)

// readMode selects how the test servers of startServer read their
// connections.
type readMode int

const (
	// readBlocking: handlers call ReadMessage.
	readBlocking readMode = iota
	// readPushChunks: a reader goroutine reads up to 4 KiB at a time from
	// the network connection and pushes it into Feed.
	readPushChunks
	// readPushBytes: as readPushChunks, one byte at a time.
	readPushBytes
)

// String names the mode in subtest names.
func (m readMode) String() string {
	return [...]string{"blocking", "push-chunks", "push-bytes"}[m]
}

// testReadMode is the mode startServer uses; TestPushReadPath switches it.
// Tests in this package do not run in parallel.
var testReadMode = readBlocking

// pushReaders maps a *Conn served in a push mode to its *pushReader.
var pushReaders sync.Map

// pushMsg is a message or error produced by Feed, passed to nextMessage.
type pushMsg struct {
	op  OpCode
	p   []byte
	err error
}

// pushReader feeds a connection's input through Feed and hands the
// messages to the handler's nextMessage calls one at a time. Feed's
// message callback waits until the handler asks for the next message, so
// side effects (echoes, pongs, close frames) happen in the same order as
// with ReadMessage.
type pushReader struct {
	c     *Conn
	chunk int
	next  chan struct{} // the handler wants the next message
	msgs  chan pushMsg
	done  chan struct{} // the handler returned
}

// startPushReader starts the reader goroutine for c; stop ends it.
func startPushReader(c *Conn, mode readMode) (stop func()) {
	r := &pushReader{c: c, chunk: 4096, next: make(chan struct{}), msgs: make(chan pushMsg), done: make(chan struct{})}
	if mode == readPushBytes {
		r.chunk = 1
	}
	pushReaders.Store(c, r)
	var wg sync.WaitGroup
	wg.Go(r.run)
	return func() {
		close(r.done)
		c.Close() // unblocks the read
		wg.Wait()
		pushReaders.Delete(c)
	}
}

// run is the reader goroutine.
func (r *pushReader) run() {
	select {
	case <-r.next:
	case <-r.done:
		return
	}
	handle := func(op OpCode, p []byte) bool {
		select {
		case r.msgs <- pushMsg{op: op, p: p}:
		case <-r.done:
			return false
		}
		// p stays valid until the handler asks for the next message
		// (which it does only after releasing this one).
		select {
		case <-r.next:
			return true
		case <-r.done:
			return false
		}
	}
	fail := func(err error) {
		select {
		case r.msgs <- pushMsg{err: err}:
		case <-r.done:
		}
	}
	if err := r.c.Feed(nil, handle); err != nil {
		fail(err)
		return
	}
	buf := make([]byte, r.chunk)
	for {
		n, err := r.c.nc.Read(buf)
		if n > 0 {
			if ferr := r.c.Feed(buf[:n], handle); ferr != nil || r.c.rerr == ErrFeedStopped {
				if ferr != nil {
					fail(ferr)
				}
				return
			}
		}
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			fail(r.c.FeedEnd(err))
			return
		}
	}
}

// nextMessage is what test handlers call instead of ReadMessage: it reads
// the next message with the read path of the server's mode.
func nextMessage(c *Conn) (OpCode, []byte, func(), error) {
	v, ok := pushReaders.Load(c)
	if !ok {
		return c.ReadMessage()
	}
	r := v.(*pushReader)
	if c.rerr != nil && c.rerr != ErrFeedStopped {
		return 0, nil, noRelease, c.rerr
	}
	select {
	case r.next <- struct{}{}:
	case <-r.done:
		return 0, nil, noRelease, io.EOF
	}
	m := <-r.msgs
	return m.op, m.p, noRelease, m.err
}

// serverSuite lists the tests that run a server through startServer; they
// run again for every push mode in TestPushReadPath.
var serverSuite = []struct {
	name string
	fn   func(*testing.T)
}{
	{"ProtocolViolations", TestProtocolViolations},
	{"RawPingAndFragments", TestRawPingAndFragments},
	{"FirstFrameWithUpgradeRequest", TestFirstFrameWithUpgradeRequest},
	{"RawCompression", TestRawCompression},
	{"EchoGorilla", TestEchoGorilla},
	{"FragmentedGorilla", TestFragmentedGorilla},
	{"PingPongGorilla", TestPingPongGorilla},
	{"CloseFromClient", TestCloseFromClient},
	{"CloseFromServer", TestCloseFromServer},
	{"ReadLimitGorilla", TestReadLimitGorilla},
	{"DecompressedLimitGorilla", TestDecompressedLimitGorilla},
	{"CompressionNegotiationGorilla", TestCompressionNegotiationGorilla},
	{"ConcurrentWrites", TestConcurrentWrites},
	{"BadHandshakes", TestBadHandshakes},
	{"HandshakeHeaderVariants", TestHandshakeHeaderVariants},
	{"ExtraResponseHeaders", TestExtraResponseHeaders},
	{"OriginCheck", TestOriginCheck},
	{"SubprotocolSelection", TestSubprotocolSelection},
}

// TestPushReadPath runs every server test with the connection's input
// pushed through Feed, in chunks and byte by byte.
func TestPushReadPath(t *testing.T) {
	for _, mode := range []readMode{readPushChunks, readPushBytes} {
		t.Run(mode.String(), func(t *testing.T) {
			testReadMode = mode
			defer func() { testReadMode = readBlocking }()
			for _, tc := range serverSuite {
				t.Run(tc.name, tc.fn)
			}
		})
	}
}

// readAll runs the blocking parser over in and records what it produced:
// the messages, the final error and the bytes it wrote (pongs, close
// frames).
func readAll(in []byte, opts *UpgradeOptions, compress bool) (msgs []pushMsg, err error, wrote []byte) {
	var out bytes.Buffer
	c := newConn(&memConn{r: bytes.NewReader(in), w: &out}, nil, opts)
	c.compress = compress
	for range len(in)/2 + 2 {
		op, p, release, err := c.ReadMessage()
		if err != nil {
			return msgs, err, out.Bytes()
		}
		msgs = append(msgs, pushMsg{op: op, p: append([]byte{}, p...)})
		release()
	}
	return msgs, errors.New("ReadMessage kept returning messages after the input was exhausted"), out.Bytes()
}

// feedAll runs the push parser over in, cut into chunks of the sizes in
// sizes (cycled; entries below 1 and an empty list mean 1), and records the
// same as readAll.
func feedAll(in []byte, sizes []int, opts *UpgradeOptions, compress bool) (msgs []pushMsg, err error, wrote []byte) {
	var out bytes.Buffer
	c := newConn(&memConn{r: bytes.NewReader(nil), w: &out}, nil, opts)
	c.compress = compress
	handle := func(op OpCode, p []byte) bool {
		msgs = append(msgs, pushMsg{op: op, p: append([]byte{}, p...)})
		return true
	}
	for i := 0; len(in) > 0; i++ {
		n := 1
		if len(sizes) > 0 {
			n = max(1, sizes[i%len(sizes)])
		}
		n = min(n, len(in))
		if err := c.Feed(in[:n], handle); err != nil {
			return msgs, err, out.Bytes()
		}
		in = in[n:]
	}
	return msgs, c.FeedEnd(nil), out.Bytes()
}

// samePaths compares the results of readAll and feedAll.
func samePaths(in []byte, sizes []int, opts *UpgradeOptions, compress bool) error {
	m1, e1, w1 := readAll(in, opts, compress)
	m2, e2, w2 := feedAll(in, sizes, opts, compress)
	if len(m1) != len(m2) {
		return fmt.Errorf("ReadMessage returned %d messages, Feed %d", len(m1), len(m2))
	}
	for i := range m1 {
		if m1[i].op != m2[i].op || !bytes.Equal(m1[i].p, m2[i].p) {
			return fmt.Errorf("message %d differs: %v %d bytes vs %v %d bytes", i, m1[i].op, len(m1[i].p), m2[i].op, len(m2[i].p))
		}
	}
	if !sameError(e1, e2) {
		return fmt.Errorf("ReadMessage ended with %v, Feed with %v", e1, e2)
	}
	if !bytes.Equal(w1, w2) {
		return fmt.Errorf("ReadMessage wrote %x, Feed wrote %x", w1, w2)
	}
	return nil
}

// sameError reports whether two read errors are the same.
func sameError(a, b error) bool {
	var pa, pb *ProtocolError
	if errors.As(a, &pa) && errors.As(b, &pb) {
		return *pa == *pb
	}
	var ca, cb *CloseError
	if errors.As(a, &ca) && errors.As(b, &cb) {
		return *ca == *cb
	}
	return a == b
}

// TestFeedMatchesRead runs the protocol violation cases and the fuzz seeds
// through both parsers, with the push parser getting the input whole, byte
// by byte and in uneven chunks.
func TestFeedMatchesRead(t *testing.T) {
	var inputs [][]byte
	for _, v := range violationCases() {
		inputs = append(inputs, bytes.Join(v.frames, nil))
	}
	seeds := frameSeeds(t)
	inputs = append(inputs, seeds...)
	inputs = append(inputs, bytes.Join(seeds[:8], nil))
	for i, in := range inputs {
		for _, compress := range []bool{false, true} {
			for _, opts := range []*UpgradeOptions{{ReadLimit: 1000}, {ReadLimit: 100, DecompressedReadLimit: 300}, nil} {
				for _, sizes := range [][]int{{len(in)}, {1}, {1, 2}, {3}, {7, 1, 13}, {4096}} {
					if err := samePaths(in, sizes, opts, compress); err != nil {
						t.Fatalf("input %d, chunks %v, compress %v: %v", i, sizes, compress, err)
					}
				}
			}
		}
	}
}
