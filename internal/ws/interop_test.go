package ws

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// dialGorilla connects a gorilla/websocket client to ts.
func dialGorilla(t *testing.T, ts *testServer, d *websocket.Dialer) (*websocket.Conn, *http.Response) {
	t.Helper()
	if d == nil {
		d = &websocket.Dialer{}
	}
	d.HandshakeTimeout = waitTimeout
	cl, resp, err := d.Dial(ts.wsURL(), nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { cl.Close() })
	_ = cl.SetReadDeadline(time.Now().Add(waitTimeout))
	return cl, resp
}

func testPayload(n int, text bool) []byte {
	p := make([]byte, n)
	r := rand.New(rand.NewPCG(uint64(n), 1))
	for i := range p {
		if text {
			p[i] = byte('a' + r.IntN(26))
		} else {
			p[i] = byte(r.Uint32())
		}
	}
	return p
}

func TestEchoGorilla(t *testing.T) {
	sizes := []int{0, 1, 125, 126, 127, 4096, 65535, 65536}
	for _, compress := range []bool{false, true} {
		for _, text := range []bool{true, false} {
			name := fmt.Sprintf("compress=%v/text=%v", compress, text)
			t.Run(name, func(t *testing.T) {
				// Random binary data grows a little when compressed; the
				// read limit applies to the compressed size.
				ts := startServer(t, &UpgradeOptions{Compression: compress, ReadLimit: 70000}, echo)
				cl, resp := dialGorilla(t, ts, &websocket.Dialer{EnableCompression: compress})
				if got := resp.Header.Get("Sec-WebSocket-Extensions") != ""; got != compress {
					t.Fatalf("extension negotiated = %v, want %v", got, compress)
				}
				mt := websocket.BinaryMessage
				if text {
					mt = websocket.TextMessage
				}
				for _, n := range sizes {
					p := testPayload(n, text)
					if err := cl.WriteMessage(mt, p); err != nil {
						t.Fatal(err)
					}
					gotType, got, err := cl.ReadMessage()
					if err != nil {
						t.Fatalf("size %d: %v", n, err)
					}
					if gotType != mt || !bytes.Equal(got, p) {
						t.Fatalf("size %d: echo mismatch (type %d, len %d)", n, gotType, len(got))
					}
				}
				cl.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""))
				var ce *CloseError
				if err := ts.result(t); !errors.As(err, &ce) || ce.Code != 1000 {
					t.Fatalf("server result = %v, want close 1000", err)
				}
			})
		}
	}
}

func TestFragmentedGorilla(t *testing.T) {
	for _, compress := range []bool{false, true} {
		t.Run(fmt.Sprintf("compress=%v", compress), func(t *testing.T) {
			ts := startServer(t, &UpgradeOptions{Compression: compress}, echo)
			// A small write buffer makes gorilla emit many fragments.
			cl, _ := dialGorilla(t, ts, &websocket.Dialer{EnableCompression: compress, WriteBufferSize: 256})
			p := testPayload(20000, true)
			w, err := cl.NextWriter(websocket.TextMessage)
			if err != nil {
				t.Fatal(err)
			}
			for chunk := range slices(p, 1000) {
				if _, err := w.Write(chunk); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			_, got, err := cl.ReadMessage()
			if err != nil || !bytes.Equal(got, p) {
				t.Fatalf("echo of fragmented message: len %d, err %v", len(got), err)
			}
		})
	}
}

// slices yields consecutive chunks of p.
func slices(p []byte, n int) func(func([]byte) bool) {
	return func(yield func([]byte) bool) {
		for len(p) > 0 {
			k := min(n, len(p))
			if !yield(p[:k]) {
				return
			}
			p = p[k:]
		}
	}
}

func TestPingPongGorilla(t *testing.T) {
	pongs := make(chan string, 4)
	ts := startServer(t, &UpgradeOptions{OnPong: func(d []byte) { pongs <- string(d) }}, func(c *Conn) error {
		if err := c.WritePing([]byte("from-server")); err != nil {
			return err
		}
		return echo(c)
	})
	cl, _ := dialGorilla(t, ts, nil)
	clientPongs := make(chan string, 4)
	cl.SetPongHandler(func(s string) error { clientPongs <- s; return nil })

	// Client ping → server pong.
	if err := cl.WriteControl(websocket.PingMessage, []byte("from-client"), time.Now().Add(waitTimeout)); err != nil {
		t.Fatal(err)
	}
	// gorilla answers the server's ping and handles our pong while reading.
	for _, m := range []string{"one", "two"} {
		if err := cl.WriteMessage(websocket.TextMessage, []byte(m)); err != nil {
			t.Fatal(err)
		}
		if _, got, err := cl.ReadMessage(); err != nil || string(got) != m {
			t.Fatalf("echo %q: %q %v", m, got, err)
		}
	}
	if got := recv(t, clientPongs); got != "from-client" {
		t.Fatalf("client pong = %q", got)
	}
	if got := recv(t, pongs); got != "from-server" {
		t.Fatalf("server OnPong = %q", got)
	}
	if err := (&Conn{}).WritePing(make([]byte, 126)); !errors.Is(err, ErrControlTooBig) {
		t.Fatalf("WritePing(126 bytes) = %v", err)
	}
}

func TestCloseFromClient(t *testing.T) {
	ts := startServer(t, nil, echo)
	cl, _ := dialGorilla(t, ts, nil)
	if err := cl.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4000, "client bye")); err != nil {
		t.Fatal(err)
	}
	_, _, err := cl.ReadMessage()
	var gce *websocket.CloseError
	if !errors.As(err, &gce) || gce.Code != 4000 {
		t.Fatalf("client read = %v, want echoed close 4000", err)
	}
	var ce *CloseError
	if err := ts.result(t); !errors.As(err, &ce) || ce.Code != 4000 || ce.Reason != "client bye" {
		t.Fatalf("server result = %v, want CloseError{4000, client bye}", err)
	}
}

func TestCloseFromServer(t *testing.T) {
	reason := strings.Repeat("é", 70) // 140 bytes: truncated to 122 on a rune boundary
	ts := startServer(t, nil, func(c *Conn) error {
		if err := c.WriteClose(4001, reason); err != nil {
			return err
		}
		if err := c.WriteClose(4002, ""); !errors.Is(err, ErrCloseSent) {
			return fmt.Errorf("second WriteClose = %v", err)
		}
		if err := c.WriteMessage(OpText, []byte("late")); !errors.Is(err, ErrCloseSent) {
			return fmt.Errorf("WriteMessage after close = %v", err)
		}
		_ = c.SetReadDeadline(time.Now().Add(waitTimeout))
		_, _, _, err := nextMessage(c)
		return err
	})
	cl, _ := dialGorilla(t, ts, nil)
	_, _, err := cl.ReadMessage()
	var gce *websocket.CloseError
	if !errors.As(err, &gce) || gce.Code != 4001 || gce.Text != strings.Repeat("é", 61) {
		t.Fatalf("client read = %v, want close 4001 with truncated reason", err)
	}
	var ce *CloseError
	if err := ts.result(t); !errors.As(err, &ce) || ce.Code != 4001 {
		t.Fatalf("server result = %v, want the client's echo of 4001", err)
	}
	if err := (&Conn{}).WriteClose(1005+1, ""); !errors.Is(err, ErrInvalidCloseCode) {
		t.Fatalf("WriteClose(1006) = %v", err)
	}
}

func TestReadLimitGorilla(t *testing.T) {
	ts := startServer(t, &UpgradeOptions{ReadLimit: 1000}, echo)
	cl, _ := dialGorilla(t, ts, nil)
	if err := cl.WriteMessage(websocket.BinaryMessage, make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	if _, got, err := cl.ReadMessage(); err != nil || len(got) != 1000 {
		t.Fatalf("message at the limit: len %d, %v", len(got), err)
	}
	if err := cl.WriteMessage(websocket.BinaryMessage, make([]byte, 1001)); err != nil {
		t.Fatal(err)
	}
	_, _, err := cl.ReadMessage()
	var gce *websocket.CloseError
	if !errors.As(err, &gce) || gce.Code != websocket.CloseMessageTooBig {
		t.Fatalf("client read = %v, want close 1009", err)
	}
	if err := ts.result(t); !errors.Is(err, ErrMessageTooBig) {
		t.Fatalf("server result = %v", err)
	}
}

func TestDecompressedLimitGorilla(t *testing.T) {
	ts := startServer(t, &UpgradeOptions{Compression: true, ReadLimit: 1000, DecompressedReadLimit: 4000}, echo)
	cl, _ := dialGorilla(t, ts, &websocket.Dialer{EnableCompression: true})
	ok := bytes.Repeat([]byte("a"), 4000) // compresses to a few bytes
	if err := cl.WriteMessage(websocket.TextMessage, ok); err != nil {
		t.Fatal(err)
	}
	if _, got, err := cl.ReadMessage(); err != nil || !bytes.Equal(got, ok) {
		t.Fatalf("message at the decompressed limit: len %d, %v", len(got), err)
	}
	if err := cl.WriteMessage(websocket.TextMessage, bytes.Repeat([]byte("a"), 4001)); err != nil {
		t.Fatal(err)
	}
	_, _, err := cl.ReadMessage()
	var gce *websocket.CloseError
	if !errors.As(err, &gce) || gce.Code != websocket.CloseMessageTooBig {
		t.Fatalf("client read = %v, want close 1009", err)
	}
	if err := ts.result(t); !errors.Is(err, ErrMessageTooBig) {
		t.Fatalf("server result = %v", err)
	}
}

func TestCompressionNegotiationGorilla(t *testing.T) {
	tests := []struct{ server, client, want bool }{
		{true, true, true}, {true, false, false}, {false, true, false}, {false, false, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("server=%v/client=%v", tt.server, tt.client), func(t *testing.T) {
			got := make(chan bool, 1)
			ts := startServer(t, &UpgradeOptions{Compression: tt.server},
				func(c *Conn) error { got <- c.Compressed(); return echo(c) })
			cl, _ := dialGorilla(t, ts, &websocket.Dialer{EnableCompression: tt.client})
			if g := recv(t, got); g != tt.want {
				t.Fatalf("Compressed() = %v, want %v", g, tt.want)
			}
			p := testPayload(3000, true)
			if err := cl.WriteMessage(websocket.TextMessage, p); err != nil {
				t.Fatal(err)
			}
			if _, e, err := cl.ReadMessage(); err != nil || !bytes.Equal(e, p) {
				t.Fatalf("echo: %v", err)
			}
		})
	}
}

func TestConcurrentWrites(t *testing.T) {
	const writers, perWriter = 4, 200
	for _, compress := range []bool{false, true} {
		t.Run(fmt.Sprintf("compress=%v", compress), func(t *testing.T) {
			ts := startServer(t, &UpgradeOptions{Compression: compress, CompressionMinSize: 64}, func(c *Conn) error {
				var wg sync.WaitGroup
				errs := make(chan error, writers)
				for w := range writers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := range perWriter {
							// Vary sizes so some messages are compressed and some use writev.
							msg := fmt.Sprintf("w%d-%d-%s", w, i, strings.Repeat("x", (i*97)%5000))
							if err := c.WriteMessage(OpText, []byte(msg)); err != nil {
								errs <- err
								return
							}
							if i%50 == 0 {
								if err := c.WritePing([]byte("p")); err != nil {
									errs <- err
									return
								}
							}
						}
					}()
				}
				err := echo(c) // the reader answers pings and echoes concurrently
				wg.Wait()
				close(errs)
				for e := range errs {
					return e
				}
				return err
			})
			cl, _ := dialGorilla(t, ts, &websocket.Dialer{EnableCompression: compress})
			pingsFromClient := 0
			next := make([]int, writers)
			echoed := 0
			for echoed < 20 || next[0]+next[1]+next[2]+next[3] < writers*perWriter {
				if pingsFromClient < 20 {
					cl.WriteControl(websocket.PingMessage, nil, time.Now().Add(waitTimeout))
					cl.WriteMessage(websocket.TextMessage, []byte("echo"))
					pingsFromClient++
				}
				_, p, err := cl.ReadMessage()
				if err != nil {
					t.Fatal(err)
				}
				if string(p) == "echo" {
					echoed++
					continue
				}
				var w, i int
				if _, err := fmt.Sscanf(string(p), "w%d-%d-", &w, &i); err != nil {
					t.Fatalf("unexpected message %.20q", p)
				}
				if i != next[w] {
					t.Fatalf("writer %d: got message %d, want %d", w, i, next[w])
				}
				next[w]++
			}
			cl.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""))
			var ce *CloseError
			if err := ts.result(t); !errors.As(err, &ce) {
				t.Fatalf("server result = %v", err)
			}
		})
	}
}
