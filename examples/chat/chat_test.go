package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gyrehq/gyre/bridge"
	"github.com/gyrehq/gyre/bridge/bridgetest"
)

var testNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func testApp(t *testing.T) (*App, *bridge.Bridge) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	app := &App{
		tokens:     Tokens{secret: []byte("test-secret")},
		sessionTTL: time.Minute,
		api:        &serverAPI{},
		log:        log,
		telemetry:  newTelemetry(log),
		now:        func() time.Time { return testNow },
	}
	b, err := app.newBridge()
	if err != nil {
		t.Fatal(err)
	}
	return app, b
}

// withMeta gives a request the connection meta Gyre sends with include_connection_meta.
func withMeta[R bridge.Request](req R, token string) R {
	req.Info().Meta = mustJSON(connMeta{AuthToken: token})
	return req
}

func wantError(t *testing.T, a bridge.Answer, code uint32) {
	t.Helper()
	if a.Kind != bridge.AnswerError || a.Error.Code != code {
		t.Fatalf("answer = %v %+v, want error %d", a.Kind, a.Error, code)
	}
}

func TestTokens(t *testing.T) {
	tk := Tokens{secret: []byte("s")}
	tok := tk.Issue("Alice")
	if name, ok := tk.Verify(tok); !ok || name != "Alice" {
		t.Fatalf("Verify(%q) = %q, %v", tok, name, ok)
	}
	for _, bad := range []string{"", "Alice", "Alice.", "Bob" + tok[len("Alice"):], tok + "0", "bad name." + tk.sign("bad name")} {
		if _, ok := tk.Verify(bad); ok {
			t.Errorf("Verify(%q) accepted", bad)
		}
	}
	if (Tokens{secret: []byte("other")}).Issue("Alice") == tok {
		t.Error("the secret does not change the token")
	}
}

func TestConnect(t *testing.T) {
	app, b := testApp(t)
	ctx := context.Background()
	tok := app.tokens.Issue("Alice")

	a := b.Dispatch(ctx, bridgetest.Connect(map[string]string{"authToken": tok, "name": "Alice"}))
	if a.Kind != bridge.AnswerResult {
		t.Fatalf("connect: %v %+v", a.Kind, a.Error)
	}
	res := a.Result.(*bridge.ConnectResult)
	if res.User != "Alice" || res.ExpireAt != testNow.Add(time.Minute).Unix() {
		t.Errorf("user %q expire_at %d", res.User, res.ExpireAt)
	}
	var meta connMeta
	if err := json.Unmarshal(res.Meta, &meta); err != nil || meta.AuthToken != tok {
		t.Errorf("meta %s", res.Meta)
	}
	if string(res.Info) != `{"name":"Alice"}` {
		t.Errorf("info %s", res.Info)
	}

	for name, data := range map[string]any{
		"no data":       nil,
		"no token":      map[string]string{"name": "Alice"},
		"bad token":     map[string]string{"authToken": "Alice.00", "name": "Alice"},
		"someone else":  map[string]string{"authToken": tok, "name": "Bob"},
		"foreign token": map[string]string{"authToken": Tokens{secret: []byte("x")}.Issue("Alice")},
	} {
		t.Run(name, func(t *testing.T) {
			wantError(t, b.Dispatch(ctx, bridgetest.Connect(data)), 401)
		})
	}
}

func TestRefresh(t *testing.T) {
	app, b := testApp(t)
	ctx := context.Background()
	a := b.Dispatch(ctx, withMeta(bridgetest.Refresh("Alice"), app.tokens.Issue("Alice")))
	if a.Kind != bridge.AnswerResult {
		t.Fatalf("refresh: %v %+v", a.Kind, a.Error)
	}
	if res := a.Result.(*bridge.RefreshResult); res.Expired || res.ExpireAt != testNow.Add(time.Minute).Unix() {
		t.Errorf("refresh result %+v", res)
	}
	// A token of another user than the connection's is refused.
	wantError(t, b.Dispatch(ctx, withMeta(bridgetest.Refresh("Bob"), app.tokens.Issue("Alice"))), 401)
}

func TestSubscribe(t *testing.T) {
	app, b := testApp(t)
	ctx := context.Background()
	alice := app.tokens.Issue("Alice")
	cases := []struct {
		user, channel string
		token         string
		want          uint32 // 0: allowed
	}{
		{"Alice", "chat:lobby", alice, 0},
		{"Alice", "chat:nowhere", alice, 403},
		{"Alice", "personal:#Alice", alice, 0},
		{"Bob", "personal:#Alice", app.tokens.Issue("Bob"), 403},
		{"Alice", "other:lobby", alice, 403},
		{"Alice", "chat:lobby", "", 401},
	}
	for _, c := range cases {
		t.Run(c.user+" "+c.channel, func(t *testing.T) {
			req := bridgetest.Subscribe(c.user, c.channel, nil)
			if c.token != "" {
				req = withMeta(req, c.token)
			}
			a := b.Dispatch(ctx, req)
			if c.want != 0 {
				wantError(t, a, c.want)
				return
			}
			if a.Kind != bridge.AnswerResult {
				t.Fatalf("%v %+v", a.Kind, a.Error)
			}
		})
	}
	a := b.Dispatch(ctx, withMeta(bridgetest.Subscribe("Alice", "chat:gyre", nil), alice))
	if data := string(a.Result.(*bridge.SubscribeResult).Data); !strings.Contains(data, "Gyre and Centrifugo") {
		t.Errorf("subscribe data %s", data)
	}
}

func TestPublish(t *testing.T) {
	app, b := testApp(t)
	ctx := context.Background()
	tok := app.tokens.Issue("Alice")
	pub := func(channel string, data any) bridge.Answer {
		return b.Dispatch(ctx, withMeta(bridgetest.Publish("Alice", channel, data), tok))
	}

	a := pub("chat:lobby", map[string]any{"text": "  hi there \n", "user": "Mallory", "time": "then"})
	if a.Kind != bridge.AnswerResult {
		t.Fatalf("publish: %v %+v", a.Kind, a.Error)
	}
	var msg Message
	if err := json.Unmarshal(a.Result.(*bridge.PublishResult).Data, &msg); err != nil {
		t.Fatal(err)
	}
	want := Message{Text: "hi there", User: "Alice", Time: testNow.Format(time.RFC3339Nano)}
	if msg != want {
		t.Errorf("rewritten = %+v, want %+v", msg, want)
	}

	if a := pub("chat:lobby", map[string]string{"text": strings.Repeat("é", maxText)}); a.Kind != bridge.AnswerResult {
		t.Errorf("500 characters refused: %+v", a.Error)
	}
	wantError(t, pub("chat:lobby", map[string]string{"text": strings.Repeat("x", maxText+1)}), CodeBadMessage)
	wantError(t, pub("chat:lobby", map[string]string{"text": " \t\n"}), CodeBadMessage)
	wantError(t, pub("chat:lobby", map[string]int{"text": 1}), CodeBadMessage)
	wantError(t, pub("chat:lobby", map[string]string{"body": "x"}), CodeBadMessage)
	wantError(t, pub("chat:nowhere", map[string]string{"text": "x"}), 403)
	wantError(t, pub("personal:#Alice", map[string]string{"text": "x"}), 403)
}

func TestRPCRooms(t *testing.T) {
	app, b := testApp(t)
	ctx := context.Background()
	tok := app.tokens.Issue("Alice")
	a := b.Dispatch(ctx, withMeta(bridgetest.RPC("Alice", "get:rooms", map[string]any{}), tok))
	if a.Kind != bridge.AnswerResult {
		t.Fatalf("rpc: %v %+v", a.Kind, a.Error)
	}
	var out struct {
		Status int `json:"status"`
		Body   struct {
			Rooms []Room `json:"rooms"`
		} `json:"body"`
	}
	if err := json.Unmarshal(a.Result.(*bridge.RPCResult).Data, &out); err != nil {
		t.Fatal(err)
	}
	if out.Status != 200 || len(out.Body.Rooms) != len(rooms) || out.Body.Rooms[0].ID != "lobby" {
		t.Errorf("get:rooms = %+v", out)
	}

	// The net/http handlers see the Auth interceptor's actor.
	a = b.Dispatch(ctx, withMeta(bridgetest.RPC("Alice", "get:me", nil), tok))
	if a.Kind != bridge.AnswerResult || !strings.Contains(string(a.Result.(*bridge.RPCResult).Data), `"user":"Alice"`) {
		t.Errorf("get:me = %v %+v", a.Kind, a.Result)
	}
	wantError(t, b.Dispatch(ctx, bridgetest.RPC("Alice", "get:rooms", nil)), 401)
}

func TestLoginHandler(t *testing.T) {
	app, _ := testApp(t)
	h := webHandler(t.TempDir(), app, pageConfig{WebSocketPort: 8000, WebSocketPath: "/connection/websocket"})
	post := func(body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(body)))
		return rec
	}
	rec := post(`{"name": " Alice "}`)
	var out map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || rec.Code != 200 {
		t.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	if name, ok := app.tokens.Verify(out["token"]); !ok || name != "Alice" || out["user"] != "Alice" {
		t.Errorf("login answered %v", out)
	}
	for _, body := range []string{`{"name": "no spaces"}`, `{"name": ""}`, `{"name": "` + strings.Repeat("a", 33) + `"}`, `not json`} {
		if rec := post(body); rec.Code != http.StatusBadRequest {
			t.Errorf("login %s: %d", body, rec.Code)
		}
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/config.json", nil))
	if !strings.Contains(rec.Body.String(), `"websocket_port":8000`) {
		t.Errorf("config.json: %s", rec.Body)
	}
}
