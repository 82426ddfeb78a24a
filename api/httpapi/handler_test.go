package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/api"
	"github.com/gyrehq/gyre/api/httpapi"
	"github.com/gyrehq/gyre/api/internal/apitest"
)

const (
	badRequest    = `{"error":{"code":107,"message":"bad request"}}`
	okEmpty       = `{"result":{}}`
	internalError = `{"error":{"code":100,"message":"internal server error"}}`
)

// TestMethods checks the exact JSON of every method's answers.
func TestMethods(t *testing.T) {
	tests := []struct {
		name, path, body, want string
	}{
		{"publish history", "publish", `{"channel":"hist","data":{"text":"hi"},"tags":{"k":"v"}}`, `{"result":{"offset":12,"epoch":"ADaXhGsh"}}`},
		{"publish no history", "publish", `{"channel":"news","data":{}}`, okEmpty},
		{"publish b64", "publish", `{"channel":"news","b64data":"AAE="}`, okEmpty},
		{"publish null body", "publish", `null`, badRequest},
		{"publish empty channel", "publish", `{"data":{}}`, badRequest},
		{"publish bad b64", "publish", `{"channel":"news","b64data":"!"}`, badRequest},
		{"publish unknown namespace", "publish", `{"channel":"unknown:x","data":{}}`, `{"error":{"code":102,"message":"unknown channel"}}`},
		{"publish internal", "publish", `{"channel":"broken","data":{}}`, internalError},
		{"broadcast", "broadcast", `{"channels":["hist","news","","unknown:x","broken"],"data":{"a":1}}`,
			`{"result":{"responses":[{"result":{"offset":12,"epoch":"ADaXhGsh"}},{"result":{}},` +
				`{"error":{"code":107,"message":"bad request"}},{"error":{"code":102,"message":"unknown channel"}},` +
				`{"error":{"code":100,"message":"internal server error"}}]}}`},
		{"broadcast no channels", "broadcast", `{"channels":[],"data":{}}`, badRequest},
		{"subscribe", "subscribe", `{"channel":"news","user":"u","info":{"a":1},"b64data":"AQ==","override":{"presence":{"value":true}}}`, okEmpty},
		{"subscribe no channel", "subscribe", `{"user":"u"}`, badRequest},
		{"unsubscribe", "unsubscribe", `{"channel":"news","user":"u"}`, okEmpty},
		{"unsubscribe unknown", "unsubscribe", `{"channel":"unknown:x","user":"u"}`, `{"error":{"code":102,"message":"unknown channel"}}`},
		{"disconnect", "disconnect", `{"user":"u","disconnect":{"code":4000,"reason":"bye"},"whitelist":["c"]}`, okEmpty},
		{"refresh", "refresh", `{"user":"u","expired":true}`, okEmpty},
		{"refresh internal", "refresh", `{"user":"broken"}`, internalError},
		{"presence", "presence", `{"channel":"news"}`,
			`{"result":{"presence":{"c1":{"user":"u1","client":"c1","conn_info":{"name":"a"}},"c2":{"user":"","client":"c2"}}}}`},
		{"presence off", "presence", `{"channel":"off"}`, `{"error":{"code":108,"message":"not available"}}`},
		{"presence_stats", "presence_stats", `{"channel":"news"}`, `{"result":{"num_clients":2,"num_users":1}}`},
		{"presence_stats off", "presence_stats", `{"channel":"off"}`, `{"error":{"code":108,"message":"not available"}}`},
		{"history default limit", "history", `{"channel":"news"}`, `{"result":{"publications":[],"epoch":"ep","offset":2}}`},
		{"history all", "history", `{"channel":"news","limit":-1,"since":{"offset":0,"epoch":"ep"},"reverse":false}`,
			`{"result":{"publications":[{"data":{"text":"<hi>"},"info":{"user":"u1","client":"c1","chan_info":[1]},"offset":1,"tags":{"k":"v"}},` +
				`{"offset":2,"b64data":"3q0="}],"epoch":"ep","offset":2}}`},
		{"history unrecoverable", "history", `{"channel":"lost","limit":10}`, `{"error":{"code":112,"message":"unrecoverable position"}}`},
		{"history_remove", "history_remove", `{"channel":"news"}`, okEmpty},
		{"history_remove off", "history_remove", `{"channel":"off"}`, `{"error":{"code":108,"message":"not available"}}`},
		{"channels", "channels", `{}`, `{"result":{"channels":{"chat:1":{"num_clients":1},"chat:2":{"num_clients":2},"news":{"num_clients":3}}}}`},
		{"channels pattern", "channels", `{"pattern":"chat:*"}`, `{"result":{"channels":{"chat:1":{"num_clients":1},"chat:2":{"num_clients":2}}}}`},
		{"channels no match", "channels", `{"pattern":"x*"}`, `{"result":{"channels":{}}}`},
		{"info", "info", `{}`,
			`{"result":{"nodes":[{"uid":"u-1","name":"node1","version":"0.1.0","num_clients":4,"num_users":3,"num_channels":2,"uptime":60,"num_subs":5},` +
				`{"uid":"u-2","name":"","version":"","num_clients":0,"num_users":0,"num_channels":0,"num_subs":0}]}}`},
		{"rpc", "rpc", `{"method":"any","params":{}}`, `{"error":{"code":104,"message":"not found"}}`},
		{"rpc no method", "rpc", `{"params":{}}`, badRequest},
		{"batch", "batch", `{"commands":[{"publish":{"channel":"a","data":{}}},{"presence_stats":{"channel":"off"}}]}`,
			`{"replies":[{"publish":{}},{"error":{"code":108,"message":"not available"}}]}`},
		{"batch parallel", "batch", `{"parallel":true,"commands":[{"history":{"channel":"news"}},{"info":{}},{"publish":{"channel":"hist"}}]}`,
			`{"replies":[{"history":{"publications":[],"epoch":"ep","offset":2}},{"info":{"nodes":[` +
				`{"uid":"u-1","name":"node1","version":"0.1.0","num_clients":4,"num_users":3,"num_channels":2,"uptime":60,"num_subs":5},` +
				`{"uid":"u-2","name":"","version":"","num_clients":0,"num_users":0,"num_channels":0,"num_subs":0}]}},` +
				`{"publish":{"offset":12,"epoch":"ADaXhGsh"}}]}`},
		{"batch null and unknown", "batch", `{"commands":[null,{"connections":{}},{},{"rpc":{"method":"m"}}]}`,
			`{"replies":[{"error":{"code":107,"message":"bad request"}},{"error":{"code":104,"message":"not found"}},` +
				`{"error":{"code":104,"message":"not found"}},{"error":{"code":104,"message":"not found"}}]}`},
		{"batch empty", "batch", `{}`, `{}`},
	}
	h := newHandler(newBackend(), httpapi.Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := do(h, "", "/api/"+tt.path, tt.body, nil)
			if a.status != http.StatusOK || a.ctype != "application/json" {
				t.Errorf("status %d, content type %q", a.status, a.ctype)
			}
			if a.body != tt.want {
				t.Errorf("body\n got %s\nwant %s", a.body, tt.want)
			}
		})
	}
}

// TestRequestMapping checks what reaches the backend from request JSON.
func TestRequestMapping(t *testing.T) {
	tests := []struct {
		path, body string
		want       apitest.Call
	}{
		{"publish", `{"channel":"a","data":{"h": "<b>&"},"skip_history":true,"tags":{"k":"v"},"idempotency_key":"i","delta":true}`,
			apitest.Call{Method: "Publish", Args: []any{"a", []byte(`{"h": "<b>&"}`),
				api.PublishOptions{SkipHistory: true, Tags: map[string]string{"k": "v"}, IdempotencyKey: "i", Delta: true}}}},
		{"publish", `{"channel":"a","data":{"x":1},"b64data":"AAE="}`,
			apitest.Call{Method: "Publish", Args: []any{"a", []byte{0, 1}, api.PublishOptions{}}}},
		{"subscribe", `{"channel":"c","user":"u","expire_at":9,"info":{"i":1},"client":"cl","b64data":"AQ==","session":"s",` +
			`"recover_since":{"offset":4,"epoch":"e"},"override":{"join_leave":{"value":true},"force_positioning":{}}}`,
			apitest.Call{Method: "Subscribe", Args: []any{"c", api.SubscribeOptions{User: "u", Client: "cl", Session: "s", ExpireAt: 9,
				Info: []byte(`{"i":1}`), Data: []byte{1}, RecoverSince: &gyre.StreamPosition{Offset: 4, Epoch: "e"},
				Override: &gyre.SubscribeOverride{JoinLeave: new(true), ForcePositioning: new(false)}}}}},
		{"subscribe", `{"channel":"c","info":{"i":1},"b64info":"Ag=="}`,
			apitest.Call{Method: "Subscribe", Args: []any{"c", api.SubscribeOptions{Info: []byte{2}}}}},
		{"unsubscribe", `{"channel":"c","user":"u","client":"cl","session":"s"}`,
			apitest.Call{Method: "Unsubscribe", Args: []any{"c", "u", "cl", "s"}}},
		{"disconnect", `{"user":"u"}`,
			apitest.Call{Method: "Disconnect", Args: []any{"u", gyre.Disconnect{Code: 3503, Reason: "force disconnect"}, "", "", []string(nil)}}},
		{"disconnect", `{"user":"u","disconnect":{"code":4001,"reason":"r"},"client":"c","session":"s","whitelist":["w1","w2"]}`,
			apitest.Call{Method: "Disconnect", Args: []any{"u", gyre.Disconnect{Code: 4001, Reason: "r"}, "c", "s", []string{"w1", "w2"}}}},
		{"refresh", `{"user":"u","client":"c","session":"s","expired":true,"expire_at":77,"info":{"n":1}}`,
			apitest.Call{Method: "Refresh", Args: []any{"u", "c", "s", true, int64(77), []byte(`{"n":1}`)}}},
		{"history", `{"channel":"c","limit":5,"since":{"offset":3,"epoch":"e"},"reverse":true}`,
			apitest.Call{Method: "History", Args: []any{"c", gyre.HistoryFilter{Since: &gyre.StreamPosition{Offset: 3, Epoch: "e"}, Limit: 5, Reverse: true}}}},
		{"history_remove", `{"channel":"c"}`, apitest.Call{Method: "RemoveHistory", Args: []any{"c"}}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			b := newBackend()
			a := do(newHandler(b, httpapi.Config{}), "", "/api/"+tt.path, tt.body, nil)
			if a.status != http.StatusOK {
				t.Fatalf("status %d: %s", a.status, a.body)
			}
			if diff := cmp.Diff([]apitest.Call{tt.want}, b.Calls()); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}
