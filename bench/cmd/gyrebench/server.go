package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

const (
	benchSecret = "gyrebench-hmac-secret-0123456789abcdef"
	benchAPIKey = "gyrebench-api-key"
)

type serverKind string

const (
	kindGyre serverKind = "gyre"
	kindRef  serverKind = "reference"
)

type server struct {
	kind serverKind
	addr string
	cmd  *exec.Cmd
	pid  int
	log  *os.File
}

// gyreConfig is the config the benchmark gives Gyre; bench/reference has the
// same settings compiled in.
func gyreConfig(port int, ping time.Duration) []byte {
	cfg := map[string]any{
		"http_server": map[string]any{"address": "127.0.0.1", "port": port},
		"log":         map[string]any{"level": "error"},
		"client": map[string]any{
			"token":          map[string]any{"hmac_secret_key": benchSecret},
			"queue_max_size": 1 << 20,
			"ping_interval":  ping.String(),
			"pong_timeout":   pongTimeout(ping).String(),
		},
		"channel": map[string]any{"namespaces": []any{
			map[string]any{"name": "bench", "allow_subscribe_for_client": true},
			map[string]any{"name": "chat", "allow_subscribe_for_client": true, "allow_publish_for_subscriber": true,
				"history_size": 100, "history_ttl": "300s"},
		}},
		"http_api": map[string]any{"key": benchAPIKey},
	}
	b, _ := json.MarshalIndent(cfg, "", "  ")
	return b
}

// pongTimeout is 8s (both servers' setting) unless a shortened ping interval
// needs a shorter one: it must stay below the interval.
func pongTimeout(ping time.Duration) time.Duration { return min(8*time.Second, ping/2) }

var portSeq = 18100

func startServer(kind serverKind, opt *options) (*server, error) {
	portSeq++
	port := portSeq
	addr := "127.0.0.1:" + strconv.Itoa(port)
	var args []string
	switch kind {
	case kindGyre:
		cfgPath := filepath.Join(opt.outDir, "gyre-config.json")
		if err := os.WriteFile(cfgPath, gyreConfig(port, opt.pingInterval), 0o644); err != nil {
			return nil, err
		}
		args = []string{opt.gyreBin, "--config", cfgPath}
	case kindRef:
		args = []string{opt.refBin, "-addr", addr, "-secret", benchSecret, "-apikey", benchAPIKey,
			"-ping", opt.pingInterval.String(), "-pong", pongTimeout(opt.pingInterval).String()}
	}
	if opt.taskset != "" {
		args = append([]string{opt.taskset, "-c", opt.serverCPU}, args...)
	}
	lf, err := os.OpenFile(filepath.Join(opt.outDir, string(kind)+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.Env = os.Environ()
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, err
	}
	s := &server{kind: kind, addr: addr, cmd: cmd, pid: cmd.Process.Pid, log: lf}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("%s did not listen on %s: %v", kind, addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	return s, nil
}

// stop ends the server this benchmark started (by its PID only).
func (s *server) stop() {
	if s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
	s.log.Close()
}

// ---- connections ----

func localAddr(i int) *net.TCPAddr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%60))}
}

func makeToken(user string) string {
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	p := base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"` + user + `","exp":` +
		strconv.FormatInt(time.Now().Add(24*time.Hour).Unix(), 10) + `}`))
	m := hmac.New(sha256.New, []byte(benchSecret))
	m.Write([]byte(h + "." + p))
	return h + "." + p + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// handshake dials, connects with token and subscribes to channel.
func handshake(srv *server, idx int, proto bool, token, channel string, rec *recorder) (*conn, error) {
	c, err := dial(localAddr(idx), srv.addr, proto, idx)
	if err != nil {
		return nil, err
	}
	if rec != nil {
		c.rec.Store(rec)
	}
	if err := c.writeFrame(connectCmd(proto, token)); err != nil {
		c.close()
		return nil, err
	}
	if err := c.await(1, 10*time.Second); err != nil {
		c.close()
		return nil, fmt.Errorf("connect: %w", err)
	}
	if channel != "" {
		if err := c.writeFrame(subscribeCmd(proto, 2, channel)); err != nil {
			c.close()
			return nil, err
		}
		if err := c.await(2, 10*time.Second); err != nil {
			c.close()
			return nil, fmt.Errorf("subscribe: %w", err)
		}
	}
	return c, nil
}

// connectMany opens n subscribed connections (not measured) with bounded concurrency.
func connectMany(srv *server, n int, proto func(i int) bool, channel func(i int) string, rec *recorder) ([]*conn, error) {
	conns := make([]*conn, n)
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := handshake(srv, i, proto(i), makeToken("u"+strconv.Itoa(i)), channel(i), rec)
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("conn %d: %w", i, err)
				}
				mu.Unlock()
				return
			}
			conns[i] = c
		}(i)
	}
	wg.Wait()
	if firstErr != nil {
		closeAll(conns)
		return nil, firstErr
	}
	return conns, nil
}

func closeAll(conns []*conn) {
	for _, c := range conns {
		if c != nil {
			c.close()
		}
	}
	for _, c := range conns {
		if c != nil {
			<-c.done
		}
	}
}

func setRecorder(conns []*conn, r *recorder) {
	for _, c := range conns {
		c.seen.reset()
		c.rec.Store(r)
	}
}

// ---- HTTP API publisher ----

type publisher struct {
	client *http.Client
	url    string
}

func newPublisher(srv *server, workers int) *publisher {
	tr := &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers, DisableCompression: true,
		DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 99)}}).DialContext}
	return &publisher{client: &http.Client{Transport: tr, Timeout: 10 * time.Second}, url: "http://" + srv.addr + "/api/publish"}
}

var resultPrefix = []byte(`{"result"`)

func (p *publisher) publish(channel string, data []byte) error {
	body := make([]byte, 0, 32+len(channel)+len(data))
	body = append(body, `{"channel":"`...)
	body = append(body, channel...)
	body = append(body, `","data":`...)
	body = append(body, data...)
	body = append(body, '}')
	req, _ := http.NewRequest(http.MethodPost, p.url, bytes.NewReader(body))
	req.Header.Set("X-API-Key", benchAPIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	var buf [256]byte
	n, _ := io.ReadFull(resp.Body, buf[:])
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.HasPrefix(buf[:n], resultPrefix) {
		return fmt.Errorf("publish: %d %q", resp.StatusCode, buf[:n])
	}
	return nil
}

func (p *publisher) close() { p.client.CloseIdleConnections() }

// pace calls fn(i) for i in [0,n) at the given rate (open loop, from up to
// `workers` goroutines). It returns how many calls failed and how many were
// started late by more than 50 ms (a sign the generator cannot keep up).
func pace(rate float64, n int, workers int, fn func(i int) error) (errs, late int64) {
	jobs := make(chan int, workers*4)
	var e, l int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := fn(i); err != nil {
					mu.Lock()
					e++
					if e <= 3 {
						fmt.Fprintln(os.Stderr, "  error:", err)
					}
					mu.Unlock()
				}
			}
		}()
	}
	start := time.Now()
	interval := time.Duration(float64(time.Second) / rate)
	for i := 0; i < n; i++ {
		at := start.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		} else if d < -50*time.Millisecond {
			l++
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return e, l
}

// drain waits until received reaches want or stops moving (max wait).
func drain(rec *recorder, want int64, max time.Duration) {
	deadline := time.Now().Add(max)
	last, lastChange := rec.received.Load(), time.Now()
	for time.Now().Before(deadline) {
		cur := rec.received.Load()
		if cur >= want {
			return
		}
		if cur != last {
			last, lastChange = cur, time.Now()
		} else if time.Since(lastChange) > 500*time.Millisecond {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var errSkipped = errors.New("skipped")
