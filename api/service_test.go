package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/api"
	"github.com/gyrehq/gyre/api/internal/apitest"
)

var ctx = context.Background()

func ptr[T any](v T) *T { return &v }

// call runs one Service method on a generic request value.
func call(s *api.Service, req any) (any, *api.Error) {
	switch r := req.(type) {
	case *api.PublishRequest:
		return s.Publish(ctx, r)
	case *api.BroadcastRequest:
		return s.Broadcast(ctx, r)
	case *api.SubscribeRequest:
		return s.Subscribe(ctx, r)
	case *api.UnsubscribeRequest:
		return s.Unsubscribe(ctx, r)
	case *api.DisconnectRequest:
		return s.Disconnect(ctx, r)
	case *api.RefreshRequest:
		return s.Refresh(ctx, r)
	case *api.PresenceRequest:
		return s.Presence(ctx, r)
	case *api.PresenceStatsRequest:
		return s.PresenceStats(ctx, r)
	case *api.HistoryRequest:
		return s.History(ctx, r)
	case *api.HistoryRemoveRequest:
		return s.HistoryRemove(ctx, r)
	case *api.ChannelsRequest:
		return s.Channels(ctx, r)
	case *api.InfoRequest:
		return s.Info(ctx, r)
	case *api.RPCRequest:
		return s.RPC(ctx, r)
	case *api.BatchRequest:
		return s.Batch(ctx, r)
	}
	panic(fmt.Sprintf("unknown request %T", req))
}

func TestValidation(t *testing.T) {
	tests := []struct {
		name string
		req  any
		code uint32
	}{
		{"publish empty channel", &api.PublishRequest{Data: json.RawMessage(`{}`)}, 107},
		{"publish bad b64", &api.PublishRequest{Channel: "a", B64Data: "!!"}, 107},
		{"broadcast no channels", &api.BroadcastRequest{Data: json.RawMessage(`{}`)}, 107},
		{"broadcast bad b64", &api.BroadcastRequest{Channels: []string{"a"}, B64Data: "%"}, 107},
		{"subscribe empty channel", &api.SubscribeRequest{User: "u"}, 107},
		{"subscribe bad b64info", &api.SubscribeRequest{Channel: "a", B64Info: "*"}, 107},
		{"subscribe bad b64data", &api.SubscribeRequest{Channel: "a", B64Data: "*"}, 107},
		{"presence empty channel", &api.PresenceRequest{}, 107},
		{"presence_stats empty channel", &api.PresenceStatsRequest{}, 107},
		{"history empty channel", &api.HistoryRequest{Limit: -1}, 107},
		{"history_remove empty channel", &api.HistoryRemoveRequest{}, 107},
		{"channels bad pattern", &api.ChannelsRequest{Pattern: "[a"}, 107},
		{"rpc empty method", &api.RPCRequest{}, 107},
		{"rpc without handler", &api.RPCRequest{Method: "x"}, 104},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &apitest.Backend{}
			res, e := call(api.New(b, nil), tt.req)
			if e == nil || e.Code != tt.code {
				t.Fatalf("error = %v, want code %d", e, tt.code)
			}
			if !isNilPtr(res) {
				t.Errorf("result = %#v, want nil", res)
			}
			if c := b.Calls(); len(c) != 0 {
				t.Errorf("backend called: %v", c)
			}
		})
	}
}

func isNilPtr(v any) bool {
	s := fmt.Sprintf("%v", v)
	return v == nil || s == "<nil>"
}

func TestBackendArguments(t *testing.T) {
	rs := &gyre.StreamPosition{Offset: 5, Epoch: "e"}
	tests := []struct {
		name string
		req  any
		want apitest.Call
	}{
		{"publish raw", &api.PublishRequest{Channel: "a", Data: json.RawMessage(`{"x":1}`), SkipHistory: true,
			Tags: map[string]string{"k": "v"}, IdempotencyKey: "ik", Delta: true},
			apitest.Call{Method: "Publish", Args: []any{"a", []byte(`{"x":1}`), api.PublishOptions{SkipHistory: true,
				Tags: map[string]string{"k": "v"}, IdempotencyKey: "ik", Delta: true}}}},
		{"publish b64 wins", &api.PublishRequest{Channel: "a", Data: json.RawMessage(`{}`), B64Data: "AAE="},
			apitest.Call{Method: "Publish", Args: []any{"a", []byte{0, 1}, api.PublishOptions{}}}},
		{"subscribe", &api.SubscribeRequest{Channel: "c", User: "u", Client: "cl", Session: "s", ExpireAt: 9,
			Info: json.RawMessage(`{"i":1}`), B64Data: "AQ==", RecoverSince: &api.StreamPosition{Offset: 5, Epoch: "e"},
			Override: &api.SubscribeOptionOverride{Presence: &api.BoolValue{Value: true}, ForceRecovery: &api.BoolValue{}}},
			apitest.Call{Method: "Subscribe", Args: []any{"c", api.SubscribeOptions{User: "u", Client: "cl", Session: "s", ExpireAt: 9,
				Info: []byte(`{"i":1}`), Data: []byte{1}, RecoverSince: rs,
				Override: &gyre.SubscribeOverride{Presence: ptr(true), ForceRecovery: ptr(false)}}}}},
		{"subscribe b64info", &api.SubscribeRequest{Channel: "c", Info: json.RawMessage(`1`), B64Info: "Ag=="},
			apitest.Call{Method: "Subscribe", Args: []any{"c", api.SubscribeOptions{Info: []byte{2}}}}},
		{"unsubscribe without channel", &api.UnsubscribeRequest{User: "u", Client: "c", Session: "s"},
			apitest.Call{Method: "Unsubscribe", Args: []any{"", "u", "c", "s"}}},
		{"disconnect default", &api.DisconnectRequest{User: "u"},
			apitest.Call{Method: "Disconnect", Args: []any{"u", gyre.Disconnect{Code: 3503, Reason: "force disconnect"}, "", "", []string(nil)}}},
		{"disconnect code 0 is default", &api.DisconnectRequest{User: "u", Disconnect: &api.Disconnect{Reason: "x"}},
			apitest.Call{Method: "Disconnect", Args: []any{"u", gyre.DisconnectForceNoReconnect, "", "", []string(nil)}}},
		{"disconnect custom", &api.DisconnectRequest{User: "u", Disconnect: &api.Disconnect{Code: 4000, Reason: "bye"},
			Client: "c", Session: "s", Whitelist: []string{"w"}},
			apitest.Call{Method: "Disconnect", Args: []any{"u", gyre.Disconnect{Code: 4000, Reason: "bye"}, "c", "s", []string{"w"}}}},
		{"refresh", &api.RefreshRequest{User: "u", Client: "c", Session: "s", Expired: true, ExpireAt: 7, Info: json.RawMessage(`"i"`)},
			apitest.Call{Method: "Refresh", Args: []any{"u", "c", "s", true, int64(7), []byte(`"i"`)}}},
		{"presence", &api.PresenceRequest{Channel: "c"}, apitest.Call{Method: "Presence", Args: []any{"c"}}},
		{"presence_stats", &api.PresenceStatsRequest{Channel: "c"}, apitest.Call{Method: "PresenceStats", Args: []any{"c"}}},
		{"history default limit", &api.HistoryRequest{Channel: "c"},
			apitest.Call{Method: "History", Args: []any{"c", gyre.HistoryFilter{}}}},
		{"history all since reverse", &api.HistoryRequest{Channel: "c", Limit: -1, Since: &api.StreamPosition{Offset: 5, Epoch: "e"}, Reverse: true},
			apitest.Call{Method: "History", Args: []any{"c", gyre.HistoryFilter{Since: rs, Limit: -1, Reverse: true}}}},
		{"history negative limit means all", &api.HistoryRequest{Channel: "c", Limit: -7},
			apitest.Call{Method: "History", Args: []any{"c", gyre.HistoryFilter{Limit: -1}}}},
		{"history limit", &api.HistoryRequest{Channel: "c", Limit: 3},
			apitest.Call{Method: "History", Args: []any{"c", gyre.HistoryFilter{Limit: 3}}}},
		{"history_remove", &api.HistoryRemoveRequest{Channel: "c"}, apitest.Call{Method: "RemoveHistory", Args: []any{"c"}}},
		{"channels", &api.ChannelsRequest{Pattern: "a*"}, apitest.Call{Method: "Channels", Args: nil}},
		{"info", &api.InfoRequest{}, apitest.Call{Method: "Info", Args: nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &apitest.Backend{}
			if _, e := call(api.New(b, nil), tt.req); e != nil {
				t.Fatalf("error %v", e)
			}
			if diff := cmp.Diff([]apitest.Call{tt.want}, b.Calls()); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}

// failing returns a backend whose every method fails with err.
func failing(err error) *apitest.Backend {
	return &apitest.Backend{
		PublishFunc: func(string, []byte, api.PublishOptions) (gyre.StreamPosition, error) {
			return gyre.StreamPosition{}, err
		},
		SubscribeFunc:   func(string, api.SubscribeOptions) error { return err },
		UnsubscribeFunc: func(string, string, string, string) error { return err },
		DisconnectFunc:  func(string, gyre.Disconnect, string, string, []string) error { return err },
		RefreshFunc:     func(string, string, string, bool, int64, []byte) error { return err },
		PresenceFunc:    func(string) (map[string]*gyre.ClientInfo, error) { return nil, err },
		PresenceStatsFunc: func(string) (gyre.PresenceStats, error) {
			return gyre.PresenceStats{}, err
		},
		HistoryFunc: func(string, gyre.HistoryFilter) ([]*gyre.Publication, gyre.StreamPosition, error) {
			return nil, gyre.StreamPosition{}, err
		},
		RemoveHistoryFunc: func(string) error { return err },
		ChannelsFunc:      func() (map[string]int, error) { return nil, err },
		InfoFunc:          func() ([]api.NodeInfo, error) { return nil, err },
	}
}

// validRequests has one valid request per method that reaches the backend.
var validRequests = []any{
	&api.PublishRequest{Channel: "a", Data: json.RawMessage(`{"secret":"payload"}`)},
	&api.SubscribeRequest{Channel: "a", Data: json.RawMessage(`{"secret":"payload"}`)},
	&api.UnsubscribeRequest{Channel: "a"},
	&api.DisconnectRequest{User: "u"},
	&api.RefreshRequest{User: "u", Info: json.RawMessage(`{"secret":"payload"}`)},
	&api.PresenceRequest{Channel: "a"},
	&api.PresenceStatsRequest{Channel: "a"},
	&api.HistoryRequest{Channel: "a"},
	&api.HistoryRemoveRequest{Channel: "a"},
	&api.ChannelsRequest{},
	&api.InfoRequest{},
}

func TestBackendErrors(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		want   api.Error
		logged bool
	}{
		{"unknown channel", gyre.ErrUnknownChannel, api.Error{Code: 102, Message: "unknown channel"}, false},
		{"bad request", gyre.ErrBadRequest, api.Error{Code: 107, Message: "bad request"}, false},
		{"not available", gyre.ErrNotAvailable, api.Error{Code: 108, Message: "not available"}, false},
		{"unrecoverable", gyre.ErrUnrecoverablePosition, api.Error{Code: 112, Message: "unrecoverable position"}, false},
		{"wrapped", fmt.Errorf("ctx: %w", gyre.Error{Code: 113, Message: "conflict"}), api.Error{Code: 113, Message: "conflict"}, false},
		{"api error", &api.Error{Code: 108, Message: "off"}, api.Error{Code: 108, Message: "off"}, false},
		{"plain error", errors.New("boom"), api.Error{Code: 100, Message: "internal server error"}, true},
		{"disconnect is internal", gyre.DisconnectShutdown, api.Error{Code: 100, Message: "internal server error"}, true},
		{"canceled is internal", context.Canceled, api.Error{Code: 100, Message: "internal server error"}, true},
	}
	for _, tt := range tests {
		for _, req := range validRequests {
			t.Run(fmt.Sprintf("%s/%T", tt.name, req), func(t *testing.T) {
				var logs bytes.Buffer
				s := api.New(failing(tt.err), slog.New(slog.NewTextHandler(&logs, nil)))
				_, e := call(s, req)
				if e == nil || *e != tt.want {
					t.Fatalf("error = %v, want %v", e, tt.want)
				}
				if got := logs.Len() > 0; got != tt.logged {
					t.Errorf("logged = %v, want %v: %s", got, tt.logged, logs.String())
				}
				if strings.Contains(logs.String(), "secret") {
					t.Errorf("request body logged: %s", logs.String())
				}
				if tt.logged && !strings.Contains(logs.String(), "boom") && tt.err.Error() == "boom" {
					t.Errorf("cause not logged: %s", logs.String())
				}
			})
		}
	}
}

func TestErrorValuesAreCopies(t *testing.T) {
	s := api.New(&apitest.Backend{}, nil)
	_, e := s.Publish(ctx, &api.PublishRequest{})
	e.Message = "changed"
	if api.ErrBadRequest.Message != "bad request" {
		t.Fatal("shared error value modified")
	}
	if e.Error() != "api error 107: changed" {
		t.Errorf("Error() = %q", e.Error())
	}
}

func TestBroadcast(t *testing.T) {
	b := &apitest.Backend{PublishFunc: func(ch string, _ []byte, _ api.PublishOptions) (gyre.StreamPosition, error) {
		switch ch {
		case "unknown:x":
			return gyre.StreamPosition{}, gyre.ErrUnknownChannel
		case "broken":
			return gyre.StreamPosition{}, errors.New("boom")
		case "hist":
			return gyre.StreamPosition{Offset: 3, Epoch: "ep"}, nil
		}
		return gyre.StreamPosition{}, nil
	}}
	res, e := api.New(b, nil).Broadcast(ctx, &api.BroadcastRequest{
		Channels: []string{"plain", "", "unknown:x", "broken", "hist"},
		B64Data:  "AA==", Tags: map[string]string{"t": "1"},
	})
	if e != nil {
		t.Fatal(e)
	}
	want := &api.BroadcastResult{Responses: []*api.PublishResponse{
		{Result: &api.PublishResult{}},
		{Error: &api.ErrBadRequest},
		{Error: &api.ErrUnknownChannel},
		{Error: &api.ErrInternal},
		{Result: &api.PublishResult{Offset: 3, Epoch: "ep"}},
	}}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	if n := len(b.Calls()); n != 4 {
		t.Errorf("backend calls = %d, want 4", n)
	}
	for _, c := range b.Calls() {
		if diff := cmp.Diff([]any{[]byte{0}, api.PublishOptions{Tags: map[string]string{"t": "1"}}}, c.Args[1:]); diff != "" {
			t.Errorf("args (-want +got):\n%s", diff)
		}
	}
}

func TestResults(t *testing.T) {
	b := &apitest.Backend{
		PublishFunc: func(string, []byte, api.PublishOptions) (gyre.StreamPosition, error) {
			return gyre.StreamPosition{Offset: 12, Epoch: "E"}, nil
		},
		PresenceFunc: func(string) (map[string]*gyre.ClientInfo, error) {
			return map[string]*gyre.ClientInfo{
				"c1": {ClientID: "c1", UserID: "u1", ConnInfo: []byte(`{"a":1}`), ChanInfo: []byte(`[1]`)},
				"c2": nil,
			}, nil
		},
		PresenceStatsFunc: func(string) (gyre.PresenceStats, error) {
			return gyre.PresenceStats{NumClients: 3, NumUsers: -1}, nil
		},
		HistoryFunc: func(string, gyre.HistoryFilter) ([]*gyre.Publication, gyre.StreamPosition, error) {
			return []*gyre.Publication{
				{Offset: 1, Data: []byte(`{"n":1}`), Tags: map[string]string{"k": "v"}, Info: &gyre.ClientInfo{ClientID: "c", UserID: "u"}, Time: 99},
				nil,
				{Offset: 2, Data: []byte{0xff}},
			}, gyre.StreamPosition{Offset: 2, Epoch: "ep"}, nil
		},
		ChannelsFunc: func() (map[string]int, error) {
			return map[string]int{"news": 2, "chat:1": 1, "chat:2": 5, "empty": 0}, nil
		},
		InfoFunc: func() ([]api.NodeInfo, error) {
			return []api.NodeInfo{{UID: "id", Name: "n", Version: "v", NumClients: 1, NumUsers: 2, NumChannels: 3, NumSubs: 4, Uptime: 1 << 40}}, nil
		},
	}
	s := api.New(b, nil)
	tests := []struct {
		name string
		req  any
		want any
	}{
		{"publish", &api.PublishRequest{Channel: "a"}, &api.PublishResult{Offset: 12, Epoch: "E"}},
		{"presence", &api.PresenceRequest{Channel: "a"}, &api.PresenceResult{Presence: map[string]*api.ClientInfo{
			"c1": {User: "u1", Client: "c1", ConnInfo: json.RawMessage(`{"a":1}`), ChanInfo: json.RawMessage(`[1]`)}}}},
		{"presence_stats clamps", &api.PresenceStatsRequest{Channel: "a"}, &api.PresenceStatsResult{NumClients: 3}},
		{"history", &api.HistoryRequest{Channel: "a", Limit: -1}, &api.HistoryResult{Publications: []*api.Publication{
			{Offset: 1, Data: json.RawMessage(`{"n":1}`), Tags: map[string]string{"k": "v"}, Info: &api.ClientInfo{User: "u", Client: "c"}},
			{Offset: 2, Data: json.RawMessage{0xff}},
		}, Epoch: "ep", Offset: 2}},
		{"channels all", &api.ChannelsRequest{}, &api.ChannelsResult{Channels: map[string]*api.ChannelInfo{
			"news": {NumClients: 2}, "chat:1": {NumClients: 1}, "chat:2": {NumClients: 5}}}},
		{"channels glob", &api.ChannelsRequest{Pattern: "chat:*"}, &api.ChannelsResult{Channels: map[string]*api.ChannelInfo{
			"chat:1": {NumClients: 1}, "chat:2": {NumClients: 5}}}},
		{"channels none", &api.ChannelsRequest{Pattern: "x"}, &api.ChannelsResult{Channels: map[string]*api.ChannelInfo{}}},
		{"info", &api.InfoRequest{}, &api.InfoResult{Nodes: []*api.NodeResult{{UID: "id", Name: "n", Version: "v",
			NumClients: 1, NumUsers: 2, NumChannels: 3, NumSubs: 4, Uptime: 1<<32 - 1}}}},
		{"empty results", &api.UnsubscribeRequest{}, &api.UnsubscribeResult{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, e := call(s, tt.req)
			if e != nil {
				t.Fatal(e)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRPCHandler(t *testing.T) {
	s := api.New(&apitest.Backend{}, nil)
	s.SetRPCHandler(func(_ context.Context, method string, params []byte) ([]byte, error) {
		switch method {
		case "echo":
			return params, nil
		case "gone":
			return nil, gyre.ErrNotAvailable
		}
		return nil, &api.ErrNotFound
	})
	res, e := s.RPC(ctx, &api.RPCRequest{Method: "echo", Params: json.RawMessage(`{"p":1}`)})
	if e != nil || string(res.Data) != `{"p":1}` {
		t.Fatalf("echo = %v, %v", res, e)
	}
	if _, e := s.RPC(ctx, &api.RPCRequest{Method: "gone"}); e == nil || e.Code != 108 {
		t.Errorf("gone: %v", e)
	}
	if _, e := s.RPC(ctx, &api.RPCRequest{Method: "nope"}); e == nil || e.Code != 104 {
		t.Errorf("nope: %v", e)
	}
	if _, e := s.RPC(ctx, &api.RPCRequest{}); e == nil || e.Code != 107 {
		t.Errorf("empty: %v", e)
	}
	s.SetRPCHandler(nil)
	if _, e := s.RPC(ctx, &api.RPCRequest{Method: "echo"}); e == nil || e.Code != 104 {
		t.Errorf("after removal: %v", e)
	}
}
