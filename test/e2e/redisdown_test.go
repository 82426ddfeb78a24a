package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/centrifugal/centrifuge-go"

	"github.com/gyrehq/gyre/config"
	"github.com/gyrehq/gyre/internal/testservice"
)

// TestRedisDown: with the Redis engine and Redis gone, an API publish
// answers error 100 (nothing is delivered half-way), the server stays up,
// and publishing works again once Redis is back.
func TestRedisDown(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a redis-server")
	}
	redis := testservice.StartRedis(t)
	ts := startServer(t, func(cfg *config.Config) {
		cfg.Engine.Type = "redis"
		cfg.Engine.Redis.Address = config.StringList{"redis://" + redis.Addr()}
		cfg.Engine.Redis.Prefix = "gyretest.down"
	})
	c := newClient(t, ts, protoJSON, centrifuge.Config{Token: userToken(t, "r")})
	connect(t, c)
	_, pubs := subscribe(t, c, "chat:down", centrifuge.SubscriptionConfig{})
	apiCall(t, ts, "publish", map[string]any{"channel": "chat:down", "data": map[string]any{"n": 1}})
	waitFor(t, pubs, "publication with Redis up")

	redis.Stop()
	code := apiErrorCode(t, ts, "publish", map[string]any{"channel": "chat:down", "data": map[string]any{"n": 2}})
	if code != 100 {
		t.Fatalf("publish with Redis down: error %d, want 100", code)
	}
	select {
	case e := <-pubs:
		t.Fatalf("a failed publish was delivered: %s", e.Data)
	case <-time.After(200 * time.Millisecond):
	}

	redis.Restart(testservice.RedisPing(redis))
	deadline := time.Now().Add(waitTimeout)
	for apiErrorCode(t, ts, "publish", map[string]any{"channel": "chat:down", "data": map[string]any{"n": 3}}) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("publishing did not recover after Redis came back")
		}
		<-time.After(50 * time.Millisecond)
	}
}

// apiErrorCode calls the API and returns the error code (0 on success).
func apiErrorCode(t *testing.T, ts *testServer, method string, body any) uint32 {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(ctxT(t), http.MethodPost, ts.apiURL+"/"+method, bytes.NewReader(b))
	req.Header.Set("X-API-Key", testAPIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out struct {
		Error *struct{ Code uint32 } `json:"error"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("bad API answer %s", raw)
	}
	if out.Error == nil {
		return 0
	}
	return out.Error.Code
}
