package multinode

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	testSecret = "multinode-secret-0123456789abcdef"
	testAPIKey = "multinode-api-key"
	// waitTimeout bounds every single wait for an event.
	waitTimeout = 15 * time.Second
)

var listenRe = regexp.MustCompile(`msg="gyre is listening" address=(\S+)`)

// apiTransport is shared by every API call so that TestMain can close its
// idle connections before looking for leaked goroutines.
var (
	apiTransport = &http.Transport{MaxIdleConnsPerHost: 8}
	apiClient    = &http.Client{Transport: apiTransport, Timeout: 5 * time.Second}
)

// gyreNode is one gyre process.
type gyreNode struct {
	t    *testing.T
	name string
	addr string // 127.0.0.1:port of the client and API listener
	cmd  *exec.Cmd
	log  *nodeLog

	exited  chan struct{}
	waitErr error // valid after exited is closed
}

// nodeLog collects a process's stderr and reports the listening address.
type nodeLog struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	addrCh chan string
	found  bool
}

func (l *nodeLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	if !l.found {
		if m := listenRe.FindSubmatch(l.buf.Bytes()); m != nil {
			l.found = true
			l.addrCh <- string(m[1])
		}
	}
	return len(p), nil
}

func (l *nodeLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// config returns the JSON config (Centrifugo v6 keys) every node of a test
// shares, with the engine part from engine merged in at the top level.
//
// Namespaces:
//   - "chat": history, forced recovery, presence, join/leave, client
//     publish; for the Redis engine.
//   - "live": presence, join/leave, client publish, no history; for the
//     NATS broker (which has no streams).
//
// withHistory false leaves "chat" out: config validation rejects history
// with the NATS broker.
func config(engine map[string]any, withHistory bool) map[string]any {
	open := func(name string) map[string]any {
		return map[string]any{
			"name":                          name,
			"presence":                      true,
			"join_leave":                    true,
			"force_push_join_leave":         true,
			"allow_subscribe_for_client":    true,
			"allow_publish_for_subscriber":  true,
			"allow_presence_for_subscriber": true,
		}
	}
	chat := open("chat")
	chat["history_size"] = 5000
	chat["history_ttl"] = "300s"
	chat["force_recovery"] = true
	namespaces := []any{open("live")}
	if withHistory {
		namespaces = append(namespaces, chat)
	}
	cfg := map[string]any{
		"log":         map[string]any{"level": "info"},
		"http_server": map[string]any{"address": "127.0.0.1", "port": 0},
		"http_api":    map[string]any{"key": testAPIKey},
		"client": map[string]any{
			"token":                          map[string]any{"hmac_secret_key": testSecret},
			"recovery_max_publication_limit": 5000,
		},
		"channel":  map[string]any{"namespaces": namespaces},
		"shutdown": map[string]any{"timeout": "5s"},
	}
	maps.Copy(cfg, engine)
	return cfg
}

// redisEngine is engine.type redis on addr (host:port) with a key prefix.
func redisEngine(addr, prefix string) map[string]any {
	return map[string]any{"engine": map[string]any{
		"type":  "redis",
		"redis": map[string]any{"address": "redis://" + addr, "prefix": prefix},
	}}
}

// natsBroker is the NATS broker on natsURL plus Redis presence on
// redisAddr, both with prefix.
func natsBroker(natsURL, redisAddr, prefix string) map[string]any {
	return map[string]any{
		"broker": map[string]any{
			"enabled": true, "type": "nats",
			"nats": map[string]any{"url": natsURL, "prefix": prefix},
		},
		"presence_manager": map[string]any{
			"enabled": true, "type": "redis",
			"redis": map[string]any{"address": "redis://" + redisAddr, "prefix": prefix},
		},
	}
}

// uniquePrefix is a Redis/NATS prefix no other test or earlier run uses.
func uniquePrefix(t *testing.T) string {
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	return fmt.Sprintf("mn_%s_%d", name, time.Now().UnixNano())
}

// startNode writes cfg and runs gyre with it until the log says it
// listens. The process is killed (by its PID) in t.Cleanup if still alive;
// its log is printed when the test failed.
func startNode(t *testing.T, name string, cfg map[string]any) *gyreNode {
	t.Helper()
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name+".json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	n := &gyreNode{t: t, name: name, log: &nodeLog{addrCh: make(chan string, 1)}, exited: make(chan struct{})}
	n.cmd = exec.Command(gyreBin, "--config", path)
	n.cmd.Stdout, n.cmd.Stderr = n.log, n.log
	if err := n.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		n.waitErr = n.cmd.Wait()
		close(n.exited)
	}()
	t.Cleanup(func() {
		n.kill()
		if t.Failed() {
			t.Logf("--- log of node %s (%s) ---\n%s", n.name, n.addr, tail(n.log.String(), 60))
		}
	})
	select {
	case n.addr = <-n.log.addrCh:
	case <-n.exited:
		t.Fatalf("node %s exited before listening: %v\n%s", name, n.waitErr, n.log.String())
	case <-time.After(waitTimeout):
		t.Fatalf("node %s did not log that it listens\n%s", name, n.log.String())
	}
	return n
}

func tail(s string, lines int) string {
	parts := strings.Split(s, "\n")
	if len(parts) > lines {
		parts = append([]string{fmt.Sprintf("[... %d lines]", len(parts)-lines)}, parts[len(parts)-lines:]...)
	}
	return strings.Join(parts, "\n")
}

// kill sends SIGKILL to the process and waits for it to be gone. Killing a
// process that has exited does nothing.
func (n *gyreNode) kill() {
	select {
	case <-n.exited:
		return
	default:
	}
	_ = n.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-n.exited:
	case <-time.After(waitTimeout):
		n.t.Errorf("node %s (pid %d) survived SIGKILL", n.name, n.cmd.Process.Pid)
	}
}

// terminate sends SIGTERM and waits for the exit; it returns the exit
// error (nil for status 0).
func (n *gyreNode) terminate(t *testing.T) error {
	t.Helper()
	if err := n.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-n.exited:
		return n.waitErr
	case <-time.After(waitTimeout):
		t.Fatalf("node %s did not exit within %v of SIGTERM", n.name, waitTimeout)
		return nil
	}
}

func (n *gyreNode) wsURL() string { return "ws://" + n.addr + "/connection/websocket" }

// apiError is an error reply of the server API.
type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return fmt.Sprintf("api error %d: %s", e.Code, e.Message) }

// api calls /api/<method> on the node. It returns the "result" object, or
// an error for a transport failure, a non-200 status or an error reply.
func (n *gyreNode) api(ctx context.Context, method string, body any) (map[string]any, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+n.addr+"/api/"+method, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-API-Key", testAPIKey)
	resp, err := apiClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var out struct {
		Result map[string]any `json:"result"`
		Error  *apiError      `json:"error"`
	}
	if resp.StatusCode != http.StatusOK {
		if json.Unmarshal(raw, &out) == nil && out.Error != nil {
			return nil, out.Error
		}
		return nil, fmt.Errorf("api %s on %s: HTTP %d: %s", method, n.name, resp.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("api %s on %s: bad JSON %s", method, n.name, raw)
	}
	if out.Error != nil {
		return nil, out.Error
	}
	if out.Result == nil {
		out.Result = map[string]any{}
	}
	return out.Result, nil
}

// mustAPI is api that fails the test on any error.
func (n *gyreNode) mustAPI(t *testing.T, method string, body any) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	res, err := n.api(ctx, method, body)
	if err != nil {
		t.Fatalf("api %s on node %s: %v", method, n.name, err)
	}
	return res
}

// pubResult is where a publication landed in its channel's stream.
type pubResult struct {
	Offset uint64
	Epoch  string
}

// publish publishes data through the node's HTTP API.
func (n *gyreNode) publish(ctx context.Context, ch string, data any) (pubResult, error) {
	res, err := n.api(ctx, "publish", map[string]any{"channel": ch, "data": data})
	if err != nil {
		return pubResult{}, err
	}
	var r pubResult
	if v, ok := res["offset"].(float64); ok {
		r.Offset = uint64(v)
	}
	r.Epoch, _ = res["epoch"].(string)
	return r, nil
}

// presenceClients returns the client IDs the node's API `presence` reports
// for ch.
func (n *gyreNode) presenceClients(ch string) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	res, err := n.api(ctx, "presence", map[string]any{"channel": ch})
	if err != nil {
		return nil, err
	}
	p, _ := res["presence"].(map[string]any)
	ids := make([]string, 0, len(p))
	for id := range p {
		ids = append(ids, id)
	}
	return ids, nil
}

// streamTop returns the channel's current stream position through the API
// `history` with limit 0.
func (n *gyreNode) streamTop(t *testing.T, ch string) pubResult {
	t.Helper()
	res := n.mustAPI(t, "history", map[string]any{"channel": ch, "limit": 0})
	var r pubResult
	if v, ok := res["offset"].(float64); ok {
		r.Offset = uint64(v)
	}
	r.Epoch, _ = res["epoch"].(string)
	return r
}

// eventually polls cond every few milliseconds until it reports true, and
// fails the test with cond's last description after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, desc := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s: %s", timeout, what, desc)
		}
		<-tick.C
	}
}

// waitFor receives one value from ch, failing the test after waitTimeout.
func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitTimeout):
		t.Fatalf("timed out after %v waiting for %s", waitTimeout, what)
	}
	var zero T
	return zero
}
