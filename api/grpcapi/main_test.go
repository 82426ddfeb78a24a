package grpcapi_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/api"
	"github.com/gyrehq/gyre/api/grpcapi"
	"github.com/gyrehq/gyre/api/internal/apitest"
	"github.com/gyrehq/gyre/bridge/apipb"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const testKey = "s3cret"

// newBackend returns a fake backend whose answers depend on the channel (or
// user): "hist" has history, "unknown:x" is an unknown namespace, "off" has
// presence and history off, "lost" has an unrecoverable position, "broken"
// fails unexpectedly, "conflict" gives 113, "weird" an unusual code and
// "panic" panics.
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
		case "panic":
			panic("backend panic")
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

// observation is one Config.Observe call.
type observation struct {
	method string
	code   uint32
}

// env is a running gRPC server with the API service and a client to it.
type env struct {
	client  apipb.CentrifugoApiClient
	backend *apitest.Backend
	svc     *api.Service
	// observed receives every Observe call (buffered; tests read what they
	// expect).
	observed chan observation
}

// newEnv starts a gRPC server on 127.0.0.1:0 serving a Server over b (a
// fresh newBackend when nil) with cfg (Observe is set by newEnv), and
// connects a client. Everything is stopped when the test ends.
func newEnv(t *testing.T, cfg grpcapi.Config, b *apitest.Backend) *env {
	t.Helper()
	if b == nil {
		b = newBackend()
	}
	e := &env{backend: b, svc: api.New(b, nil), observed: make(chan observation, 64)}
	cfg.Observe = func(method string, code uint32, d time.Duration) {
		if d < 0 {
			t.Errorf("negative duration observed for %s", method)
		}
		select {
		case e.observed <- observation{method, code}:
		default:
		}
	}
	srv := grpcapi.NewServer(e.svc, cfg)
	gs := grpc.NewServer(grpc.UnaryInterceptor(srv.UnaryInterceptor()))
	grpcapi.Register(gs, srv)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = gs.Serve(lis)
	}()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		gs.Stop()
		<-served
	})
	e.client = apipb.NewCentrifugoApiClient(conn)
	return e
}

// keyed returns a context carrying the test API key (and extra metadata
// key/value pairs).
func keyed(t *testing.T, kv ...string) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return metadata.AppendToOutgoingContext(ctx, append([]string{"authorization", "apikey " + testKey}, kv...)...)
}
