// Package testservice starts and finds the external services integration
// tests need: the shared Redis and NATS on their default ports, and
// private redis-server (standalone, Cluster, Sentinel) and nats-server
// processes on free ports with temporary directories.
//
// A test that lacks a service is skipped with the reason, unless the
// environment sets GYRE_REQUIRE_SERVICES=1 (as CI does), in which case it
// fails. Every process a test starts is stopped by its PID in t.Cleanup.
package testservice

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Default addresses of the shared services.
const (
	RedisAddr = "127.0.0.1:6379"
	NATSURL   = "nats://127.0.0.1:4222"
	natsAddr  = "127.0.0.1:4222"
)

// startTimeout bounds how long a started process may take to answer.
const startTimeout = 15 * time.Second

// Required reports whether GYRE_REQUIRE_SERVICES=1 is set.
func Required() bool { return os.Getenv("GYRE_REQUIRE_SERVICES") == "1" }

// Missing skips the test with the reason, or fails it when services are
// required.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if Required() {
		t.Fatalf("GYRE_REQUIRE_SERVICES=1 but %s", msg)
	}
	t.Skipf("skipping: %s (set GYRE_REQUIRE_SERVICES=1 to make this a failure)", msg)
}

// Redis returns the address of the shared Redis at 127.0.0.1:6379 after
// checking that it answers PING, or calls Missing.
func Redis(t testing.TB) string {
	t.Helper()
	if _, err := RedisDo(RedisAddr, "PING"); err != nil {
		Missing(t, "no Redis at %s: %v", RedisAddr, err)
	}
	return RedisAddr
}

// NATS returns the URL of the shared NATS at 127.0.0.1:4222 after checking
// that it accepts connections, or calls Missing.
func NATS(t testing.TB) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", natsAddr, time.Second)
	if err != nil {
		Missing(t, "no NATS at %s: %v", natsAddr, err)
	}
	_ = c.Close()
	return NATSURL
}

// Binary returns the path of an executable, or calls Missing.
func Binary(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "%s is not installed", name)
	}
	return p
}

// portMu serialises FreePort so that two calls in one process do not
// return the same port before either is bound.
var (
	portMu   sync.Mutex
	handedTo = map[int]bool{}
)

// FreePort returns a loopback TCP port that is free now, and whose
// port+10000 (the Redis Cluster bus port) is free too. It never returns a
// port twice within one process.
func FreePort(t testing.TB) int {
	t.Helper()
	portMu.Lock()
	defer portMu.Unlock()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("FreePort: %v", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		if port+10000 > 65535 || handedTo[port] {
			_ = l.Close()
			continue
		}
		bus, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000))
		if err != nil {
			_ = l.Close()
			continue
		}
		_ = bus.Close()
		_ = l.Close()
		handedTo[port] = true
		return port
	}
	t.Fatal("FreePort: no free port pair found")
	return 0
}

// Process is a server process a test started.
type Process struct {
	t    testing.TB
	name string
	args []string
	dir  string
	Port int

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	logf *os.File
}

// Addr is the process's 127.0.0.1:port.
func (p *Process) Addr() string { return "127.0.0.1:" + strconv.Itoa(p.Port) }

// start runs the binary with its args, logging to a file in its dir.
func (p *Process) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return errors.New("already running")
	}
	logf, err := os.OpenFile(p.dir+"/process.log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.name, p.args...)
	cmd.Dir = p.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return err
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	p.cmd, p.done, p.logf = cmd, done, logf
	return nil
}

// Stop kills the process by its PID and waits for it to exit. Stopping a
// stopped process does nothing.
func (p *Process) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	_ = p.logf.Close()
	p.cmd = nil
}

// Restart starts a stopped process again with the same arguments and
// port, and waits until it answers.
func (p *Process) Restart(ready func() error) {
	p.t.Helper()
	if err := p.start(); err != nil {
		p.t.Fatalf("restart %s: %v", p.name, err)
	}
	p.waitReady(ready)
}

// Log returns what the process wrote so far.
func (p *Process) Log() string {
	b, _ := os.ReadFile(p.dir + "/process.log")
	return string(b)
}

// waitReady polls ready until it succeeds or startTimeout passes.
func (p *Process) waitReady(ready func() error) {
	p.t.Helper()
	deadline := time.Now().Add(startTimeout)
	for {
		err := ready()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s on port %d not ready after %v: %v\nlog:\n%s", p.name, p.Port, startTimeout, err, p.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startProcess starts binary with args (in which "{port}" and "{dir}" are
// replaced) on a free port in a temporary directory, registers Stop with
// t.Cleanup and waits for ready.
func startProcess(t testing.TB, binary string, ready func(p *Process) error, args ...string) *Process {
	t.Helper()
	path := Binary(t, binary)
	p := &Process{t: t, name: path, dir: t.TempDir(), Port: FreePort(t)}
	for _, a := range args {
		a = strings.ReplaceAll(a, "{port}", strconv.Itoa(p.Port))
		a = strings.ReplaceAll(a, "{dir}", p.dir)
		p.args = append(p.args, a)
	}
	if err := p.start(); err != nil {
		t.Fatalf("start %s: %v", binary, err)
	}
	t.Cleanup(p.Stop)
	p.waitReady(func() error { return ready(p) })
	return p
}

// StartRedis starts a private redis-server without persistence and waits
// until it answers PING. extra arguments are passed on (e.g.
// "--cluster-enabled", "yes").
func StartRedis(t testing.TB, extra ...string) *Process {
	t.Helper()
	args := append([]string{
		"--port", "{port}", "--bind", "127.0.0.1", "--dir", "{dir}",
		"--save", "", "--appendonly", "no", "--protected-mode", "no",
	}, extra...)
	return startProcess(t, "redis-server", func(p *Process) error {
		_, err := RedisDo(p.Addr(), "PING")
		return err
	}, args...)
}

// RedisPing is a ready function for Process.Restart of a Redis.
func RedisPing(p *Process) func() error {
	return func() error {
		_, err := RedisDo(p.Addr(), "PING")
		return err
	}
}

// StartNATS starts a private nats-server and waits until it accepts
// connections.
func StartNATS(t testing.TB) *Process {
	t.Helper()
	return startProcess(t, "nats-server", func(p *Process) error { return NATSPing(p)() },
		"-a", "127.0.0.1", "-p", "{port}")
}

// NATSPing is a ready function for Process.Restart of a NATS server: it
// reads the INFO line the server sends on connect.
func NATSPing(p *Process) func() error {
	return func() error {
		c, err := net.DialTimeout("tcp", p.Addr(), time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			return err
		}
		if !strings.HasPrefix(line, "INFO") {
			return fmt.Errorf("unexpected greeting %q", line)
		}
		return nil
	}
}

// URL returns nats://127.0.0.1:port.
func (p *Process) URL() string { return "nats://" + p.Addr() }
