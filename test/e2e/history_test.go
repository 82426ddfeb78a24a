package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/centrifugal/centrifuge-go"

	"github.com/gyrehq/gyre/config"
)

// recAPIRaw POSTs to /api/<method> and returns the raw response body
// (which may carry an error object) after checking for HTTP 200.
func recAPIRaw(t *testing.T, ts *testServer, method string, body any) []byte {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctxT(t), http.MethodPost, ts.apiURL+"/"+method, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-API-Key", testAPIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("api %s: %v", method, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("api %s: HTTP %d: %s", method, resp.StatusCode, raw)
	}
	return raw
}

func recHistoryAPI(t *testing.T, ts *testServer, body map[string]any) recHistoryResult {
	t.Helper()
	raw := recAPIRaw(t, ts, "history", body)
	var out struct {
		Result *recHistoryResult   `json:"result"`
		Error  *struct{ Code int } `json:"error"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.Result == nil || out.Error != nil {
		t.Fatalf("api history %v: %s", body, raw)
	}
	// publications, epoch and offset are always present.
	var present map[string]map[string]json.RawMessage
	_ = json.Unmarshal(raw, &present)
	for _, k := range []string{"publications", "epoch", "offset"} {
		if _, ok := present["result"][k]; !ok {
			t.Fatalf("api history %v: result without %q: %s", body, k, raw)
		}
	}
	return *out.Result
}

func recOffsets[P any](pubs []P, off func(P) uint64) []uint64 {
	out := make([]uint64, 0, len(pubs))
	for _, p := range pubs {
		out = append(out, off(p))
	}
	return out
}

func seq(from, to uint64) []uint64 {
	var out []uint64
	if from <= to {
		for o := from; o <= to; o++ {
			out = append(out, o)
		}
	} else {
		for o := from; o >= to; o-- {
			out = append(out, o)
		}
	}
	return out
}

func sameOffsets(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestHistoryFromClient: sub.History pages through the stream with limit,
// since {offset, epoch} and reverse; limit 0 gives only the top; the limit
// is capped by client.history_max_publication_limit (negative too); a wrong
// epoch gives 112 and reverse from offset 0 gives 107.
func TestHistoryFromClient(t *testing.T) {
	const maxLimit = 6
	ts := startServer(t, func(cfg *config.Config) {
		recNamespaces(cfg)
		cfg.Client.HistoryMaxPublicationLimit = maxLimit
	})
	for _, p := range protocols {
		t.Run(string(p), func(t *testing.T) {
			ch := "rhist:paging-" + string(p)
			rs, _ := newRecSub(t, ts, p, "h", ch, centrifuge.SubscriptionConfig{})
			st := newRecStream(ts, ch)
			st.publish(t, 10)
			ep := st.epoch
			offs := func(r centrifuge.HistoryResult) []uint64 {
				return recOffsets(r.Publications, func(p centrifuge.Publication) uint64 { return p.Offset })
			}
			cases := []struct {
				name string
				opts []centrifuge.HistoryOption
				want []uint64
			}{
				{"top only", nil, nil},
				{"limit 0", []centrifuge.HistoryOption{centrifuge.WithHistoryLimit(0)}, nil},
				{"limit 3", []centrifuge.HistoryOption{centrifuge.WithHistoryLimit(3)}, seq(1, 3)},
				{"next page", []centrifuge.HistoryOption{centrifuge.WithHistoryLimit(3), centrifuge.WithHistorySince(&centrifuge.StreamPosition{Offset: 3, Epoch: ep})}, seq(4, 6)},
				{"last page", []centrifuge.HistoryOption{centrifuge.WithHistoryLimit(3), centrifuge.WithHistorySince(&centrifuge.StreamPosition{Offset: 9, Epoch: ep})}, seq(10, 10)},
				{"since top", []centrifuge.HistoryOption{centrifuge.WithHistoryLimit(3), centrifuge.WithHistorySince(&centrifuge.StreamPosition{Offset: 10, Epoch: ep})}, nil},
				{"reverse", []centrifuge.HistoryOption{centrifuge.WithHistoryLimit(3), centrifuge.WithHistoryReverse(true)}, seq(10, 8)},
				{"reverse since", []centrifuge.HistoryOption{centrifuge.WithHistoryLimit(2), centrifuge.WithHistoryReverse(true), centrifuge.WithHistorySince(&centrifuge.StreamPosition{Offset: 5, Epoch: ep})}, seq(4, 3)},
				{"since without epoch", []centrifuge.HistoryOption{centrifuge.WithHistoryLimit(2), centrifuge.WithHistorySince(&centrifuge.StreamPosition{Offset: 8})}, seq(9, 10)},
				{"capped", []centrifuge.HistoryOption{centrifuge.WithHistoryLimit(100)}, seq(1, maxLimit)},
				{"negative capped", []centrifuge.HistoryOption{centrifuge.WithHistoryLimit(-1)}, seq(1, maxLimit)},
			}
			for _, c := range cases {
				r, err := rs.sub.History(ctxT(t), c.opts...)
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				if r.Epoch != ep || r.Offset != 10 || !sameOffsets(offs(r), c.want) {
					t.Fatalf("%s: history = offsets %v at {%d %s}, want %v at {10 %s}", c.name, offs(r), r.Offset, r.Epoch, c.want, ep)
				}
				for _, pub := range r.Publications {
					var d struct{ K string }
					if err := json.Unmarshal(pub.Data, &d); err != nil || d.K != st.data[pub.Offset] {
						t.Fatalf("%s: publication %d data %s", c.name, pub.Offset, pub.Data)
					}
				}
			}
			for _, c := range []struct {
				name string
				opts []centrifuge.HistoryOption
				code uint32
			}{
				{"wrong epoch", []centrifuge.HistoryOption{centrifuge.WithHistoryLimit(3), centrifuge.WithHistorySince(&centrifuge.StreamPosition{Offset: 3, Epoch: ep + "x"})}, 112},
				{"reverse from 0", []centrifuge.HistoryOption{centrifuge.WithHistoryLimit(3), centrifuge.WithHistoryReverse(true), centrifuge.WithHistorySince(&centrifuge.StreamPosition{Offset: 0, Epoch: ep})}, 107},
			} {
				_, err := rs.sub.History(ctxT(t), c.opts...)
				var ce *centrifuge.Error
				if !errors.As(err, &ce) || ce.Code != c.code {
					t.Fatalf("%s: history error %v, want code %d", c.name, err, c.code)
				}
			}
			// History without history access is refused with 103 and
			// the connection stays usable.
			other, _ := newRecSub(t, ts, p, "h2", "rforce:no-history-"+string(p), centrifuge.SubscriptionConfig{})
			_, err := other.sub.History(ctxT(t), centrifuge.WithHistoryLimit(1))
			var ce *centrifuge.Error
			if !errors.As(err, &ce) || ce.Code != 103 {
				t.Fatalf("history without access: %v, want 103", err)
			}
		})
	}
}

// TestHistoryAPI: the server API history: no limit or limit 0 gives only
// the top, -1 everything (no client cap), since/reverse page, a wrong epoch
// gives 112, a channel without history 108.
func TestHistoryAPI(t *testing.T) {
	ts := startServer(t, func(cfg *config.Config) {
		recNamespaces(cfg)
		cfg.Client.HistoryMaxPublicationLimit = 4
	})
	const ch = "rhist:api"
	st := newRecStream(ts, ch)
	empty := recHistoryAPI(t, ts, map[string]any{"channel": ch, "limit": -1})
	if len(empty.Publications) != 0 || empty.Offset != 0 || empty.Epoch == "" {
		t.Fatalf("history of a new channel: %+v, want offset 0 and an epoch", empty)
	}
	st.publish(t, 10)
	if st.epoch != empty.Epoch {
		t.Fatalf("first publish started epoch %q, history reported %q", st.epoch, empty.Epoch)
	}
	ep := st.epoch
	cases := []struct {
		name string
		body map[string]any
		want []uint64
	}{
		{"no limit", map[string]any{}, nil},
		{"limit 0", map[string]any{"limit": 0}, nil},
		{"all", map[string]any{"limit": -1}, seq(1, 10)},
		{"limit 3", map[string]any{"limit": 3}, seq(1, 3)},
		{"since", map[string]any{"limit": -1, "since": map[string]any{"offset": 7, "epoch": ep}}, seq(8, 10)},
		{"since page", map[string]any{"limit": 2, "since": map[string]any{"offset": 2, "epoch": ep}}, seq(3, 4)},
		{"since top", map[string]any{"limit": -1, "since": map[string]any{"offset": 10, "epoch": ep}}, nil},
		{"reverse", map[string]any{"limit": 2, "reverse": true}, seq(10, 9)},
		{"reverse all", map[string]any{"limit": -1, "reverse": true}, seq(10, 1)},
		{"reverse since", map[string]any{"limit": -1, "reverse": true, "since": map[string]any{"offset": 4, "epoch": ep}}, seq(3, 1)},
	}
	for _, c := range cases {
		c.body["channel"] = ch
		r := recHistoryAPI(t, ts, c.body)
		got := recOffsets(r.Publications, func(p recAPIPub) uint64 { return p.Offset })
		if r.Epoch != ep || r.Offset != 10 || !sameOffsets(got, c.want) {
			t.Fatalf("%s: history = offsets %v at {%d %s}, want %v at {10 %s}", c.name, got, r.Offset, r.Epoch, c.want, ep)
		}
		for _, p := range r.Publications {
			var d struct{ K string }
			if err := json.Unmarshal(p.Data, &d); err != nil || d.K != st.data[p.Offset] {
				t.Fatalf("%s: publication %d data %s", c.name, p.Offset, p.Data)
			}
		}
	}
	for _, c := range []struct {
		name string
		body map[string]any
		code int
	}{
		{"wrong epoch", map[string]any{"channel": ch, "limit": -1, "since": map[string]any{"offset": 3, "epoch": ep + "x"}}, 112},
		{"unknown namespace", map[string]any{"channel": "nosuchns:x"}, 102},
	} {
		raw := recAPIRaw(t, ts, "history", c.body)
		var out struct {
			Error *struct {
				Code int `json:"code"`
			} `json:"error"`
		}
		if err := json.Unmarshal(raw, &out); err != nil || out.Error == nil || out.Error.Code != c.code {
			t.Fatalf("%s: history reply %s, want error %d", c.name, raw, c.code)
		}
	}
	// history_size 5: a since older than the oldest kept item starts at
	// the oldest one; the caller sees the gap.
	small := newRecStream(ts, "rsmall:trimmed")
	small.publish(t, 8)
	r := recHistoryAPI(t, ts, map[string]any{"channel": small.ch, "limit": -1, "since": map[string]any{"offset": 1, "epoch": small.epoch}})
	if got := recOffsets(r.Publications, func(p recAPIPub) uint64 { return p.Offset }); !sameOffsets(got, seq(4, 8)) || r.Offset != 8 {
		t.Fatalf("history since 1 of a trimmed stream: offsets %v top %d, want 4..8 top 8", got, r.Offset)
	}
	raw := recAPIRaw(t, ts, "history", map[string]any{"channel": "locked:x"})
	if !bytes.Contains(raw, []byte(`"code":108`)) {
		t.Fatalf("history of a channel without history: %s, want error 108", raw)
	}
}
