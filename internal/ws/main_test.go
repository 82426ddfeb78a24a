package ws

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitTimeout bounds every wait on a channel in the tests.
const waitTimeout = 10 * time.Second

// testServer runs an httptest server whose handler upgrades with opts and
// then runs handle. The handler's result is delivered on errc.
type testServer struct {
	url  string // http://127.0.0.1:port
	errc chan error
}

// wsURL returns the ws:// URL of the server.
func (s *testServer) wsURL() string { return "ws" + strings.TrimPrefix(s.url, "http") }

// addr returns host:port of the server.
func (s *testServer) addr() string { return strings.TrimPrefix(s.url, "http://") }

// result waits for the handler to finish and returns its error.
func (s *testServer) result(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.errc:
		return err
	case <-time.After(waitTimeout):
		t.Fatal("timed out waiting for the server handler")
		return nil
	}
}

func startServer(t *testing.T, opts *UpgradeOptions, handle func(c *Conn) error) *testServer {
	t.Helper()
	ts := &testServer{errc: make(chan error, 16)}
	mode := testReadMode
	var wg sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wg.Add(1)
		defer wg.Done()
		c, err := Upgrade(w, r, opts)
		if err != nil {
			ts.errc <- err
			return
		}
		defer c.Close()
		if mode != readBlocking {
			stop := startPushReader(c, mode)
			defer stop()
		}
		ts.errc <- handle(c)
	}))
	ts.url = srv.URL
	t.Cleanup(func() {
		srv.Close()
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(waitTimeout):
			t.Error("server handlers did not finish")
		}
	})
	return ts
}

// echo is a handler that sends every message back until ReadMessage fails.
func echo(c *Conn) error {
	for {
		op, p, release, err := nextMessage(c)
		if err != nil {
			return err
		}
		err = c.WriteMessage(op, p)
		release()
		if err != nil {
			return err
		}
	}
}

// rawClient is a hand-driven client connection.
type rawClient struct {
	t    *testing.T
	nc   net.Conn
	br   *bufio.Reader
	resp *http.Response
}

const testKey = "dGhlIHNhbXBsZSBub25jZQ==" // RFC 6455, section 1.3

// dialRaw performs the opening handshake by hand. extra holds additional
// header lines (each ending in \r\n); first is written in the same Write
// call as the request.
func dialRaw(t *testing.T, ts *testServer, extra string, first []byte) *rawClient {
	t.Helper()
	req := "GET /ws HTTP/1.1\r\nHost: " + ts.addr() + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + testKey + "\r\nSec-WebSocket-Version: 13\r\n" + extra + "\r\n"
	return dialRawHeaders(t, ts, req+string(first))
}

// dialRawHeaders writes req (a request, possibly followed by frames) with
// one Write call and reads the 101 response.
func dialRawHeaders(t *testing.T, ts *testServer, req string) *rawClient {
	t.Helper()
	nc, err := net.DialTimeout("tcp", ts.addr(), waitTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(waitTimeout))
	if _, err := nc.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status = %d, want 101", resp.StatusCode)
	}
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("Sec-WebSocket-Accept = %q", got)
	}
	return &rawClient{t: t, nc: nc, br: br, resp: resp}
}

func (rc *rawClient) write(frames ...[]byte) {
	rc.t.Helper()
	if _, err := rc.nc.Write(bytes.Join(frames, nil)); err != nil {
		rc.t.Fatal(err)
	}
}

// readFrame reads one server frame, which must be unmasked.
func (rc *rawClient) readFrame() (b0 byte, payload []byte) {
	rc.t.Helper()
	b0, payload, err := readServerFrame(rc.br)
	if err != nil {
		rc.t.Fatal(err)
	}
	return b0, payload
}

// expectClose reads frames until a close frame and checks its code.
func (rc *rawClient) expectClose(code uint16) string {
	rc.t.Helper()
	for {
		b0, p := rc.readFrame()
		if OpCode(b0&opMask) != OpClose {
			continue
		}
		if len(p) < 2 {
			rc.t.Fatalf("close frame without code, want %d", code)
		}
		if got := binary.BigEndian.Uint16(p); got != code {
			rc.t.Fatalf("close code = %d (%q), want %d", got, p[2:], code)
		}
		return string(p[2:])
	}
}

func readServerFrame(br *bufio.Reader) (byte, []byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return 0, nil, err
	}
	if h[1]&maskBit != 0 {
		return 0, nil, errors.New("server frame is masked")
	}
	n := uint64(h[1] & lenMask)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	p := make([]byte, n)
	_, err := io.ReadFull(br, p)
	return h[0], p, err
}

var testMaskKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// frame builds a client frame; b0 holds FIN, RSV and opcode bits.
func frame(b0 byte, payload []byte) []byte { return rawFrame(b0, payload, true) }

func rawFrame(b0 byte, payload []byte, masked bool) []byte {
	b := []byte{b0, 0}
	n := len(payload)
	switch {
	case n <= 125:
		b[1] = byte(n)
	case n <= 0xffff:
		b[1] = 126
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b[1] = 127
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	p := append([]byte(nil), payload...)
	if masked {
		b[1] |= maskBit
		b = append(b, testMaskKey[:]...)
		for i := range p {
			p[i] ^= testMaskKey[i&3]
		}
	}
	return append(b, p...)
}

func closeBody(code uint16, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, code), reason...)
}

// deflateMessage compresses p as a permessage-deflate payload.
func deflateMessage(t testing.TB, p []byte) []byte {
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, flate.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(p)
	fw.Flush()
	b := buf.Bytes()
	if !bytes.HasSuffix(b, []byte(deflateTail)) {
		t.Fatal("flush did not end with the sync marker")
	}
	return b[:len(b)-4]
}

// inflateMessage decompresses a permessage-deflate payload.
func inflateMessage(t testing.TB, p []byte) []byte {
	t.Helper()
	fr := flate.NewReader(io.MultiReader(bytes.NewReader(p), strings.NewReader(inflateTail)))
	out, err := io.ReadAll(fr)
	if err != nil {
		t.Fatalf("inflate: %v", err)
	}
	return out
}

// memConn is an in-memory net.Conn: reads come from r, writes go to w.
type memConn struct {
	r io.Reader
	w io.Writer
}

func (m *memConn) Read(p []byte) (int, error)         { return m.r.Read(p) }
func (m *memConn) Write(p []byte) (int, error)        { return m.w.Write(p) }
func (m *memConn) Close() error                       { return nil }
func (m *memConn) LocalAddr() net.Addr                { return memAddr{} }
func (m *memConn) RemoteAddr() net.Addr               { return memAddr{} }
func (m *memConn) SetDeadline(t time.Time) error      { return nil }
func (m *memConn) SetReadDeadline(t time.Time) error  { return nil }
func (m *memConn) SetWriteDeadline(t time.Time) error { return nil }

type memAddr struct{}

func (memAddr) Network() string { return "mem" }
func (memAddr) String() string  { return "mem" }

// loopReader returns data over and over.
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := copy(p, l.data[l.off:])
	l.off = (l.off + n) % len(l.data)
	return n, nil
}

// recv waits for a value on ch.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitTimeout):
		t.Fatal("timed out waiting on channel")
		var zero T
		return zero
	}
}
