package httpapi_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gyrehq/gyre/api"
	"github.com/gyrehq/gyre/api/httpapi"
)

func TestAuth(t *testing.T) {
	type req = *http.Request
	tests := []struct {
		name     string
		key      string
		insecure bool
		mod      func(req)
		want     int
	}{
		{"x-api-key", testKey, false, func(r req) { r.Header.Set("X-API-Key", testKey) }, 200},
		{"x-api-key wrong", testKey, false, func(r req) { r.Header.Set("X-API-Key", "nope") }, 401},
		{"x-api-key prefix of key", testKey, false, func(r req) { r.Header.Set("X-API-Key", testKey[:3]) }, 401},
		{"x-api-key wins over authorization", testKey, false, func(r req) {
			r.Header.Set("X-API-Key", "nope")
			r.Header.Set("Authorization", "apikey "+testKey)
		}, 401},
		{"authorization", testKey, false, func(r req) { r.Header.Set("Authorization", "apikey "+testKey) }, 200},
		{"authorization scheme case", testKey, false, func(r req) { r.Header.Set("Authorization", "APIKey "+testKey) }, 200},
		{"authorization wrong scheme", testKey, false, func(r req) { r.Header.Set("Authorization", "Bearer "+testKey) }, 401},
		{"authorization wrong key", testKey, false, func(r req) { r.Header.Set("Authorization", "apikey x") }, 401},
		{"authorization extra field", testKey, false, func(r req) { r.Header.Set("Authorization", "apikey "+testKey+" x") }, 401},
		{"authorization wins over query", testKey, false, func(r req) {
			r.Header.Set("Authorization", "apikey x")
			r.URL.RawQuery = "api_key=" + testKey
		}, 401},
		{"query", testKey, false, func(r req) { r.URL.RawQuery = "api_key=" + testKey }, 200},
		{"query wrong", testKey, false, func(r req) { r.URL.RawQuery = "api_key=x" }, 401},
		{"none", testKey, false, func(req) {}, 401},
		{"empty configured key", "", false, func(r req) { r.Header.Set("X-API-Key", "") }, 401},
		{"empty configured key with query", "", false, func(r req) { r.URL.RawQuery = "api_key=" }, 401},
		{"insecure", "", true, func(req) {}, 200},
		{"insecure ignores wrong key", testKey, true, func(r req) { r.Header.Set("X-API-Key", "nope") }, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := httpapi.NewHandler(api.New(newBackend(), nil), httpapi.Config{Key: tt.key, Insecure: tt.insecure})
			for _, path := range []string{"/api/info", "/api"} {
				body := `{}`
				if path == "/api" {
					body = `{"method":"info"}`
				}
				a := do(h, "", path, body, func(r *http.Request) {
					r.Header.Del("X-API-Key")
					tt.mod(r)
				})
				if a.status != tt.want {
					t.Errorf("%s: status %d, want %d", path, a.status, tt.want)
				}
				if a.status == 401 && a.body != "" {
					t.Errorf("%s: 401 body %q, want empty", path, a.body)
				}
			}
		})
	}
}

// errReader fails reads.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("read failed") }

// noLen hides the length of a reader from httptest.NewRequest.
type noLen struct{ io.Reader }

func TestHTTPErrors(t *testing.T) {
	h := newHandler(newBackend(), httpapi.Config{MaxBodySize: 64})
	big := `{"channel":"news","data":"` + strings.Repeat("x", 64) + `"}`
	tests := []struct {
		name, method, path, body string
		mod                      func(*http.Request)
		status                   int
		body2                    string
	}{
		{"get method route", http.MethodGet, "/api/publish", "", func(r *http.Request) { r.Header.Del("X-API-Key") }, 405, ""},
		{"put legacy", http.MethodPut, "/api", "", nil, 405, ""},
		{"unknown method route", "", "/api/connections", `{}`, nil, 404, "404 page not found\n"},
		{"trailing slash", "", "/api/publish/", `{}`, nil, 404, "404 page not found\n"},
		{"other prefix", "", "/apix", `{}`, nil, 404, "404 page not found\n"},
		{"bad json", "", "/api/publish", `{"channel":`, nil, 400, "Bad Request\n"},
		{"empty body", "", "/api/info", ``, nil, 400, "Bad Request\n"},
		{"wrong type", "", "/api/publish", `{"channel":5}`, nil, 400, "Bad Request\n"},
		{"array body", "", "/api/batch", `[]`, nil, 400, "Bad Request\n"},
		{"trailing data", "", "/api/info", `{} {}`, nil, 400, "Bad Request\n"},
		{"too large", "", "/api/publish", big, nil, 413, "Request Entity Too Large\n"},
		{"too large chunked", "", "/api/publish", big, func(r *http.Request) {
			r.Body = io.NopCloser(noLen{strings.NewReader(big)})
			r.ContentLength = -1
		}, 413, "Request Entity Too Large\n"},
		{"too large legacy", "", "/api", big, nil, 413, "Request Entity Too Large\n"},
		{"read error", "", "/api/publish", "", func(r *http.Request) {
			r.Body = io.NopCloser(errReader{})
			r.ContentLength = -1
		}, 500, "Internal Server Error\n"},
		{"legacy empty body", "", "/api", ``, nil, 400, "Bad Request\n"},
		{"legacy garbage", "", "/api", `nope`, nil, 400, "Bad Request\n"},
		{"legacy bad method type", "", "/api", `{"method":true}`, nil, 400, "Bad Request\n"},
		{"legacy fractional method", "", "/api", `{"method":1.5}`, nil, 400, "Bad Request\n"},
		{"legacy bad id", "", "/api", `{"id":"x","method":"info"}`, nil, 400, "Bad Request\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := do(h, tt.method, tt.path, tt.body, tt.mod)
			if a.status != tt.status || a.body != tt.body2 {
				t.Errorf("got %d %q, want %d %q", a.status, a.body, tt.status, tt.body2)
			}
			if tt.status == 405 && a.header.Get("Allow") != "POST" {
				t.Errorf("Allow = %q", a.header.Get("Allow"))
			}
			if tt.status == 400 && a.ctype != "text/plain; charset=utf-8" {
				t.Errorf("content type %q", a.ctype)
			}
		})
	}
}

func TestDefaultBodyLimit(t *testing.T) {
	h := newHandler(newBackend(), httpapi.Config{})
	ok := `{"channel":"news","data":"` + strings.Repeat("x", httpapi.DefaultMaxBodySize-40) + `"}`
	if a := do(h, "", "/api/publish", ok, nil); a.status != 200 {
		t.Errorf("within limit: %d", a.status)
	}
	big := `{"channel":"news","data":"` + strings.Repeat("x", httpapi.DefaultMaxBodySize) + `"}`
	if a := do(h, "", "/api/publish", big, nil); a.status != 413 {
		t.Errorf("over limit: %d", a.status)
	}
}

func TestTransportErrorMode(t *testing.T) {
	tests := []struct {
		path, body string
		status     int
		want       string
	}{
		{"publish", `{"channel":"broken"}`, 500, `{"code":100,"message":"internal server error"}`},
		{"publish", `{"channel":"unknown:x"}`, 404, `{"code":102,"message":"unknown channel"}`},
		{"rpc", `{"method":"m"}`, 404, `{"code":104,"message":"not found"}`},
		{"publish", `{}`, 400, `{"code":107,"message":"bad request"}`},
		{"presence", `{"channel":"off"}`, 400, `{"code":108,"message":"not available"}`},
		{"history", `{"channel":"lost"}`, 416, `{"code":112,"message":"unrecoverable position"}`},
		{"subscribe", `{"channel":"conflict"}`, 409, `{"code":113,"message":"conflict"}`},
		{"unsubscribe", `{"channel":"weird"}`, 500, `{"code":1000,"message":"custom"}`},
		{"publish", `{"channel":"hist"}`, 200, `{"result":{"offset":12,"epoch":"ADaXhGsh"}}`},
		{"broadcast", `{"channels":["broken"]}`, 200, `{"result":{"responses":[{"error":{"code":100,"message":"internal server error"}}]}}`},
		{"batch", `{"commands":[{"publish":{}}]}`, 200, `{"replies":[{"error":{"code":107,"message":"bad request"}}]}`},
	}
	modes := map[string]struct {
		cfg httpapi.Config
		mod func(*http.Request)
	}{
		"config": {httpapi.Config{ErrorModeTransport: true}, nil},
		"header": {httpapi.Config{}, func(r *http.Request) { r.Header.Set("X-Centrifugo-Error-Mode", "transport") }},
	}
	for name, m := range modes {
		h := newHandler(newBackend(), m.cfg)
		for _, tt := range tests {
			a := do(h, "", "/api/"+tt.path, tt.body, m.mod)
			if a.status != tt.status || a.body != tt.want || a.ctype != "application/json" {
				t.Errorf("%s %s %s: got %d %s %q, want %d %s", name, tt.path, tt.body, a.status, a.body, a.ctype, tt.status, tt.want)
			}
		}
	}
	// Without the mode, errors are 200 with the envelope.
	h := newHandler(newBackend(), httpapi.Config{})
	a := do(h, "", "/api/history", `{"channel":"lost"}`, func(r *http.Request) { r.Header.Set("X-Centrifugo-Error-Mode", "other") })
	if a.status != 200 || a.body != `{"error":{"code":112,"message":"unrecoverable position"}}` {
		t.Errorf("default mode: %d %s", a.status, a.body)
	}
}

func TestLegacy(t *testing.T) {
	h := newHandler(newBackend(), httpapi.Config{ErrorModeTransport: true})
	tests := []struct {
		name, body, want string
	}{
		{"names and integers",
			`{"id":1,"method":"publish","params":{"channel":"hist","data":{}}}` + "\n" +
				`{"id":2,"method":"PRESENCE_STATS","params":{"channel":"off"}}` + "\n" +
				`{"method":5,"params":{"channel":"a"}}` + "\n" +
				`{"id":4,"method":"Info"}` + "\n",
			`{"id":1,"result":{"offset":12,"epoch":"ADaXhGsh"}}` + "\n" +
				`{"id":2,"error":{"code":108,"message":"not available"}}` + "\n" +
				`{"result":{"num_clients":2,"num_users":1}}` + "\n" +
				`{"id":4,"result":{"nodes":[{"uid":"u-1","name":"node1","version":"0.1.0","num_clients":4,"num_users":3,"num_channels":2,"uptime":60,"num_subs":5},` +
				`{"uid":"u-2","name":"","version":"","num_clients":0,"num_users":0,"num_channels":0,"num_subs":0}]}}`},
		{"every enum",
			`{"method":0,"params":{"channel":"a"}}{"method":1,"params":{"channels":["a"]}}{"method":2,"params":{}}` +
				`{"method":3,"params":{}}{"method":4,"params":{"channel":"off"}}{"method":5}{"method":6,"params":{"channel":"a"}}` +
				`{"method":7,"params":{"channel":"a"}}{"method":8,"params":{"pattern":"n*"}}{"method":9,"params":null}` +
				`{"method":10,"params":{"method":"x"}}{"method":11,"params":{"channel":"a"}}{"method":12,"params":{"user":"u"}}`,
			`{"result":{}}` + "\n" + `{"result":{"responses":[{"result":{}}]}}` + "\n" + `{"result":{}}` + "\n" +
				`{"result":{}}` + "\n" + `{"error":{"code":108,"message":"not available"}}` + "\n" + badRequest + "\n" +
				`{"result":{"publications":[],"epoch":"ep","offset":2}}` + "\n" +
				`{"result":{}}` + "\n" + `{"result":{"channels":{"news":{"num_clients":3}}}}` + "\n" +
				`{"result":{"nodes":[{"uid":"u-1","name":"node1","version":"0.1.0","num_clients":4,"num_users":3,"num_channels":2,"uptime":60,"num_subs":5},` +
				`{"uid":"u-2","name":"","version":"","num_clients":0,"num_users":0,"num_channels":0,"num_subs":0}]}}` + "\n" +
				`{"error":{"code":104,"message":"not found"}}` + "\n" + `{"result":{}}` + "\n" + `{"result":{}}`},
		{"unsupported methods",
			`{"id":1,"method":"connections"}` + "\n" + `{"id":2,"method":13}` + "\n" + `{"id":3,"method":14}` + "\n" +
				`{"id":4,"method":-1}` + "\n" + `{"id":5,"method":"batch","params":{}}` + "\n" + `{"id":6,"method":"nope"}`,
			`{"id":1,"error":{"code":104,"message":"not found"}}` + "\n" + `{"id":2,"error":{"code":104,"message":"not found"}}` + "\n" +
				`{"id":3,"error":{"code":104,"message":"not found"}}` + "\n" + `{"id":4,"error":{"code":104,"message":"not found"}}` + "\n" +
				`{"id":5,"error":{"code":104,"message":"not found"}}` + "\n" + `{"id":6,"error":{"code":104,"message":"not found"}}`},
		{"bad params", `{"id":7,"method":"publish","params":[1]}`, `{"id":7,"error":{"code":107,"message":"bad request"}}`},
		{"missing method is publish", `{"id":8,"params":{"channel":"hist"}}`, `{"id":8,"result":{"offset":12,"epoch":"ADaXhGsh"}}`},
		{"whitespace only", "\n \n", ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := do(h, "", "/api", tt.body, nil)
			if a.status != 200 || a.ctype != "application/json" {
				t.Errorf("status %d, content type %q", a.status, a.ctype)
			}
			if a.body != tt.want {
				t.Errorf("body\n got %s\nwant %s", a.body, tt.want)
			}
		})
	}
}

func TestPrefix(t *testing.T) {
	tests := []struct {
		prefix, legacy, route string
	}{
		{"", "/api", "/api/info"},
		{"/api/", "/api", "/api/info"},
		{"/srv/v1", "/srv/v1", "/srv/v1/info"},
		{"/", "/", "/info"},
	}
	for _, tt := range tests {
		h := newHandler(newBackend(), httpapi.Config{Prefix: tt.prefix})
		if a := do(h, "", tt.route, `{}`, nil); a.status != 200 {
			t.Errorf("prefix %q: %s = %d", tt.prefix, tt.route, a.status)
		}
		if a := do(h, "", tt.legacy, `{"method":"info"}`, nil); a.status != 200 || !strings.HasPrefix(a.body, `{"result":`) {
			t.Errorf("prefix %q: %s = %d %s", tt.prefix, tt.legacy, a.status, a.body)
		}
		if a := do(h, "", "/elsewhere/info", `{}`, nil); a.status != 404 {
			t.Errorf("prefix %q: other path = %d", tt.prefix, a.status)
		}
	}
}

type observation struct {
	Method string
	Code   uint32
}

func TestObserve(t *testing.T) {
	var (
		mu  sync.Mutex
		got []observation
	)
	h := newHandler(newBackend(), httpapi.Config{MaxBodySize: 1024, Observe: func(m string, c uint32, d time.Duration) {
		if d < 0 {
			t.Errorf("negative duration %v", d)
		}
		mu.Lock()
		got = append(got, observation{m, c})
		mu.Unlock()
	}})
	do(h, "", "/api/publish", `{"channel":"hist"}`, nil)
	do(h, "", "/api/publish", `{"channel":"off"}`, nil)
	do(h, "", "/api/publish", `{`, nil)
	do(h, "", "/api/publish", `{"data":"`+strings.Repeat("x", 2000)+`"}`, nil)
	do(h, "", "/api/publish", `{}`, func(r *http.Request) {
		r.Body = io.NopCloser(errReader{})
		r.ContentLength = -1
	})
	do(h, "", "/api/batch", `{"commands":[{"publish":{}}]}`, nil)
	do(h, "", "/api", `{"method":"info"}`+"\n"+`{"method":"nope"}`+"\n"+`{"method":"history","params":{"channel":"lost"}}`, nil)
	do(h, http.MethodGet, "/api/info", ``, nil)
	do(h, "", "/api/info", `{}`, func(r *http.Request) { r.Header.Del("X-API-Key") })
	do(h, "", "/api/nope", `{}`, nil)
	want := []observation{
		{"publish", 0}, {"publish", 108}, {"publish", 107}, {"publish", 107}, {"publish", 100},
		{"batch", 0}, {"info", 0}, {"unknown", 104}, {"history", 112},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("observations (-want +got):\n%s", diff)
	}
}

// TestServer runs the handler behind a real server to check headers on the
// wire.
func TestServer(t *testing.T) {
	srv := httptest.NewServer(newHandler(newBackend(), httpapi.Config{}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/publish?api_key="+testKey, strings.NewReader(`{"channel":"hist","data":{}}`))
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" || string(body) != `{"result":{"offset":12,"epoch":"ADaXhGsh"}}` {
		t.Errorf("got %d %q %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	srv.Client().CloseIdleConnections()
}
