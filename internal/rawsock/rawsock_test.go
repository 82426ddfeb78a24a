package rawsock

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const waitTimeout = 10 * time.Second

// pair returns a wrapped server side and a plain client side of a loopback
// TCP connection, accepted through Listener.
func pair(t *testing.T) (server net.Conn, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err = Listener{ln}.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

func TestWrapAndRawConn(t *testing.T) {
	server, client := pair(t)
	if _, ok := server.(*Conn); !ok {
		t.Fatalf("accepted %T, want *rawsock.Conn", server)
	}
	if RawConn(server) == nil || RawConn(client) == nil {
		t.Fatal("RawConn is nil for a TCP connection")
	}
	p1, p2 := net.Pipe()
	defer p1.Close()
	defer p2.Close()
	if RawConn(p1) != nil || Wrap(p1) != p1 {
		t.Fatal("a pipe must not take the raw path")
	}
}

// TestReadWrite moves payloads of several sizes (larger ones fill the socket
// buffers, so Write has to wait for the reader) in both directions.
func TestReadWrite(t *testing.T) {
	for _, size := range []int{1, 100, 64 << 10, 8 << 20} {
		t.Run(byteSize(size), func(t *testing.T) {
			server, client := pair(t)
			want := bytes.Repeat([]byte("gyre"), size/4+1)[:size]
			for _, dir := range []struct {
				name string
				w, r net.Conn
			}{{"server writes", server, client}, {"server reads", client, server}} {
				errc := make(chan error, 1)
				go func() {
					_, err := dir.w.Write(want)
					errc <- err
				}()
				got := make([]byte, size)
				_ = dir.r.SetReadDeadline(time.Now().Add(waitTimeout))
				if _, err := io.ReadFull(dir.r, got); err != nil {
					t.Fatalf("%s: read: %v", dir.name, err)
				}
				if err := <-errc; err != nil {
					t.Fatalf("%s: write: %v", dir.name, err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("%s: payload differs", dir.name)
				}
			}
		})
	}
}

func byteSize(n int) string {
	switch {
	case n >= 1<<20:
		return strconv.Itoa(n>>20) + "MiB"
	case n >= 1<<10:
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}

// TestEdges covers EOF, deadlines, TryWrite on a full buffer, and a Read
// blocked while the connection is closed.
func TestEdges(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, server *Conn, client net.Conn)
	}{
		{"EOF after the peer closes", func(t *testing.T, server *Conn, client net.Conn) {
			_, _ = client.Write([]byte("bye"))
			client.Close()
			got, err := io.ReadAll(server)
			if err != nil || string(got) != "bye" {
				t.Fatalf("ReadAll = %q, %v", got, err)
			}
		}},
		{"read deadline", func(t *testing.T, server *Conn, _ net.Conn) {
			_ = server.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			_, err := server.Read(make([]byte, 10))
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("err = %v, want a deadline error", err)
			}
		}},
		{"write deadline with a reader that stopped", func(t *testing.T, server *Conn, _ net.Conn) {
			_ = server.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
			_, err := server.Write(make([]byte, 64<<20))
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Fatalf("err = %v, want a timeout", err)
			}
		}},
		{"TryWrite reports a full buffer without waiting", func(t *testing.T, server *Conn, _ net.Conn) {
			start := time.Now()
			n, full, err := TryWrite(server.rc, make([]byte, 64<<20))
			if err != nil || !full || n == 0 || n >= 64<<20 {
				t.Fatalf("TryWrite = %d, %v, %v; want a partial write and full", n, full, err)
			}
			if el := time.Since(start); el > 5*time.Second {
				t.Fatalf("TryWrite took %v", el)
			}
		}},
		{"close while a read waits", func(t *testing.T, server *Conn, _ net.Conn) {
			errc := make(chan error, 1)
			go func() {
				_, err := server.Read(make([]byte, 10))
				errc <- err
			}()
			<-time.After(20 * time.Millisecond) // let the read park (either order is valid)
			server.Close()
			select {
			case err := <-errc:
				if !errors.Is(err, net.ErrClosed) {
					t.Fatalf("err = %v, want net.ErrClosed", err)
				}
			case <-time.After(waitTimeout):
				t.Fatal("Read did not return after Close")
			}
		}},
		{"write to a reset connection", func(t *testing.T, server *Conn, client net.Conn) {
			_ = client.(*net.TCPConn).SetLinger(0)
			client.Close() // RST
			var err error
			for i := 0; i < 1000 && err == nil; i++ {
				_, err = server.Write([]byte("x"))
			}
			if err == nil {
				t.Fatal("writes to a reset connection kept succeeding")
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			server, client := pair(t)
			c.run(t, server.(*Conn), client)
		})
	}
}
