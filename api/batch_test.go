package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/api"
	"github.com/gyrehq/gyre/api/internal/apitest"
)

func TestBatch(t *testing.T) {
	for _, parallel := range []bool{false, true} {
		b := &apitest.Backend{
			PublishFunc: func(ch string, _ []byte, _ api.PublishOptions) (gyre.StreamPosition, error) {
				if ch == "hist" {
					return gyre.StreamPosition{Offset: 1, Epoch: "e"}, nil
				}
				return gyre.StreamPosition{}, nil
			},
			PresenceStatsFunc: func(string) (gyre.PresenceStats, error) {
				return gyre.PresenceStats{}, gyre.ErrNotAvailable
			},
		}
		req := &api.BatchRequest{Parallel: parallel, Commands: []*api.Command{
			{Publish: &api.PublishRequest{Channel: "hist", Data: json.RawMessage(`{}`)}},
			{PresenceStats: &api.PresenceStatsRequest{Channel: "a"}},
			nil,
			{},
			{Publish: &api.PublishRequest{}},
			{Broadcast: &api.BroadcastRequest{Channels: []string{"x"}}},
			{Subscribe: &api.SubscribeRequest{Channel: "x"}},
			{Unsubscribe: &api.UnsubscribeRequest{}},
			{Disconnect: &api.DisconnectRequest{}},
			{History: &api.HistoryRequest{Channel: "x"}},
			{HistoryRemove: &api.HistoryRemoveRequest{Channel: "x"}},
			{Presence: &api.PresenceRequest{Channel: "x"}},
			{Info: &api.InfoRequest{}},
			{RPC: &api.RPCRequest{Method: "m"}},
			{Refresh: &api.RefreshRequest{}},
			{Channels: &api.ChannelsRequest{}},
			// Several methods: the first in field order runs.
			{Publish: &api.PublishRequest{Channel: "y"}, Info: &api.InfoRequest{}},
		}}
		res, e := api.New(b, nil).Batch(ctx, req)
		if e != nil {
			t.Fatal(e)
		}
		want := &api.BatchResult{Replies: []*api.Reply{
			{Publish: &api.PublishResult{Offset: 1, Epoch: "e"}},
			{Error: &api.ErrNotAvailable},
			{Error: &api.ErrBadRequest},
			{Error: &api.ErrNotFound},
			{Error: &api.ErrBadRequest},
			{Broadcast: &api.BroadcastResult{Responses: []*api.PublishResponse{{Result: &api.PublishResult{}}}}},
			{Subscribe: &api.SubscribeResult{}},
			{Unsubscribe: &api.UnsubscribeResult{}},
			{Disconnect: &api.DisconnectResult{}},
			{History: &api.HistoryResult{Publications: []*api.Publication{}}},
			{HistoryRemove: &api.HistoryRemoveResult{}},
			{Presence: &api.PresenceResult{Presence: map[string]*api.ClientInfo{}}},
			{Info: &api.InfoResult{Nodes: []*api.NodeResult{}}},
			{Error: &api.ErrNotFound},
			{Refresh: &api.RefreshResult{}},
			{Channels: &api.ChannelsResult{Channels: map[string]*api.ChannelInfo{}}},
			{Publish: &api.PublishResult{}},
		}}
		if diff := cmp.Diff(want, res); diff != "" {
			t.Errorf("parallel=%v (-want +got):\n%s", parallel, diff)
		}
		if !parallel {
			var methods []string
			for _, c := range b.Calls() {
				methods = append(methods, c.Method)
			}
			wantOrder := []string{"Publish", "PresenceStats", "Publish", "Subscribe", "Unsubscribe", "Disconnect",
				"History", "RemoveHistory", "Presence", "Info", "Refresh", "Channels", "Publish"}
			if diff := cmp.Diff(wantOrder, methods); diff != "" {
				t.Errorf("sequential order (-want +got):\n%s", diff)
			}
		}
	}
}

func TestBatchEmpty(t *testing.T) {
	res, e := api.New(&apitest.Backend{}, nil).Batch(ctx, &api.BatchRequest{Parallel: true})
	if e != nil || len(res.Replies) != 0 {
		t.Fatalf("got %v, %v", res, e)
	}
}

// TestBatchParallelBound checks that a parallel batch runs commands
// concurrently but never more than 1024 at a time.
func TestBatchParallelBound(t *testing.T) {
	const n, limit = 1100, 1024
	var inFlight, peak atomic.Int64
	release := make(chan struct{})
	full := make(chan struct{}) // closed when the limit is first reached
	var fullOnce sync.Once
	b := &apitest.Backend{PresenceStatsFunc: func(string) (gyre.PresenceStats, error) {
		cur := inFlight.Add(1)
		if cur == limit {
			fullOnce.Do(func() { close(full) })
		}
		for {
			p := peak.Load()
			if cur <= p || peak.CompareAndSwap(p, cur) {
				break
			}
		}
		<-release
		inFlight.Add(-1)
		return gyre.PresenceStats{NumClients: 1}, nil
	}}
	req := &api.BatchRequest{Parallel: true}
	for range n {
		req.Commands = append(req.Commands, &api.Command{PresenceStats: &api.PresenceStatsRequest{Channel: "a"}})
	}
	done := make(chan *api.BatchResult)
	go func() {
		res, _ := api.New(b, nil).Batch(ctx, req)
		done <- res
	}()
	select {
	case <-full:
	case <-time.After(10 * time.Second):
		t.Fatalf("only %d commands in flight, want %d", inFlight.Load(), limit)
	}
	// The thing under test is that no command beyond the limit starts while
	// the first 1024 block: give the other 76 goroutines time to try.
	<-time.After(20 * time.Millisecond)
	if got := peak.Load(); got != limit {
		t.Errorf("peak in flight = %d, want %d", got, limit)
	}
	close(release)
	res := <-done
	for i, r := range res.Replies {
		if r.PresenceStats == nil || r.PresenceStats.NumClients != 1 {
			t.Fatalf("reply %d = %+v", i, r)
		}
	}
}

func TestParallelPanicReachesCaller(t *testing.T) {
	b := &apitest.Backend{InfoFunc: func() ([]api.NodeInfo, error) { panic("kaboom") }}
	s := api.New(b, nil)
	defer func() {
		if v := recover(); v != "kaboom" {
			t.Errorf("recovered %v, want kaboom", v)
		}
	}()
	_, _ = s.Batch(ctx, &api.BatchRequest{Parallel: true, Commands: []*api.Command{
		{Info: &api.InfoRequest{}}, {Info: &api.InfoRequest{}},
	}})
	t.Error("no panic")
}

func TestConcurrentUse(t *testing.T) {
	b := &apitest.Backend{PublishFunc: func(string, []byte, api.PublishOptions) (gyre.StreamPosition, error) {
		return gyre.StreamPosition{}, errors.New("boom")
	}}
	s := api.New(b, nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			s.SetRPCHandler(func(_ context.Context, _ string, p []byte) ([]byte, error) { return p, nil })
			_, _ = s.Broadcast(ctx, &api.BroadcastRequest{Channels: []string{"a", "b", "c"}})
			_, _ = s.RPC(ctx, &api.RPCRequest{Method: "x"})
		})
	}
	wg.Wait()
}
