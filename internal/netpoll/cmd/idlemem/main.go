// Command idlemem measures the server-side memory of idle subscribed
// WebSocket connections for both read modes (websocket.read_mode epoll and
// goroutine).
//
// For each mode it starts a Gyre server in-process (memory engine, JSON
// clients), measures runtime.MemStats and VmRSS after a GC, and starts a
// copy of itself as a separate client process that opens N raw loopback
// WebSocket connections, each sending a connect command (HS256 token) and
// a subscribe command to a channel of its own, and then stays silent. The
// client runs in another process so that its sockets do not count. When
// the client reports that every connection is subscribed, the server waits
// a moment, collects garbage and measures again; the deltas divided by N
// are printed:
//
//	go run ./internal/netpoll/cmd/idlemem -n 5000
//
// HeapInuse and StackInuse come from runtime.MemStats after two GCs; RSS is
// VmRSS (which also holds garbage the GC has not returned and the Go
// runtime's free pages, so it is noisier).
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/auth/jwt"
	"github.com/gyrehq/gyre/config"
	"github.com/gyrehq/gyre/server"
)

const secret = "idlemem-secret-0123456789abcdef"

func main() {
	n := flag.Int("n", 5000, "connections")
	modes := flag.String("modes", "epoll,goroutine", "read modes to measure, comma-separated")
	client := flag.String("client", "", "internal: run as the client process against this address")
	flag.Parse()
	if *client != "" {
		if err := runClient(*client, *n); err != nil {
			fmt.Fprintln(os.Stderr, "client:", err)
			os.Exit(1)
		}
		return
	}
	fmt.Printf("%-10s %6s %12s %12s %12s %12s %10s\n", "mode", "conns", "heap B/conn", "stack B/conn", "heap+stack", "RSS B/conn", "goroutines")
	for _, mode := range strings.Split(*modes, ",") {
		if err := measure(mode, *n); err != nil {
			fmt.Fprintln(os.Stderr, mode+":", err)
			os.Exit(1)
		}
	}
}

// snapshot is what is measured before and after the connections.
type snapshot struct {
	heap, stack, rss uint64
	goroutines       int
}

func take() snapshot {
	runtime.GC()
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return snapshot{heap: ms.HeapInuse, stack: ms.StackInuse, rss: vmRSS(), goroutines: runtime.NumGoroutine()}
}

// vmRSS returns VmRSS of this process in bytes (0 when unknown).
func vmRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseUint(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// measure runs one server in the given read mode with n client
// connections and prints the per-connection deltas.
func measure(mode string, n int) error {
	cfg := config.Default()
	cfg.HTTPServer.Address = "127.0.0.1"
	cfg.HTTPServer.Port = 0
	cfg.Client.Token.HMACSecretKey = secret
	cfg.HTTPAPI.Key = "idlemem"
	cfg.Log.Level = "error"
	cfg.Client.PingInterval = gyre.Duration(10 * time.Minute)
	cfg.Client.QueueMaxSize = 1 << 20
	cfg.Shutdown.Timeout = gyre.Duration(10 * time.Second)
	cfg.WebSocket.ReadMode = mode
	cfg.Channel.Namespaces = []config.Namespace{{Name: "bench", ChannelOptions: gyre.ChannelOptions{AllowSubscribeForClient: true}}}
	srv, err := server.New(cfg, server.Options{})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() { cancel(); <-done }()
	time.Sleep(200 * time.Millisecond)

	before := take()
	cmd := exec.Command(os.Args[0], "-client", srv.Addr().String(), "-n", strconv.Itoa(n))
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		return err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return fmt.Errorf("client did not get ready: %q %v", line, err)
	}
	if got := srv.Node().NumSessions(); got != n {
		fmt.Fprintf(os.Stderr, "warning: %d sessions, want %d\n", got, n)
	}
	time.Sleep(2 * time.Second)
	after := take()
	per := func(a, b uint64) float64 { return (float64(a) - float64(b)) / float64(n) }
	fmt.Printf("%-10s %6d %12.0f %12.0f %12.0f %12.0f %10d\n", mode, n,
		per(after.heap, before.heap), per(after.stack, before.stack),
		per(after.heap+after.stack, before.heap+before.stack), per(after.rss, before.rss),
		after.goroutines-before.goroutines)
	stdin.Close() // the client exits and its connections close
	return cmd.Wait()
}

// runClient opens n connections to addr, connects and subscribes each,
// prints "ready" and keeps them open until stdin closes.
func runClient(addr string, n int) error {
	conns := make([]net.Conn, 0, n)
	for i := range n {
		c, err := dialOne(addr, i)
		if err != nil {
			return fmt.Errorf("connection %d: %w", i, err)
		}
		conns = append(conns, c)
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		c.Close()
	}
	return nil
}

// dialOne opens one connection: upgrade, connect and subscribe, and waits
// for the subscribe reply.
func dialOne(addr string, i int) (net.Conn, error) {
	// Spread source addresses so one address does not run out of ports.
	local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%60))}
	c, err := (&net.Dialer{LocalAddr: local, Timeout: 10 * time.Second}).Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	tok, err := jwt.SignHMAC(secret, map[string]any{"sub": "u" + strconv.Itoa(i)})
	if err != nil {
		return nil, err
	}
	req := "GET /connection/websocket HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	out := []byte(req)
	out = appendFrame(out, `{"id":1,"connect":{"token":"`+tok+`"}}`)
	out = appendFrame(out, `{"id":2,"subscribe":{"channel":"bench:c`+strconv.Itoa(i)+`"}}`)
	if _, err := c.Write(out); err != nil {
		return nil, err
	}
	br := bufio.NewReader(c)
	var seen strings.Builder
	buf := make([]byte, 4096)
	for !strings.Contains(seen.String(), `"id":2`) {
		m, err := br.Read(buf)
		if err != nil {
			return nil, fmt.Errorf("%w after %q", err, seen.String())
		}
		seen.Write(buf[:m])
	}
	_ = c.SetDeadline(time.Time{})
	return c, nil
}

// appendFrame appends a masked text frame (zero mask key) carrying s.
func appendFrame(b []byte, s string) []byte {
	b = append(b, 0x81)
	switch n := len(s); {
	case n <= 125:
		b = append(b, 0x80|byte(n))
	default:
		b = append(b, 0x80|126, byte(n>>8), byte(n))
	}
	b = append(b, 0, 0, 0, 0)
	return append(b, s...)
}
