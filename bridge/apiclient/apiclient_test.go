package apiclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/gyrehq/gyre/bridge"
	"github.com/gyrehq/gyre/bridge/apiclient"
	"github.com/gyrehq/gyre/bridge/apipb"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeAPI records publish/broadcast requests and checks the API key.
type fakeAPI struct {
	apipb.UnimplementedCentrifugoApiServer
	mu   sync.Mutex
	pubs []*apipb.PublishRequest
	bcs  []*apipb.BroadcastRequest
}

func (f *fakeAPI) auth(ctx context.Context) error {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get("authorization"); len(v) == 0 || v[0] != "apikey k" {
		return status.Error(codes.Unauthenticated, "bad key")
	}
	return nil
}

func (f *fakeAPI) Publish(ctx context.Context, r *apipb.PublishRequest) (*apipb.PublishResponse, error) {
	if err := f.auth(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.pubs = append(f.pubs, r)
	f.mu.Unlock()
	if r.Channel == "missing:x" {
		return &apipb.PublishResponse{Error: &apipb.Error{Code: 102, Message: "unknown channel"}}, nil
	}
	return &apipb.PublishResponse{Result: &apipb.PublishResult{Offset: 7, Epoch: "e"}}, nil
}

func (f *fakeAPI) Broadcast(ctx context.Context, r *apipb.BroadcastRequest) (*apipb.BroadcastResponse, error) {
	if err := f.auth(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.bcs = append(f.bcs, r)
	f.mu.Unlock()
	res := &apipb.BroadcastResult{}
	for _, ch := range r.Channels {
		if ch == "bad" {
			res.Responses = append(res.Responses, &apipb.PublishResponse{Error: &apipb.Error{Code: 102, Message: "unknown channel"}})
		} else {
			res.Responses = append(res.Responses, &apipb.PublishResponse{Result: &apipb.PublishResult{}})
		}
	}
	return &apipb.BroadcastResponse{Result: res}, nil
}

func serveGRPC(t *testing.T, f *fakeAPI) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	apipb.RegisterCentrifugoApiServer(s, f)
	done := make(chan struct{})
	go func() { _ = s.Serve(l); close(done) }()
	t.Cleanup(func() { s.Stop(); <-done })
	return l.Addr().String()
}

func TestGRPCClientAndBroadcaster(t *testing.T) {
	f := &fakeAPI{}
	addr := serveGRPC(t, f)
	c, err := apiclient.FromConfig(bridge.Config{GRPCAPIAddress: "tcp://" + addr, APIKey: "k", UseCompressor: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	res, err := c.Publish(ctx, &apipb.PublishRequest{Channel: "news", Data: []byte(`{"a":1}`)})
	if err != nil || res.GetOffset() != 7 {
		t.Fatalf("publish %v %v", res, err)
	}
	_, err = c.Publish(ctx, &apipb.PublishRequest{Channel: "missing:x", Data: []byte(`{}`)})
	var ae *apiclient.Error
	if !errors.As(err, &ae) || ae.Code != 102 {
		t.Fatalf("in-band error: %v", err)
	}
	if _, err := c.Info(ctx, &apipb.InfoRequest{}); err == nil || errors.As(err, &ae) {
		t.Fatalf("unimplemented method: %v", err) // a transport error, not an API error
	}
	// Wrong key: transport error.
	bad, _ := apiclient.NewGRPC(addr, apiclient.WithAPIKey("nope"))
	defer bad.Close()
	if _, err := bad.Publish(ctx, &apipb.PublishRequest{Channel: "x"}); status.Code(errors.Unwrap(err)) != codes.Unauthenticated {
		t.Fatalf("bad key: %v", err)
	}

	tests := []struct {
		name        string
		opts        []apiclient.BroadcastOption
		topics      []string
		skipHistory bool
		wantErr     bool
	}{
		{"history on by default, one topic", nil, []string{"a"}, false, false},
		{"history off", []apiclient.BroadcastOption{apiclient.WithHistory(false)}, []string{"a"}, true, false},
		{"several topics broadcast", []apiclient.BroadcastOption{apiclient.WithHistory(true)}, []string{"a", "b"}, false, false},
		{"per-channel error", nil, []string{"a", "bad"}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.mu.Lock()
			f.pubs, f.bcs = nil, nil
			f.mu.Unlock()
			err := apiclient.NewBroadcaster(c, tt.opts...).Publish(ctx, tt.topics, []byte(`{"m":1}`), []byte(`{"m":2}`))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if len(tt.topics) == 1 {
				if len(f.pubs) != 2 || f.pubs[0].SkipHistory != tt.skipHistory || string(f.pubs[1].Data) != `{"m":2}` {
					t.Fatalf("publishes %v", f.pubs)
				}
				return
			}
			if len(f.bcs) != 2 || f.bcs[0].SkipHistory != tt.skipHistory || len(f.bcs[0].Channels) != 2 {
				t.Fatalf("broadcasts %v", f.bcs)
			}
		})
	}
}

func TestHTTPClient(t *testing.T) {
	var mu sync.Mutex
	var got map[string]json.RawMessage
	var path, key string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		path, key = r.URL.Path, r.Header.Get("X-API-Key")
		got = nil
		_ = json.Unmarshal(body, &got)
		mu.Unlock()
		switch r.URL.Path {
		case "/api/publish":
			_, _ = io.WriteString(w, `{"result":{"offset":12,"epoch":"ADa"}}`)
		case "/api/presence":
			_, _ = io.WriteString(w, `{"result":{"presence":{"c1":{"user":"42","client":"c1","conn_info":{"name":"Alex"}}}}}`)
		case "/api/history":
			_, _ = io.WriteString(w, `{"error":{"code":108,"message":"not available"}}`)
		case "/api/batch":
			_, _ = io.WriteString(w, `{"replies":[{"publish":{}},{"error":{"code":108,"message":"not available"}}]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c, err := apiclient.NewHTTP(srv.URL+"/api", apiclient.WithAPIKey("k"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	res, err := c.Publish(ctx, &apipb.PublishRequest{Channel: "news", Data: []byte(`{"text":"hi"}`), SkipHistory: true, Tags: map[string]string{"k": "v"}})
	if err != nil || res.GetOffset() != 12 || res.GetEpoch() != "ADa" {
		t.Fatalf("publish %v %v", res, err)
	}
	mu.Lock()
	if path != "/api/publish" || key != "k" || string(got["data"]) != `{"text":"hi"}` || string(got["skip_history"]) != "true" || string(got["tags"]) != `{"k":"v"}` {
		t.Fatalf("request %s %s %v", path, key, got)
	}
	mu.Unlock()
	// Binary data goes into b64data.
	if _, err := c.Publish(ctx, &apipb.PublishRequest{Channel: "news", Data: []byte{0xff}}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if string(got["b64data"]) != `"/w=="` || got["data"] != nil {
		t.Fatalf("binary request %v", got)
	}
	mu.Unlock()
	pr, err := c.Presence(ctx, &apipb.PresenceRequest{Channel: "chat"})
	if err != nil || pr.GetPresence()["c1"].GetUser() != "42" || string(pr.GetPresence()["c1"].GetConnInfo()) != `{"name":"Alex"}` {
		t.Fatalf("presence %v %v", pr, err)
	}
	var ae *apiclient.Error
	if _, err := c.History(ctx, &apipb.HistoryRequest{Channel: "x"}); !errors.As(err, &ae) || ae.Code != 108 {
		t.Fatalf("history: %v", err)
	}
	br, err := c.Batch(ctx, &apipb.BatchRequest{Commands: []*apipb.Command{{Publish: &apipb.PublishRequest{Channel: "a"}}}})
	if err != nil || len(br.GetReplies()) != 2 || br.GetReplies()[1].GetError().GetCode() != 108 {
		t.Fatalf("batch %v %v", br, err)
	}
	if _, err := c.DeviceList(ctx, &apipb.DeviceListRequest{}); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("unserved method: %v", err)
	}
	if _, err := apiclient.NewHTTP("ftp://x"); err == nil {
		t.Fatal("ftp accepted")
	}
	if _, err := apiclient.FromConfig(bridge.Config{}); err == nil {
		t.Fatal("empty config accepted")
	}
}
