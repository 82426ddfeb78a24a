package api_test

import (
	"encoding/json"
	"testing"

	"github.com/gyrehq/gyre/api"
)

func TestJSONEncoding(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"error", &api.ErrBadRequest, `{"code":107,"message":"bad request"}`},
		{"publish result empty", &api.PublishResult{}, `{}`},
		{"publish result", &api.PublishResult{Offset: 1, Epoch: "e"}, `{"offset":1,"epoch":"e"}`},
		{"client info minimal", api.ClientInfo{}, `{"user":"","client":""}`},
		{"client info full", &api.ClientInfo{User: "u", Client: "c", ConnInfo: json.RawMessage(`{"a": 1}`), ChanInfo: json.RawMessage(`"x"`)},
			`{"user":"u","client":"c","conn_info":{"a":1},"chan_info":"x"}`},
		{"client info binary dropped", &api.ClientInfo{User: "u", Client: "c", ConnInfo: json.RawMessage{0xff}, ChanInfo: json.RawMessage("{")},
			`{"user":"u","client":"c"}`},
		{"publication json", &api.Publication{Data: json.RawMessage("{\n\"html\": \"<b>&</b>\"}"), Offset: 3, Tags: map[string]string{"k": "v"},
			Info: &api.ClientInfo{User: "u", Client: "c"}},
			`{"data":{"html":"<b>&</b>"},"info":{"user":"u","client":"c"},"offset":3,"tags":{"k":"v"}}`},
		{"publication binary", api.Publication{Data: json.RawMessage{0, 1, 0xff}, Offset: 1}, `{"offset":1,"b64data":"AAH/"}`},
		{"publication empty", api.Publication{}, `{}`},
		{"history result empty", &api.HistoryResult{Publications: []*api.Publication{}}, `{"publications":[],"epoch":"","offset":0}`},
		{"presence empty", &api.PresenceResult{Presence: map[string]*api.ClientInfo{}}, `{"presence":{}}`},
		{"presence stats zero", &api.PresenceStatsResult{}, `{"num_clients":0,"num_users":0}`},
		{"channels empty", &api.ChannelsResult{Channels: map[string]*api.ChannelInfo{}}, `{"channels":{}}`},
		{"channel info", &api.ChannelsResult{Channels: map[string]*api.ChannelInfo{"a": {NumClients: 2}}}, `{"channels":{"a":{"num_clients":2}}}`},
		{"node zero", &api.NodeResult{}, `{"uid":"","name":"","version":"","num_clients":0,"num_users":0,"num_channels":0,"num_subs":0}`},
		{"node uptime", &api.NodeResult{Uptime: 5}, `{"uid":"","name":"","version":"","num_clients":0,"num_users":0,"num_channels":0,"uptime":5,"num_subs":0}`},
		{"info empty", &api.InfoResult{}, `{}`},
		{"rpc json", &api.RPCResult{Data: json.RawMessage(`[1, 2]`)}, `{"data":[1,2]}`},
		{"rpc binary dropped", &api.RPCResult{Data: json.RawMessage{0xff}}, `{}`},
		{"broadcast", &api.BroadcastResult{Responses: []*api.PublishResponse{{Result: &api.PublishResult{}}, {Error: &api.ErrUnknownChannel}}},
			`{"responses":[{"result":{}},{"error":{"code":102,"message":"unknown channel"}}]}`},
		{"empty results", []any{&api.SubscribeResult{}, &api.UnsubscribeResult{}, &api.DisconnectResult{}, &api.RefreshResult{}, &api.HistoryRemoveResult{}},
			`[{},{},{},{},{}]`},
		{"batch", &api.BatchResult{Replies: []*api.Reply{{Publish: &api.PublishResult{}}, {Error: &api.ErrNotAvailable}}},
			`{"replies":[{"publish":{}},{"error":{"code":108,"message":"not available"}}]}`},
		{"batch empty", &api.BatchResult{}, `{}`},
		{"request omitempty", &api.PublishRequest{}, `{}`},
		{"subscribe request", &api.SubscribeRequest{Channel: "c", Override: &api.SubscribeOptionOverride{Presence: &api.BoolValue{}}, RecoverSince: &api.StreamPosition{Offset: 1}},
			`{"channel":"c","recover_since":{"offset":1},"override":{"presence":{}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			// encoding/json escapes HTML in Marshal; compare the
			// unescaped form as adapters write it.
			if g := unescapeHTML(got); g != tt.want {
				t.Errorf("got  %s\nwant %s", g, tt.want)
			}
		})
	}
}

func unescapeHTML(b []byte) string {
	var out []byte
	for i := 0; i < len(b); i++ {
		if i+6 <= len(b) && b[i] == '\\' && b[i+1] == 'u' && b[i+2] == '0' && b[i+3] == '0' {
			switch string(b[i+4 : i+6]) {
			case "3c":
				out = append(out, '<')
				i += 5
				continue
			case "3e":
				out = append(out, '>')
				i += 5
				continue
			case "26":
				out = append(out, '&')
				i += 5
				continue
			}
		}
		out = append(out, b[i])
	}
	return string(out)
}

func TestRequestDecoding(t *testing.T) {
	var req api.SubscribeRequest
	in := `{"channel":"c","user":"u","expire_at":5,"info":{"a":1},"b64info":"AA==","client":"cl","data":[1],"b64data":"AQ==",
		"recover_since":{"offset":3,"epoch":"e"},"override":{"presence":{"value":true},"join_leave":{"value":false},
		"force_recovery":{"value":true},"force_positioning":{"value":true},"force_push_join_leave":{"value":true}},"session":"s","unknown":1}`
	if err := json.Unmarshal([]byte(in), &req); err != nil {
		t.Fatal(err)
	}
	if req.Channel != "c" || req.User != "u" || req.ExpireAt != 5 || string(req.Info) != `{"a":1}` || req.B64Info != "AA==" ||
		req.Client != "cl" || string(req.Data) != `[1]` || req.B64Data != "AQ==" || *req.RecoverSince != (api.StreamPosition{Offset: 3, Epoch: "e"}) ||
		!req.Override.Presence.Value || req.Override.JoinLeave.Value || !req.Override.ForceRecovery.Value ||
		!req.Override.ForcePositioning.Value || !req.Override.ForcePushJoinLeave.Value || req.Session != "s" {
		t.Errorf("decoded %+v", req)
	}
}
