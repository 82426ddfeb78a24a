package ws

import (
	"io"
	"net"
	"testing"
)

// BenchmarkWriteMessage measures framing and writing a 100-byte message
// (to a discarding in-memory connection).
func BenchmarkWriteMessage(b *testing.B) {
	c := newConn(&memConn{r: eofReader{}, w: io.Discard}, nil, nil)
	msg := testPayload(100, true)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if err := c.WriteMessage(OpText, msg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteMessageCompressed measures a compressed 1000-byte message.
func BenchmarkWriteMessageCompressed(b *testing.B) {
	c := newConn(&memConn{r: eofReader{}, w: io.Discard}, nil, nil)
	c.compress = true
	msg := []byte(`{"channel":"news","data":{"title":"hello","body":"` + string(testPayload(900, true)) + `"}}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if err := c.WriteMessage(OpText, msg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadMessage measures reading, unmasking and validating a
// 100-byte masked text message.
func BenchmarkReadMessage(b *testing.B) {
	c := newConn(&memConn{r: &loopReader{data: frame(finBit|byte(OpText), testPayload(100, true))}, w: io.Discard}, nil, nil)
	b.ReportAllocs()
	b.SetBytes(100)
	for b.Loop() {
		_, _, release, err := c.ReadMessage()
		if err != nil {
			b.Fatal(err)
		}
		release()
	}
}

// BenchmarkWriteMessageTCP writes a 100-byte message over a loopback TCP
// connection, i.e. including the syscall.
func BenchmarkWriteMessageTCP(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc, err := ln.Accept()
		if err != nil {
			return
		}
		io.Copy(io.Discard, sc)
		sc.Close()
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	c := newConn(nc, nil, nil)
	msg := testPayload(100, true)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if err := c.WriteMessage(OpText, msg); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	c.Close()
	<-done
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
