package e2e

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"
)

// buildBinary compiles cmd/gyre into a temp dir.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gyre")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/gyrehq/gyre/cmd/gyre")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

var listenRe = regexp.MustCompile(`gyre is listening" address=(\S+)`)

// TestBinaryAsAUserWould runs the built binary with a sample config: a token
// from `gyre gentoken`, a centrifuge-go client, a publication through the
// HTTP API, then SIGTERM: the client is told 3001 (shutdown, reconnect) and
// the process exits 0.
func TestBinaryAsAUserWould(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.json")
	cfg := map[string]any{
		"http_server": map[string]any{"address": "127.0.0.1", "port": 0},
		"client":      map[string]any{"token": map[string]any{"hmac_secret_key": "binary-test-secret"}},
		"http_api":    map[string]any{"key": "binary-api-key"},
		"channel": map[string]any{"namespaces": []any{map[string]any{
			"name": "news", "allow_subscribe_for_client": true, "history_size": 10, "history_ttl": "60s",
		}}},
		"shutdown": map[string]any{"timeout": "5s"},
	}
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "gentoken", "-c", cfgPath, "-u", "user-1", "-q").Output()
	if err != nil {
		t.Fatalf("gentoken: %v", err)
	}
	tok := strings.TrimSpace(string(out))
	if out, err := exec.Command(bin, "checktoken", "-c", cfgPath, tok).CombinedOutput(); err != nil || !strings.Contains(string(out), `"user-1"`) {
		t.Fatalf("checktoken: %v %s", err, out)
	}

	cmd := exec.Command(bin, "--config", cfgPath)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	addrCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listenRe.FindStringSubmatch(sc.Text()); m != nil {
				addrCh <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	addr := waitFor(t, addrCh, "the server to listen")

	c := centrifuge.NewJsonClient("ws://"+addr+"/connection/websocket", centrifuge.Config{Token: tok})
	t.Cleanup(c.Close)
	connecting := make(chan centrifuge.ConnectingEvent, 10)
	c.OnConnecting(feed[centrifuge.ConnectingEvent](t, connecting))
	connect(t, c)
	waitFor(t, connecting, "initial connecting event")
	_, pubs := subscribe(t, c, "news:today", centrifuge.SubscriptionConfig{})
	res := apiCallURL(t, "http://"+addr+"/api", "binary-api-key", "publish", map[string]any{"channel": "news:today", "data": map[string]any{"headline": "hi"}})
	if res["result"].(map[string]any)["offset"].(float64) != 1 {
		t.Fatalf("publish result %v", res)
	}
	if e := waitFor(t, pubs, "publication"); string(e.Data) != `{"headline":"hi"}` {
		t.Fatalf("data = %s", e.Data)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if e := waitFor(t, connecting, "reconnect after shutdown"); e.Code != 3001 {
		t.Fatalf("client saw code %d (%s), want 3001 shutdown", e.Code, e.Reason)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("gyre exited with %v", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("gyre did not exit after SIGTERM")
	}
	c.Close()
}

// TestBinaryRejectsBadConfig: an invalid value stops start-up with exit
// code 1 and names the key.
func TestBinaryRejectsBadConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	cfgPath := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(cfgPath, []byte(`{"client":{"ping_interval":"5s","pong_timeout":"10s"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--config", cfgPath}, {"checkconfig", cfgPath}} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		var ee *exec.ExitError
		if !errorsAs(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("%v: err = %v, want exit 1\n%s", args, err, out)
		}
		if !strings.Contains(string(out), "client.ping_interval") {
			t.Fatalf("%v: output does not name the key:\n%s", args, out)
		}
	}
}
