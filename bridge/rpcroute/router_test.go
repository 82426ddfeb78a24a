package rpcroute_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"

	"go.uber.org/goleak"

	"github.com/gyrehq/gyre/bridge"
	"github.com/gyrehq/gyre/bridge/bridgetest"
	"github.com/gyrehq/gyre/bridge/rpcroute"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newsAPI echoes what it received.
func newsAPI() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /news/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"id": r.PathValue("id"), "query": r.URL.Query(), "user": r.Header.Get("X-Gyre-User")})
	})
	mux.HandleFunc("POST /news", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(body)
	})
	mux.HandleFunc("DELETE /news/{id}", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "forbidden", http.StatusForbidden)
	})
	mux.HandleFunc("PUT /news/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	return mux
}

func TestRouter(t *testing.T) {
	r := rpcroute.New().
		MustRegister("ping", func(context.Context, *bridge.RPCRequest) (any, error) { return "pong", nil }).
		MustRegister("raw", func(context.Context, *bridge.RPCRequest) (any, error) { return []byte(`{"a":1}`), nil }).
		MustRegister("fail", func(context.Context, *bridge.RPCRequest) (any, error) { return nil, bridge.NewError(409, "conflict") }).
		MustRegister("echo", func(_ context.Context, req *bridge.RPCRequest) (any, error) {
			var v map[string]any
			err := req.Decode(&v)
			return v, err
		}).
		HTTP(newsAPI())
	tests := []struct {
		name, method, data string
		wantData           string // result data; "" when an error is expected
		wantCode           uint32
	}{
		{"name route", "ping", "", `"pong"`, 0},
		{"raw bytes", "raw", "", `{"a":1}`, 0},
		{"returned error", "fail", "", "", 409},
		{"decode", "echo", `{"x":[1,2]}`, `{"x":[1,2]}`, 0},
		{"unknown name", "nope", "", "", 404},
		{"get with query", "get:news/7", `{"lang":"en","tags":["a","b"],"n":3}`,
			`{"status":200,"body":{"id":"7","query":{"lang":["en"],"n":["3"],"tags":["a","b"]},"user":"u1"}}`, 0},
		{"case-insensitive verb, leading slash", "GET:/news/8", ``, `{"status":200,"body":{"id":"8","query":{},"user":"u1"}}`, 0},
		{"post json body", "post:news", `{"title":"hi"}`, `{"status":201,"body":{"title":"hi"}}`, 0},
		{"text body in-band", "delete:news/1", `{}`, `{"status":403,"body":"forbidden\n"}`, 0},
		{"empty body", "put:news/1", `{}`, `{"status":204,"body":null}`, 0},
		{"not found in-band", "get:missing", ``, `{"status":404,"body":"404 page not found\n"}`, 0},
		{"unsupported verb", "options:news", ``, "", 400},
		{"empty uri", "get:", ``, "", 400},
		{"get with non-object data", "get:news/1", `[1]`, "", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var data any
			if tt.data != "" {
				data = json.RawMessage(tt.data)
			}
			a := bridgetest.Run(t, r, bridgetest.RPC("u1", tt.method, data))
			if tt.wantCode != 0 {
				if a.Kind != bridge.AnswerError || a.Error.Code != tt.wantCode {
					t.Fatalf("answer = %+v %+v, want error %d", a, a.Error, tt.wantCode)
				}
				return
			}
			if a.Kind != bridge.AnswerResult {
				t.Fatalf("answer = %+v %+v", a, a.Error)
			}
			if got := string(a.Result.(*bridge.RPCResult).Data); got != tt.wantData {
				t.Fatalf("data = %s\nwant   %s", got, tt.wantData)
			}
		})
	}
	if err := r.Register("ping", func(context.Context, *bridge.RPCRequest) (any, error) { return nil, nil }); err == nil {
		t.Fatal("duplicate method accepted")
	}
	if err := r.Handle(context.Background(), bridgetest.Connect(nil)); err == nil || errors.Is(err, nil) {
		t.Fatal("router accepted a connect request")
	}
}
