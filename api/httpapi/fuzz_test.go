package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gyrehq/gyre/api"
	"github.com/gyrehq/gyre/api/httpapi"
)

// fuzzRoutes are the paths FuzzHTTPAPI sends bodies to.
var fuzzRoutes = []string{
	"/api", "/api/publish", "/api/broadcast", "/api/subscribe", "/api/unsubscribe", "/api/disconnect",
	"/api/refresh", "/api/presence", "/api/presence_stats", "/api/history", "/api/history_remove",
	"/api/channels", "/api/info", "/api/rpc", "/api/batch", "/api/unknown",
}

// FuzzHTTPAPI feeds arbitrary bodies to every route: the handler must not
// panic and must always give a well-formed HTTP answer.
func FuzzHTTPAPI(f *testing.F) {
	seeds := []string{
		`{}`, `null`, ``, `[]`, `{"channel":"hist","data":{"a":[1,2,{"b":null}]}}`, `{"channel":"broken"}`,
		`{"channels":["a","","unknown:x"],"b64data":"AAE="}`, `{"channel":"a","b64info":"!!","b64data":"AQ=="}`,
		`{"channel":"lost","limit":-1,"since":{"offset":1,"epoch":"x"}}`, `{"pattern":"[a"}`, `{"pattern":"n*"}`,
		`{"method":"echo","params":{"x":"<&>"}}`, `{"commands":[null,{},{"publish":{"channel":"a"}}],"parallel":true}`,
		`{"id":1,"method":"publish","params":{"channel":"a"}}` + "\n" + `{"method":12}`, `{"method":"nope"}{"method":1.5}`,
		`{"user":"u","disconnect":{"code":4000,"reason":"x"},"whitelist":["a"]}`, "\xff\xfe", `{"channel":"a","data":"` + "\u2028" + `"}`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), []byte(s), i%2 == 0)
	}
	s := api.New(newBackend(), nil)
	s.SetRPCHandler(func(_ context.Context, method string, params []byte) ([]byte, error) {
		if method == "echo" {
			return params, nil
		}
		return []byte{0xff}, nil // not JSON: must be left out
	})
	h := httpapi.NewHandler(s, httpapi.Config{Insecure: true, MaxBodySize: 4096})
	valid := map[int]bool{200: true, 400: true, 404: true, 409: true, 413: true, 416: true, 500: true}
	f.Fuzz(func(t *testing.T, route uint8, body []byte, transport bool) {
		path := fuzzRoutes[int(route)%len(fuzzRoutes)]
		r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		if transport {
			r.Header.Set("X-Centrifugo-Error-Mode", "transport")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if !valid[w.Code] {
			t.Fatalf("%s: unexpected status %d", path, w.Code)
		}
		if w.Header().Get("Content-Type") != "application/json" {
			return
		}
		out := w.Body.Bytes()
		if path == "/api" {
			for _, line := range bytes.Split(out, []byte("\n")) {
				if len(out) > 0 && !json.Valid(line) {
					t.Fatalf("legacy: invalid JSON line %q", line)
				}
			}
			return
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(out, &obj); err != nil {
			t.Fatalf("%s: invalid JSON answer %q: %v", path, out, err)
		}
		if w.Code == 200 && path != "/api/batch" {
			_, hasResult := obj["result"]
			_, hasError := obj["error"]
			if hasResult == hasError {
				t.Fatalf("%s: answer %s needs exactly one of result and error", path, out)
			}
		}
	})
}
