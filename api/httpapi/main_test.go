package httpapi_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/api"
	"github.com/gyrehq/gyre/api/httpapi"
	"github.com/gyrehq/gyre/api/internal/apitest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const testKey = "s3cret"

// newBackend returns a fake backend whose answers depend on the channel:
// "hist" has history, "unknown:x" is an unknown namespace, "off" has
// presence and history off, "lost" has an unrecoverable position, "broken"
// fails unexpectedly, "conflict" gives 113 and "weird" an unusual code.
func newBackend() *apitest.Backend {
	failure := func(ch string) error {
		switch ch {
		case "unknown:x":
			return gyre.ErrUnknownChannel
		case "off":
			return gyre.ErrNotAvailable
		case "lost":
			return gyre.ErrUnrecoverablePosition
		case "broken":
			return errors.New("boom")
		case "conflict":
			return gyre.Error{Code: 113, Message: "conflict"}
		case "weird":
			return gyre.Error{Code: 1000, Message: "custom"}
		}
		return nil
	}
	return &apitest.Backend{
		PublishFunc: func(ch string, _ []byte, _ api.PublishOptions) (gyre.StreamPosition, error) {
			if ch == "hist" {
				return gyre.StreamPosition{Offset: 12, Epoch: "ADaXhGsh"}, nil
			}
			return gyre.StreamPosition{}, failure(ch)
		},
		SubscribeFunc:   func(ch string, _ api.SubscribeOptions) error { return failure(ch) },
		UnsubscribeFunc: func(ch, _, _, _ string) error { return failure(ch) },
		DisconnectFunc:  func(u string, _ gyre.Disconnect, _, _ string, _ []string) error { return failure(u) },
		RefreshFunc:     func(u, _, _ string, _ bool, _ int64, _ []byte) error { return failure(u) },
		PresenceFunc: func(ch string) (map[string]*gyre.ClientInfo, error) {
			if err := failure(ch); err != nil {
				return nil, err
			}
			return map[string]*gyre.ClientInfo{
				"c1": {ClientID: "c1", UserID: "u1", ConnInfo: []byte(`{"name":"a"}`)},
				"c2": {ClientID: "c2", UserID: "", ChanInfo: []byte{0xff}},
			}, nil
		},
		PresenceStatsFunc: func(ch string) (gyre.PresenceStats, error) {
			return gyre.PresenceStats{NumClients: 2, NumUsers: 1}, failure(ch)
		},
		HistoryFunc: func(ch string, f gyre.HistoryFilter) ([]*gyre.Publication, gyre.StreamPosition, error) {
			top := gyre.StreamPosition{Offset: 2, Epoch: "ep"}
			if err := failure(ch); err != nil {
				return nil, top, err
			}
			if f.Limit == 0 {
				return nil, top, nil
			}
			return []*gyre.Publication{
				{Offset: 1, Data: []byte(`{"text":"<hi>"}`), Tags: map[string]string{"k": "v"},
					Info: &gyre.ClientInfo{ClientID: "c1", UserID: "u1", ChanInfo: []byte(`[1]`)}},
				{Offset: 2, Data: []byte{0xde, 0xad}},
			}, top, nil
		},
		RemoveHistoryFunc: failure,
		ChannelsFunc: func() (map[string]int, error) {
			return map[string]int{"news": 3, "chat:1": 1, "chat:2": 2, "idle": 0}, nil
		},
		InfoFunc: func() ([]api.NodeInfo, error) {
			return []api.NodeInfo{{UID: "u-1", Name: "node1", Version: "0.1.0", NumClients: 4, NumUsers: 3, NumChannels: 2, NumSubs: 5, Uptime: 60},
				{UID: "u-2"}}, nil
		},
	}
}

// answer is a recorded HTTP answer.
type answer struct {
	status int
	ctype  string
	body   string
	header http.Header
}

// do sends a POST (unless method is set) with the test key to h.
func do(h http.Handler, method, path, body string, mod func(*http.Request)) answer {
	if method == "" {
		method = http.MethodPost
	}
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Header.Set("X-API-Key", testKey)
	if mod != nil {
		mod(r)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	res := w.Result()
	b, _ := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, ctype: res.Header.Get("Content-Type"), body: string(b), header: res.Header}
}

func newHandler(b api.Backend, cfg httpapi.Config) http.Handler {
	if cfg.Key == "" && !cfg.Insecure {
		cfg.Key = testKey
	}
	return httpapi.NewHandler(api.New(b, nil), cfg)
}
