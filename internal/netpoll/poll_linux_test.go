//go:build linux

package netpoll

import (
	"bytes"
	"errors"
	"io"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(t *testing.T) (server *net.TCPConn, client net.Conn) {
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
	sc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); sc.Close() })
	return sc.(*net.TCPConn), client
}

// collector reads a Desc until EAGAIN on every callback and records what
// it got; it also checks that callbacks never overlap.
type collector struct {
	d       *Desc
	mu      sync.Mutex
	got     bytes.Buffer
	eof     chan struct{}
	eofOnce sync.Once
	running atomic.Int32
	overlap atomic.Bool
	calls   atomic.Int32
}

func (c *collector) callback(d *Desc) {
	if c.running.Add(1) != 1 {
		c.overlap.Store(true)
	}
	defer c.running.Add(-1)
	c.calls.Add(1)
	time.Sleep(time.Millisecond) // widen the window for overlapping events
	buf := make([]byte, 7)
	for {
		n, err := d.Read(buf)
		c.mu.Lock()
		c.got.Write(buf[:n])
		c.mu.Unlock()
		if err == ErrWouldBlock {
			return
		}
		if err != nil {
			if err == io.EOF {
				c.eofOnce.Do(func() { close(c.eof) })
			}
			return
		}
	}
}

func TestReadsAndEOF(t *testing.T) {
	p, err := New(2)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		deadline := time.Now().Add(5 * time.Second)
		for p.Close() == ErrPollerBusy && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
	}()
	sc, cl := tcpPair(t)
	// Data sent before Add produces an event too.
	if _, err := cl.Write([]byte("early ")); err != nil {
		t.Fatal(err)
	}
	c := &collector{eof: make(chan struct{})}
	c.d, err = p.Add(sc, c.callback)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	want.WriteString("early ")
	for i := range 200 {
		msg := bytes.Repeat([]byte{byte('a' + i%26)}, i%37+1)
		want.Write(msg)
		if _, err := cl.Write(msg); err != nil {
			t.Fatal(err)
		}
		if i%50 == 0 {
			c.d.Trigger()
		}
	}
	cl.Close()
	select {
	case <-c.eof:
	case <-time.After(10 * time.Second):
		t.Fatal("no EOF")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !bytes.Equal(c.got.Bytes(), want.Bytes()) {
		t.Fatalf("got %d bytes, want %d", c.got.Len(), want.Len())
	}
	if c.overlap.Load() {
		t.Fatal("callbacks of one Desc overlapped")
	}
	if err := c.d.Remove(); err != nil {
		t.Fatal(err)
	}
	if err := c.d.Remove(); err != nil {
		t.Fatalf("second Remove = %v", err)
	}
	sc.Close()
	if _, err := c.d.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Read after Close = %v, want net.ErrClosed", err)
	}
}

// TestManyConnsAndRestart registers and removes sockets repeatedly, so the
// poller goroutines stop and start again; goleak in TestMain checks that
// none is left.
func TestManyConnsAndRestart(t *testing.T) {
	p, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		const n = 20
		var cs []*collector
		var clients []net.Conn
		for range n {
			sc, cl := tcpPair(t)
			c := &collector{eof: make(chan struct{})}
			c.d, err = p.Add(sc, c.callback)
			if err != nil {
				t.Fatal(err)
			}
			cs = append(cs, c)
			clients = append(clients, cl)
		}
		for i, cl := range clients {
			if _, err := cl.Write([]byte{byte(round), byte(i)}); err != nil {
				t.Fatal(err)
			}
			cl.Close()
		}
		for i, c := range cs {
			select {
			case <-c.eof:
			case <-time.After(10 * time.Second):
				t.Fatalf("conn %d: no EOF", i)
			}
			c.mu.Lock()
			if got := c.got.Bytes(); !bytes.Equal(got, []byte{byte(round), byte(i)}) {
				t.Errorf("conn %d got %v", i, got)
			}
			c.mu.Unlock()
			if err := c.d.Remove(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestAddErrors(t *testing.T) {
	p, err := New(1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	sc, _ := tcpPair(t)
	sc.Close()
	if _, err := p.Add(sc, func(*Desc) {}); err == nil {
		t.Fatal("Add of a closed conn succeeded")
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
}

// TestWorkersAreReused: callbacks that follow one another run on the same
// few goroutines instead of a new one each, and the idle ones exit once the
// poller has no sockets (goleak in TestMain checks the exit).
func TestWorkersAreReused(t *testing.T) {
	p, err := New(1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	sc, _ := tcpPair(t)
	ran := make(chan struct{}, 1)
	stacks := map[string]bool{}
	var mu sync.Mutex
	d, err := p.Add(sc, func(*Desc) {
		buf := make([]byte, 64)
		n := runtime.Stack(buf, false) // "goroutine N [running]:..."
		mu.Lock()
		stacks[string(bytes.Fields(buf[:n])[1])] = true
		mu.Unlock()
		ran <- struct{}{}
	})
	if err != nil {
		t.Fatal(err)
	}
	const calls = 200
	for range calls {
		d.Trigger()
		select {
		case <-ran:
		case <-time.After(5 * time.Second):
			t.Fatal("callback did not run")
		}
	}
	mu.Lock()
	distinct := len(stacks)
	mu.Unlock()
	if distinct > maxIdleWorkers+1 {
		t.Fatalf("%d callbacks ran on %d goroutines, want reuse (at most %d)", calls, distinct, maxIdleWorkers+1)
	}
	if err := d.Remove(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for p.idle.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d idle workers left after the last socket went", p.idle.Load())
		}
		runtime.Gosched()
	}
}
