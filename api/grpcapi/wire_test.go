package grpcapi_test

import (
	"encoding/hex"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gyrehq/gyre/bridge/apipb"
	"github.com/gyrehq/gyre/bridge/proxypb"
)

// wire concatenates hand-written wire bytes: a string part is hex with
// optional spaces, a []byte part is taken as is (ASCII payloads).
func wire(t *testing.T, parts ...any) []byte {
	t.Helper()
	var out []byte
	for _, p := range parts {
		switch p := p.(type) {
		case string:
			b, err := hex.DecodeString(strings.ReplaceAll(p, " ", ""))
			if err != nil {
				t.Fatalf("bad hex %q: %v", p, err)
			}
			out = append(out, b...)
		case []byte:
			out = append(out, p...)
		default:
			t.Fatalf("bad part %T", p)
		}
	}
	return out
}

// TestWireCompatibility pins the Protobuf encoding of the generated types
// to hand-computed bytes for the field numbers and types of PROTOCOL.md §5.3
// and §6.2, so that a wrong field number or type in proto/ fails here. Each
// message is marshaled and compared, and the bytes are unmarshaled back and
// compared with the message.
//
// Tags: (field << 3) | wire type, wire type 0 for varints (bool, int32,
// int64, uint32, uint64), 2 for length-delimited (string, bytes, messages,
// map entries {1 key, 2 value}). Negative int32 values take ten bytes.
func TestWireCompatibility(t *testing.T) {
	b := func(s string) []byte { return []byte(s) }
	tests := []struct {
		name string
		msg  proto.Message
		want []byte
	}{
		// ---- server API (centrifugal.centrifugo.api)
		{"api PublishRequest minimal", &apipb.PublishRequest{Channel: "a", Data: b(`{}`)},
			wire(t, "0a 01 61 12 02 7b 7d")},
		{"api PublishRequest all fields",
			&apipb.PublishRequest{Channel: "a", B64Data: "AA==", SkipHistory: true, Tags: map[string]string{"k": "v"},
				IdempotencyKey: "i", Delta: true, Version: 5, VersionEpoch: "e"},
			wire(t, "0a 01 61", "1a 04", b("AA=="), "20 01", "2a 06 0a 01 6b 12 01 76", "32 01 69", "38 01", "40 05", "4a 01 65")},
		{"api BroadcastRequest", &apipb.BroadcastRequest{Channels: []string{"a", "b"}, Data: b(`{}`)},
			wire(t, "0a 01 61 0a 01 62 12 02 7b 7d")},
		{"api SubscribeRequest",
			&apipb.SubscribeRequest{Channel: "c", User: "u", ExpireAt: 1, Info: b(`{}`), B64Info: "x", Client: "k", Data: b("1"),
				B64Data: "y", RecoverSince: &apipb.StreamPosition{Offset: 2, Epoch: "e"},
				Override: &apipb.SubscribeOptionOverride{Presence: &apipb.BoolValue{Value: true}, ForcePushJoinLeave: &apipb.BoolValue{}},
				Session:  "s"},
			wire(t, "0a 01 63 12 01 75 18 01 22 02 7b 7d 2a 01 78 32 01 6b 3a 01 31 42 01 79",
				"4a 05 08 02 12 01 65", "52 06 0a 02 08 01 2a 00", "5a 01 73")},
		{"api UnsubscribeRequest", &apipb.UnsubscribeRequest{Channel: "c", User: "u", Client: "k", Session: "s"},
			wire(t, "0a 01 63 12 01 75 1a 01 6b 22 01 73")},
		{"api DisconnectRequest",
			&apipb.DisconnectRequest{User: "u", Disconnect: &apipb.Disconnect{Code: 4000, Reason: "r"}, Client: "k",
				Whitelist: []string{"w"}, Session: "s"},
			wire(t, "0a 01 75", "12 06 08 a0 1f 12 01 72", "1a 01 6b 22 01 77 2a 01 73")},
		{"api HistoryRequest", &apipb.HistoryRequest{Channel: "a", Limit: -1, Since: &apipb.StreamPosition{Offset: 300, Epoch: "e"}, Reverse: true},
			wire(t, "0a 01 61", "10 ff ff ff ff ff ff ff ff ff 01", "1a 06 08 ac 02 12 01 65", "20 01")},
		{"api RPCRequest", &apipb.RPCRequest{Method: "m", Params: b(`{}`)}, wire(t, "0a 01 6d 12 02 7b 7d")},
		{"api RefreshRequest", &apipb.RefreshRequest{User: "u", Client: "k", Expired: true, ExpireAt: 7, Info: b(`{}`), Session: "s"},
			wire(t, "0a 01 75 12 01 6b 18 01 20 07 2a 02 7b 7d 32 01 73")},
		{"api ChannelsRequest", &apipb.ChannelsRequest{Pattern: "*"}, wire(t, "0a 01 2a")},
		{"api PresenceRequest", &apipb.PresenceRequest{Channel: "a"}, wire(t, "0a 01 61")},
		{"api PresenceStatsRequest", &apipb.PresenceStatsRequest{Channel: "a"}, wire(t, "0a 01 61")},
		{"api HistoryRemoveRequest", &apipb.HistoryRemoveRequest{Channel: "a"}, wire(t, "0a 01 61")},
		{"api BatchRequest",
			&apipb.BatchRequest{Commands: []*apipb.Command{{Publish: &apipb.PublishRequest{Channel: "a"}}, {Channels: &apipb.ChannelsRequest{}}}, Parallel: true},
			wire(t, "0a 05 22 03 0a 01 61", "0a 03 82 01 00", "10 01")},
		{"api PublishResponse result", &apipb.PublishResponse{Result: &apipb.PublishResult{Offset: 12, Epoch: "e"}},
			wire(t, "12 05 08 0c 12 01 65")},
		{"api PublishResponse error", &apipb.PublishResponse{Error: &apipb.Error{Code: 107, Message: "bad request"}},
			wire(t, "0a 0f 08 6b 12 0b", b("bad request"))},
		{"api BatchResponse",
			&apipb.BatchResponse{Replies: []*apipb.Reply{{Error: &apipb.Error{Code: 104, Message: "x"}}, {Publish: &apipb.PublishResult{}}}},
			wire(t, "0a 07 12 05 08 68 12 01 78", "0a 02 22 00")},
		{"api PresenceResult",
			&apipb.PresenceResult{Presence: map[string]*apipb.ClientInfo{"c": {User: "u", Client: "c", ConnInfo: b(`{}`), ChanInfo: b("1")}}},
			wire(t, "0a 12 0a 01 63 12 0d 0a 01 75 12 01 63 1a 02 7b 7d 22 01 31")},
		{"api PresenceStatsResult", &apipb.PresenceStatsResult{NumClients: 1, NumUsers: 2}, wire(t, "08 01 10 02")},
		{"api HistoryResult",
			&apipb.HistoryResult{Publications: []*apipb.Publication{{Data: b(`{}`), Info: &apipb.ClientInfo{User: "u"}, Offset: 3,
				Tags: map[string]string{"k": "v"}}}, Epoch: "e", Offset: 3},
			wire(t, "0a 13 12 02 7b 7d 1a 03 0a 01 75 20 03 2a 06 0a 01 6b 12 01 76", "12 01 65 18 03")},
		{"api NodeResult",
			&apipb.NodeResult{Uid: "u", Name: "n", Version: "v", NumClients: 1, NumUsers: 2, NumChannels: 3, Uptime: 4, NumSubs: 5},
			wire(t, "0a 01 75 12 01 6e 1a 01 76 20 01 28 02 30 03 38 04 50 05")},
		{"api ChannelsResult", &apipb.ChannelsResult{Channels: map[string]*apipb.ChannelInfo{"a": {NumClients: 1}}},
			wire(t, "0a 07 0a 01 61 12 02 08 01")},
		{"api RPCResponse", &apipb.RPCResponse{Result: &apipb.RPCResult{Data: b(`{}`)}}, wire(t, "12 04 0a 02 7b 7d")},

		// ---- proxy (centrifugal.centrifugo.proxy)
		{"proxy ConnectRequest",
			&proxypb.ConnectRequest{Client: "c", Transport: "websocket", Protocol: "json", Encoding: "json", Data: b(`{}`),
				B64Data: "x", Name: "js", Version: "1", Channels: []string{"a"}},
			wire(t, "0a 01 63", "12 09", b("websocket"), "1a 04", b("json"), "22 04", b("json"),
				"52 02 7b 7d 5a 01 78 62 02 6a 73 6a 01 31 72 01 61")},
		{"proxy ConnectResponse result.user", &proxypb.ConnectResponse{Result: &proxypb.ConnectResult{User: "42"}},
			wire(t, "0a 04 0a 02 34 32")},
		{"proxy ConnectResult",
			&proxypb.ConnectResult{User: "u", ExpireAt: 1735689600, Info: b(`{}`), B64Info: "x", Data: b("1"), B64Data: "y",
				Channels: []string{"a"},
				Subs: map[string]*proxypb.SubscribeOptions{"s": {ExpireAt: 1, Info: b("2"),
					Override: &proxypb.SubscribeOptionOverride{JoinLeave: &proxypb.BoolValue{Value: true}}}},
				Meta: b(`{}`)},
			wire(t, "0a 01 75", "10 80 8b d2 bb 06", "1a 02 7b 7d 22 01 78 2a 01 31 32 01 79 3a 01 61",
				"42 10 0a 01 73 12 0b 08 01 12 01 32 32 04 12 02 08 01", "4a 02 7b 7d")},
		{"proxy ConnectResponse error", &proxypb.ConnectResponse{Error: &proxypb.Error{Code: 403, Message: "m", Temporary: true}},
			wire(t, "12 08 08 93 03 12 01 6d 18 01")},
		{"proxy ConnectResponse disconnect", &proxypb.ConnectResponse{Disconnect: &proxypb.Disconnect{Code: 4000, Reason: "x"}},
			wire(t, "1a 06 08 a0 1f 12 01 78")},
		{"proxy RefreshRequest", &proxypb.RefreshRequest{Client: "c", User: "u", Meta: b(`{}`)},
			wire(t, "0a 01 63 52 01 75 5a 02 7b 7d")},
		{"proxy RefreshResult", &proxypb.RefreshResult{Expired: true, ExpireAt: 5, Info: b(`{}`), B64Info: "x", Meta: b("1")},
			wire(t, "08 01 10 05 1a 02 7b 7d 22 01 78 2a 01 31")},
		{"proxy SubscribeRequest",
			&proxypb.SubscribeRequest{Client: "c", User: "u", Channel: "ch", Token: "t", Meta: b(`{}`), Data: b("1"), B64Data: "x"},
			wire(t, "0a 01 63 52 01 75 5a 02 63 68 62 01 74 6a 02 7b 7d 72 01 31 7a 01 78")},
		{"proxy SubscribeResponse",
			&proxypb.SubscribeResponse{Result: &proxypb.SubscribeResult{ExpireAt: 1, Info: b(`{}`), Data: b("1"),
				Override: &proxypb.SubscribeOptionOverride{Presence: &proxypb.BoolValue{}}}},
			wire(t, "0a 0d 08 01 12 02 7b 7d 22 01 31 32 02 0a 00")},
		{"proxy PublishRequest", &proxypb.PublishRequest{User: "u", Channel: "ch", Data: b(`{}`), B64Data: "x", Meta: b("1")},
			wire(t, "52 01 75 5a 02 63 68 62 02 7b 7d 6a 01 78 72 01 31")},
		{"proxy PublishResult",
			&proxypb.PublishResult{Data: b(`{}`), SkipHistory: true, Tags: map[string]string{"k": "v"}, IdempotencyKey: "i",
				Delta: true, Version: 2, VersionEpoch: "e"},
			wire(t, "0a 02 7b 7d 18 01 22 06 0a 01 6b 12 01 76 2a 01 69 30 01 38 02 42 01 65")},
		{"proxy RPCRequest", &proxypb.RPCRequest{User: "u", Method: "m", Data: b(`{}`)},
			wire(t, "52 01 75 5a 01 6d 62 02 7b 7d")},
		{"proxy RPCResponse", &proxypb.RPCResponse{Result: &proxypb.RPCResult{Data: b(`{}`), B64Data: "x"}},
			wire(t, "0a 07 0a 02 7b 7d 12 01 78")},
		{"proxy SubRefreshRequest", &proxypb.SubRefreshRequest{User: "u", Channel: "ch", Meta: b(`{}`)},
			wire(t, "52 01 75 5a 02 63 68 62 02 7b 7d")},
		{"proxy SubRefreshResponse", &proxypb.SubRefreshResponse{Result: &proxypb.SubRefreshResult{ExpireAt: 9, Info: b("1"), B64Info: "x"}},
			wire(t, "0a 08 10 09 1a 01 31 22 01 78")},
		{"proxy StreamSubscribeResponse",
			&proxypb.StreamSubscribeResponse{Publication: &proxypb.Publication{Data: b(`{}`), Tags: map[string]string{"k": "v"}}},
			wire(t, "12 0c 22 02 7b 7d 3a 06 0a 01 6b 12 01 76")},
		{"proxy NotifyChannelStateRequest",
			&proxypb.NotifyChannelStateRequest{Events: []*proxypb.ChannelEvent{{TimeMs: 1, Channel: "a", Type: "occupied"}}},
			wire(t, "0a 0f 08 01 12 01 61 1a 08", b("occupied"))},
		{"proxy NotifyCacheEmptyResponse", &proxypb.NotifyCacheEmptyResponse{Result: &proxypb.NotifyCacheEmptyResult{Populated: true}},
			wire(t, "0a 02 08 01")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := proto.MarshalOptions{Deterministic: true}.Marshal(tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(tt.want) {
				t.Errorf("encoding\n got % x\nwant % x", got, tt.want)
			}
			back := tt.msg.ProtoReflect().New().Interface()
			if err := proto.Unmarshal(tt.want, back); err != nil {
				t.Fatalf("decoding the expected bytes: %v", err)
			}
			if !proto.Equal(back, tt.msg) {
				t.Errorf("decoded %v, want %v", back, tt.msg)
			}
		})
	}
}

// TestServiceNames pins the full gRPC method names that clients dial.
func TestServiceNames(t *testing.T) {
	for got, want := range map[string]string{
		apipb.CentrifugoApi_Publish_FullMethodName:        "/centrifugal.centrifugo.api.CentrifugoApi/Publish",
		apipb.CentrifugoApi_Batch_FullMethodName:          "/centrifugal.centrifugo.api.CentrifugoApi/Batch",
		apipb.CentrifugoApi_PresenceStats_FullMethodName:  "/centrifugal.centrifugo.api.CentrifugoApi/PresenceStats",
		apipb.CentrifugoApi_RPC_FullMethodName:            "/centrifugal.centrifugo.api.CentrifugoApi/RPC",
		proxypb.CentrifugoProxy_Connect_FullMethodName:    "/centrifugal.centrifugo.proxy.CentrifugoProxy/Connect",
		proxypb.CentrifugoProxy_SubRefresh_FullMethodName: "/centrifugal.centrifugo.proxy.CentrifugoProxy/SubRefresh",
		proxypb.CentrifugoProxy_RPC_FullMethodName:        "/centrifugal.centrifugo.proxy.CentrifugoProxy/RPC",
	} {
		if got != want {
			t.Errorf("method name %q, want %q", got, want)
		}
	}
}
