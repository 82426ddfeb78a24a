package grpcapi_test

import (
	"context"
	"encoding/base64"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/api"
	"github.com/gyrehq/gyre/api/grpcapi"
	"github.com/gyrehq/gyre/api/internal/apitest"
	"github.com/gyrehq/gyre/bridge/apipb"
)

// call is one client call of a test table.
type call func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error)

func bv(v bool) *apipb.BoolValue { return &apipb.BoolValue{Value: v} }
func ptr[T any](v T) *T          { return &v }

func diffProto(t *testing.T, want, got proto.Message) {
	t.Helper()
	if d := cmp.Diff(want, got, protocmp.Transform()); d != "" {
		t.Errorf("response mismatch (-want +got):\n%s", d)
	}
}

// TestMethods round-trips every OSS method through the generated client and
// checks the response and the Backend call it caused.
func TestMethods(t *testing.T) {
	tests := []struct {
		name     string
		observed string
		call     call
		want     proto.Message
		// calls are the expected Backend calls; nil skips the check.
		calls []apitest.Call
	}{
		{
			name: "publish", observed: "publish",
			call: func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error) {
				return c.Publish(ctx, &apipb.PublishRequest{Channel: "hist", Data: []byte(`{"x":1}`), SkipHistory: true,
					Tags: map[string]string{"k": "v"}, IdempotencyKey: "ik", Delta: true, Version: 3, VersionEpoch: "ve"})
			},
			want: &apipb.PublishResponse{Result: &apipb.PublishResult{Offset: 12, Epoch: "ADaXhGsh"}},
			calls: []apitest.Call{{Method: "Publish", Args: []any{"hist", []byte(`{"x":1}`),
				api.PublishOptions{SkipHistory: true, Tags: map[string]string{"k": "v"}, IdempotencyKey: "ik", Delta: true}}}},
		},
		{
			name: "publish b64data wins", observed: "publish",
			call: func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error) {
				return c.Publish(ctx, &apipb.PublishRequest{Channel: "a", Data: []byte(`{}`), B64Data: base64.StdEncoding.EncodeToString([]byte{0, 1})})
			},
			want:  &apipb.PublishResponse{Result: &apipb.PublishResult{}},
			calls: []apitest.Call{{Method: "Publish", Args: []any{"a", []byte{0, 1}, api.PublishOptions{}}}},
		},
		{
			name: "publish binary data as given", observed: "publish",
			call: func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error) {
				return c.Publish(ctx, &apipb.PublishRequest{Channel: "a", Data: []byte{0xff, 0x00}})
			},
			want:  &apipb.PublishResponse{Result: &apipb.PublishResult{}},
			calls: []apitest.Call{{Method: "Publish", Args: []any{"a", []byte{0xff, 0x00}, api.PublishOptions{}}}},
		},
		{
			name: "broadcast", observed: "broadcast",
			call: func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error) {
				return c.Broadcast(ctx, &apipb.BroadcastRequest{Channels: []string{"hist", "unknown:x", ""}, Data: []byte(`{}`)})
			},
			want: &apipb.BroadcastResponse{Result: &apipb.BroadcastResult{Responses: []*apipb.PublishResponse{
				{Result: &apipb.PublishResult{Offset: 12, Epoch: "ADaXhGsh"}},
				{Error: &apipb.Error{Code: 102, Message: "unknown channel"}},
				{Error: &apipb.Error{Code: 107, Message: "bad request"}},
			}}},
		},
		{
			name: "subscribe", observed: "subscribe",
			call: func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error) {
				return c.Subscribe(ctx, &apipb.SubscribeRequest{Channel: "ch", User: "u", ExpireAt: 100, Info: []byte(`{"i":1}`),
					Client: "c", Data: []byte(`{"d":1}`), RecoverSince: &apipb.StreamPosition{Offset: 3, Epoch: "e"},
					Override: &apipb.SubscribeOptionOverride{Presence: bv(true), JoinLeave: bv(false), ForcePushJoinLeave: bv(true)},
					Session:  "s"})
			},
			want: &apipb.SubscribeResponse{Result: &apipb.SubscribeResult{}},
			calls: []apitest.Call{{Method: "Subscribe", Args: []any{"ch", api.SubscribeOptions{
				User: "u", Client: "c", Session: "s", ExpireAt: 100, Info: []byte(`{"i":1}`), Data: []byte(`{"d":1}`),
				RecoverSince: &gyre.StreamPosition{Offset: 3, Epoch: "e"},
				Override:     &gyre.SubscribeOverride{Presence: ptr(true), JoinLeave: ptr(false), ForcePushJoinLeave: ptr(true)},
			}}}},
		},
		{
			name: "unsubscribe", observed: "unsubscribe",
			call: func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error) {
				return c.Unsubscribe(ctx, &apipb.UnsubscribeRequest{Channel: "ch", User: "u", Client: "c", Session: "s"})
			},
			want:  &apipb.UnsubscribeResponse{Result: &apipb.UnsubscribeResult{}},
			calls: []apitest.Call{{Method: "Unsubscribe", Args: []any{"ch", "u", "c", "s"}}},
		},
		{
			name: "disconnect", observed: "disconnect",
			call: func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error) {
				return c.Disconnect(ctx, &apipb.DisconnectRequest{User: "u", Disconnect: &apipb.Disconnect{Code: 4000, Reason: "bye"},
					Client: "c", Whitelist: []string{"w"}, Session: "s"})
			},
			want:  &apipb.DisconnectResponse{Result: &apipb.DisconnectResult{}},
			calls: []apitest.Call{{Method: "Disconnect", Args: []any{"u", gyre.Disconnect{Code: 4000, Reason: "bye"}, "c", "s", []string{"w"}}}},
		},
		{
			name: "disconnect default code", observed: "disconnect",
			call: func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error) {
				return c.Disconnect(ctx, &apipb.DisconnectRequest{User: "u"})
			},
			want:  &apipb.DisconnectResponse{Result: &apipb.DisconnectResult{}},
			calls: []apitest.Call{{Method: "Disconnect", Args: []any{"u", gyre.DisconnectForceNoReconnect, "", "", []string(nil)}}},
		},
		{
			name: "presence", observed: "presence",
			call: func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error) {
				return c.Presence(ctx, &apipb.PresenceRequest{Channel: "ch"})
			},
			want: &apipb.PresenceResponse{Result: &apipb.PresenceResult{Presence: map[string]*apipb.ClientInfo{
				"c1": {User: "u1", Client: "c1", ConnInfo: []byte(`{"name":"a"}`)},
				"c2": {Client: "c2", ChanInfo: []byte{0xff}},
			}}},
			calls: []apitest.Call{{Method: "Presence", Args: []any{"ch"}}},
		},
		{
			name: "presence_stats", observed: "presence_stats",
			call: func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error) {
				return c.PresenceStats(ctx, &apipb.PresenceStatsRequest{Channel: "ch"})
			},
			want:  &apipb.PresenceStatsResponse{Result: &apipb.PresenceStatsResult{NumClients: 2, NumUsers: 1}},
			calls: []apitest.Call{{Method: "PresenceStats", Args: []any{"ch"}}},
		},
		{
			name: "history", observed: "history",
			call: func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error) {
				return c.History(ctx, &apipb.HistoryRequest{Channel: "ch", Limit: -1, Since: &apipb.StreamPosition{Offset: 1, Epoch: "ep"}, Reverse: true})
			},
			want: &apipb.HistoryResponse{Result: &apipb.HistoryResult{Publications: []*apipb.Publication{
				{Offset: 1, Data: []byte(`{"text":"<hi>"}`), Tags: map[string]string{"k": "v"},
					Info: &apipb.ClientInfo{User: "u1", Client: "c1", ChanInfo: []byte(`[1]`)}},
				{Offset: 2, Data: []byte{0xde, 0xad}},
			}, Epoch: "ep", Offset: 2}},
			calls: []apitest.Call{{Method: "History", Args: []any{"ch",
				gyre.HistoryFilter{Limit: -1, Since: &gyre.StreamPosition{Offset: 1, Epoch: "ep"}, Reverse: true}}}},
		},
		{
			name: "history top only", observed: "history",
			call: func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error) {
				return c.History(ctx, &apipb.HistoryRequest{Channel: "ch"})
			},
			want: &apipb.HistoryResponse{Result: &apipb.HistoryResult{Epoch: "ep", Offset: 2}},
		},
		{
			name: "history_remove", observed: "history_remove",
			call: func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error) {
				return c.HistoryRemove(ctx, &apipb.HistoryRemoveRequest{Channel: "ch"})
			},
			want:  &apipb.HistoryRemoveResponse{Result: &apipb.HistoryRemoveResult{}},
			calls: []apitest.Call{{Method: "RemoveHistory", Args: []any{"ch"}}},
		},
		{
			name: "info", observed: "info",
			call: func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error) {
				return c.Info(ctx, &apipb.InfoRequest{})
			},
			want: &apipb.InfoResponse{Result: &apipb.InfoResult{Nodes: []*apipb.NodeResult{
				{Uid: "u-1", Name: "node1", Version: "0.1.0", NumClients: 4, NumUsers: 3, NumChannels: 2, Uptime: 60, NumSubs: 5},
				{Uid: "u-2"},
			}}},
			calls: []apitest.Call{{Method: "Info"}},
		},
		{
			name: "rpc without extensions", observed: "rpc",
			call: func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error) {
				return c.RPC(ctx, &apipb.RPCRequest{Method: "m", Params: []byte(`{}`)})
			},
			want:  &apipb.RPCResponse{Error: &apipb.Error{Code: 104, Message: "not found"}},
			calls: []apitest.Call{},
		},
		{
			name: "refresh", observed: "refresh",
			call: func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error) {
				return c.Refresh(ctx, &apipb.RefreshRequest{User: "u", Client: "c", Expired: true, ExpireAt: 100, Info: []byte(`{"i":1}`), Session: "s"})
			},
			want:  &apipb.RefreshResponse{Result: &apipb.RefreshResult{}},
			calls: []apitest.Call{{Method: "Refresh", Args: []any{"u", "c", "s", true, int64(100), []byte(`{"i":1}`)}}},
		},
		{
			name: "channels", observed: "channels",
			call: func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error) {
				return c.Channels(ctx, &apipb.ChannelsRequest{Pattern: "chat:*"})
			},
			want: &apipb.ChannelsResponse{Result: &apipb.ChannelsResult{Channels: map[string]*apipb.ChannelInfo{
				"chat:1": {NumClients: 1}, "chat:2": {NumClients: 2},
			}}},
			calls: []apitest.Call{{Method: "Channels"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, grpcapi.Config{Key: testKey}, nil)
			got, err := tt.call(keyed(t), e.client)
			if err != nil {
				t.Fatalf("call failed: %v", err)
			}
			diffProto(t, tt.want, got)
			if tt.calls != nil {
				if d := cmp.Diff(tt.calls, e.backend.Calls(), cmpopts.EquateEmpty()); d != "" {
					t.Errorf("backend calls (-want +got):\n%s", d)
				}
			}
			if o := <-e.observed; o.method != tt.observed {
				t.Errorf("observed %q, want %q", o.method, tt.observed)
			}
		})
	}
}

// TestRPCHandler checks that the rpc method reaches a plugged-in handler
// with params and returns its data as given.
func TestRPCHandler(t *testing.T) {
	e := newEnv(t, grpcapi.Config{}, nil)
	e.svc.SetRPCHandler(func(_ context.Context, method string, params []byte) ([]byte, error) {
		if method == "echo" {
			return append([]byte(nil), params...), nil
		}
		return nil, &api.Error{Code: 104, Message: "not found"}
	})
	got, err := e.client.RPC(keyed(t), &apipb.RPCRequest{Method: "echo", Params: []byte{1, 2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	diffProto(t, &apipb.RPCResponse{Result: &apipb.RPCResult{Data: []byte{1, 2, 3}}}, got)
}

// TestAuth checks the API key interceptor.
func TestAuth(t *testing.T) {
	tests := []struct {
		name string
		key  string
		md   []string
		want codes.Code
	}{
		{"no key configured, no metadata", "", nil, codes.OK},
		{"no key configured, any metadata", "", []string{"authorization", "apikey whatever"}, codes.OK},
		{"missing", testKey, nil, codes.Unauthenticated},
		{"wrong key", testKey, []string{"authorization", "apikey nope"}, codes.Unauthenticated},
		{"key without scheme", testKey, []string{"authorization", testKey}, codes.Unauthenticated},
		{"scheme case differs", testKey, []string{"authorization", "APIKEY " + testKey}, codes.Unauthenticated},
		{"extra space", testKey, []string{"authorization", "apikey  " + testKey}, codes.Unauthenticated},
		{"bearer", testKey, []string{"authorization", "Bearer " + testKey}, codes.Unauthenticated},
		{"x-api-key is not accepted", testKey, []string{"x-api-key", testKey}, codes.Unauthenticated},
		{"correct", testKey, []string{"authorization", "apikey " + testKey}, codes.OK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, grpcapi.Config{Key: tt.key}, nil)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.md != nil {
				ctx = metadata.AppendToOutgoingContext(ctx, tt.md...)
			}
			_, err := e.client.PresenceStats(ctx, &apipb.PresenceStatsRequest{Channel: "ch"})
			if got := status.Code(err); got != tt.want {
				t.Fatalf("code %v, want %v (err %v)", got, tt.want, err)
			}
			if tt.want != codes.OK && len(e.backend.Calls()) != 0 {
				t.Errorf("backend called despite refusal: %v", e.backend.Calls())
			}
		})
	}
}

// TestInBandErrors checks that API errors come back in the response's
// error field with a nil gRPC error by default.
func TestInBandErrors(t *testing.T) {
	tests := []struct {
		name string
		call call
		want proto.Message
	}{
		{"empty channel", func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error) {
			return c.Publish(ctx, &apipb.PublishRequest{})
		}, &apipb.PublishResponse{Error: &apipb.Error{Code: 107, Message: "bad request"}}},
		{"bad b64data", func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error) {
			return c.Publish(ctx, &apipb.PublishRequest{Channel: "a", B64Data: "!!"})
		}, &apipb.PublishResponse{Error: &apipb.Error{Code: 107, Message: "bad request"}}},
		{"unknown namespace", func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error) {
			return c.Publish(ctx, &apipb.PublishRequest{Channel: "unknown:x"})
		}, &apipb.PublishResponse{Error: &apipb.Error{Code: 102, Message: "unknown channel"}}},
		{"not available", func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error) {
			return c.Presence(ctx, &apipb.PresenceRequest{Channel: "off"})
		}, &apipb.PresenceResponse{Error: &apipb.Error{Code: 108, Message: "not available"}}},
		{"unrecoverable", func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error) {
			return c.History(ctx, &apipb.HistoryRequest{Channel: "lost", Limit: 1})
		}, &apipb.HistoryResponse{Error: &apipb.Error{Code: 112, Message: "unrecoverable position"}}},
		{"internal", func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error) {
			return c.Subscribe(ctx, &apipb.SubscribeRequest{Channel: "broken"})
		}, &apipb.SubscribeResponse{Error: &apipb.Error{Code: 100, Message: "internal server error"}}},
		{"conflict", func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error) {
			return c.HistoryRemove(ctx, &apipb.HistoryRemoveRequest{Channel: "conflict"})
		}, &apipb.HistoryRemoveResponse{Error: &apipb.Error{Code: 113, Message: "conflict"}}},
		{"custom code", func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error) {
			return c.Refresh(ctx, &apipb.RefreshRequest{User: "weird"})
		}, &apipb.RefreshResponse{Error: &apipb.Error{Code: 1000, Message: "custom"}}},
		{"bad glob", func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error) {
			return c.Channels(ctx, &apipb.ChannelsRequest{Pattern: "[a"})
		}, &apipb.ChannelsResponse{Error: &apipb.Error{Code: 107, Message: "bad request"}}},
		{"broadcast without channels", func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error) {
			return c.Broadcast(ctx, &apipb.BroadcastRequest{})
		}, &apipb.BroadcastResponse{Error: &apipb.Error{Code: 107, Message: "bad request"}}},
		{"rpc without method", func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error) {
			return c.RPC(ctx, &apipb.RPCRequest{})
		}, &apipb.RPCResponse{Error: &apipb.Error{Code: 107, Message: "bad request"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, grpcapi.Config{}, nil)
			got, err := tt.call(keyed(t), e.client)
			if err != nil {
				t.Fatalf("gRPC error %v, want in-band error", err)
			}
			diffProto(t, tt.want, got)
			code := tt.want.(interface{ GetError() *apipb.Error }).GetError().GetCode()
			if o := <-e.observed; o.code != code {
				t.Errorf("observed code %d, want %d", o.code, code)
			}
		})
	}
}

// TestTransportErrorMode checks the gRPC status codes and the Error detail
// of transport error mode, switched on by config or by metadata.
func TestTransportErrorMode(t *testing.T) {
	tests := []struct {
		channel string
		code    uint32
		message string
		grpc    codes.Code
	}{
		{"broken", 100, "internal server error", codes.Internal},
		{"unknown:x", 102, "unknown channel", codes.NotFound},
		{"", 107, "bad request", codes.InvalidArgument},
		{"off", 108, "not available", codes.InvalidArgument},
		{"lost", 112, "unrecoverable position", codes.OutOfRange},
		{"conflict", 113, "conflict", codes.AlreadyExists},
		{"weird", 1000, "custom", codes.Internal},
	}
	modes := []struct {
		name string
		cfg  grpcapi.Config
		md   []string
	}{
		{"config", grpcapi.Config{ErrorModeTransport: true}, nil},
		{"metadata", grpcapi.Config{}, []string{"x-centrifugo-error-mode", "transport"}},
		{"metadata any case", grpcapi.Config{}, []string{"x-centrifugo-error-mode", "Transport"}},
	}
	for _, m := range modes {
		for _, tt := range tests {
			t.Run(m.name+"/"+tt.message, func(t *testing.T) {
				e := newEnv(t, m.cfg, nil)
				res, err := e.client.History(keyed(t, m.md...), &apipb.HistoryRequest{Channel: tt.channel, Limit: 1})
				if res != nil {
					t.Errorf("response %v, want none", res)
				}
				st, ok := status.FromError(err)
				if !ok || st.Code() != tt.grpc || st.Message() != tt.message {
					t.Fatalf("status %v, want %v %q", err, tt.grpc, tt.message)
				}
				details := st.Details()
				if len(details) != 1 {
					t.Fatalf("details %v, want one apipb.Error", details)
				}
				d, ok := details[0].(*apipb.Error)
				if !ok {
					t.Fatalf("detail %T, want *apipb.Error", details[0])
				}
				diffProto(t, &apipb.Error{Code: tt.code, Message: tt.message}, d)
				if o := <-e.observed; o != (observation{"history", tt.code}) {
					t.Errorf("observed %v", o)
				}
			})
		}
	}
	t.Run("success is unchanged", func(t *testing.T) {
		e := newEnv(t, grpcapi.Config{ErrorModeTransport: true}, nil)
		got, err := e.client.Publish(keyed(t), &apipb.PublishRequest{Channel: "hist"})
		if err != nil {
			t.Fatal(err)
		}
		diffProto(t, &apipb.PublishResponse{Result: &apipb.PublishResult{Offset: 12, Epoch: "ADaXhGsh"}}, got)
	})
	t.Run("other metadata value keeps in-band errors", func(t *testing.T) {
		e := newEnv(t, grpcapi.Config{}, nil)
		got, err := e.client.Publish(keyed(t, "x-centrifugo-error-mode", "body"), &apipb.PublishRequest{})
		if err != nil {
			t.Fatal(err)
		}
		diffProto(t, &apipb.PublishResponse{Error: &apipb.Error{Code: 107, Message: "bad request"}}, got)
	})
	t.Run("batch stays in-band", func(t *testing.T) {
		e := newEnv(t, grpcapi.Config{ErrorModeTransport: true}, nil)
		got, err := e.client.Batch(keyed(t), &apipb.BatchRequest{Commands: []*apipb.Command{{Publish: &apipb.PublishRequest{}}}})
		if err != nil {
			t.Fatal(err)
		}
		diffProto(t, &apipb.BatchResponse{Replies: []*apipb.Reply{{Error: &apipb.Error{Code: 107, Message: "bad request"}}}}, got)
	})
}

// TestBatch runs a batch with every kind of command, sequentially and in
// parallel.
func TestBatch(t *testing.T) {
	req := &apipb.BatchRequest{Commands: []*apipb.Command{
		{Publish: &apipb.PublishRequest{Channel: "hist", Data: []byte(`{}`)}},
		{PresenceStats: &apipb.PresenceStatsRequest{Channel: "off"}},
		{Broadcast: &apipb.BroadcastRequest{Channels: []string{"hist"}}},
		{Subscribe: &apipb.SubscribeRequest{Channel: "ch", User: "u"}},
		{Unsubscribe: &apipb.UnsubscribeRequest{Channel: "ch"}},
		{Disconnect: &apipb.DisconnectRequest{User: "u"}},
		{Presence: &apipb.PresenceRequest{Channel: "off"}},
		{History: &apipb.HistoryRequest{Channel: "ch"}},
		{HistoryRemove: &apipb.HistoryRemoveRequest{Channel: "ch"}},
		{Info: &apipb.InfoRequest{}},
		{Rpc: &apipb.RPCRequest{Method: "x"}},
		{Refresh: &apipb.RefreshRequest{User: "u"}},
		{Channels: &apipb.ChannelsRequest{Pattern: "news"}},
		{Connections: &apipb.ConnectionsRequest{}}, // PRO: not found
		{}, // no method: not found
	}}
	want := &apipb.BatchResponse{Replies: []*apipb.Reply{
		{Publish: &apipb.PublishResult{Offset: 12, Epoch: "ADaXhGsh"}},
		{Error: &apipb.Error{Code: 108, Message: "not available"}},
		{Broadcast: &apipb.BroadcastResult{Responses: []*apipb.PublishResponse{{Result: &apipb.PublishResult{Offset: 12, Epoch: "ADaXhGsh"}}}}},
		{Subscribe: &apipb.SubscribeResult{}},
		{Unsubscribe: &apipb.UnsubscribeResult{}},
		{Disconnect: &apipb.DisconnectResult{}},
		{Error: &apipb.Error{Code: 108, Message: "not available"}},
		{History: &apipb.HistoryResult{Epoch: "ep", Offset: 2}},
		{HistoryRemove: &apipb.HistoryRemoveResult{}},
		{Info: &apipb.InfoResult{Nodes: []*apipb.NodeResult{
			{Uid: "u-1", Name: "node1", Version: "0.1.0", NumClients: 4, NumUsers: 3, NumChannels: 2, Uptime: 60, NumSubs: 5},
			{Uid: "u-2"},
		}}},
		{Error: &apipb.Error{Code: 104, Message: "not found"}},
		{Refresh: &apipb.RefreshResult{}},
		{Channels: &apipb.ChannelsResult{Channels: map[string]*apipb.ChannelInfo{"news": {NumClients: 3}}}},
		{Error: &apipb.Error{Code: 104, Message: "not found"}},
		{Error: &apipb.Error{Code: 104, Message: "not found"}},
	}}
	for _, parallel := range []bool{false, true} {
		e := newEnv(t, grpcapi.Config{Key: testKey}, nil)
		req.Parallel = parallel
		got, err := e.client.Batch(keyed(t), req)
		if err != nil {
			t.Fatal(err)
		}
		diffProto(t, want, got)
		if o := <-e.observed; o != (observation{"batch", 0}) {
			t.Errorf("observed %v", o)
		}
	}
	t.Run("empty", func(t *testing.T) {
		e := newEnv(t, grpcapi.Config{}, nil)
		got, err := e.client.Batch(keyed(t), &apipb.BatchRequest{})
		if err != nil {
			t.Fatal(err)
		}
		diffProto(t, &apipb.BatchResponse{}, got)
	})
}

// TestPROMethodsUnimplemented checks that PRO methods answer Unimplemented
// (after the key check) and are not observed.
func TestPROMethodsUnimplemented(t *testing.T) {
	e := newEnv(t, grpcapi.Config{Key: testKey}, nil)
	calls := map[string]call{
		"Connections": func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error) {
			return c.Connections(ctx, &apipb.ConnectionsRequest{})
		},
		"BlockUser": func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error) {
			return c.BlockUser(ctx, &apipb.BlockUserRequest{})
		},
		"SendPushNotification": func(ctx context.Context, c apipb.CentrifugoApiClient) (proto.Message, error) {
			return c.SendPushNotification(ctx, &apipb.SendPushNotificationRequest{})
		},
	}
	for name, c := range calls {
		if _, err := c(keyed(t), e.client); status.Code(err) != codes.Unimplemented {
			t.Errorf("%s: %v, want Unimplemented", name, err)
		}
		if _, err := c(context.Background(), e.client); status.Code(err) != codes.Unauthenticated {
			t.Errorf("%s without key: %v, want Unauthenticated", name, err)
		}
	}
	select {
	case o := <-e.observed:
		t.Errorf("PRO call observed: %v", o)
	default:
	}
}

// TestPanic checks that a panic while serving becomes codes.Internal and
// that the server keeps serving.
func TestPanic(t *testing.T) {
	e := newEnv(t, grpcapi.Config{}, nil)
	for _, parallel := range []bool{false, true} {
		_, err := e.client.Batch(keyed(t), &apipb.BatchRequest{Parallel: parallel, Commands: []*apipb.Command{
			{Publish: &apipb.PublishRequest{Channel: "a"}},
			{Subscribe: &apipb.SubscribeRequest{Channel: "panic"}},
		}})
		if status.Code(err) != codes.Internal {
			t.Fatalf("parallel=%v: %v, want Internal", parallel, err)
		}
		if o := <-e.observed; o != (observation{"batch", 100}) {
			t.Errorf("observed %v", o)
		}
	}
	if _, err := e.client.Presence(keyed(t), &apipb.PresenceRequest{Channel: "panic"}); status.Code(err) != codes.Internal {
		t.Fatalf("%v, want Internal", err)
	}
	got, err := e.client.PresenceStats(keyed(t), &apipb.PresenceStatsRequest{Channel: "ch"})
	if err != nil {
		t.Fatal(err)
	}
	diffProto(t, &apipb.PresenceStatsResponse{Result: &apipb.PresenceStatsResult{NumClients: 2, NumUsers: 1}}, got)
}
