package main

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/gyrehq/gyre/bridge/apiclient"
	"github.com/gyrehq/gyre/bridge/apipb"
	"github.com/gyrehq/gyre/node"
)

// serverAPI is how the application talks back to Gyre (publish to personal
// channels, presence counts). Embedded: the in-process node, no network.
// Split: the gRPC server API (grpc_api_address), like the seed's
// RoadRunner plugin.
type serverAPI struct {
	node   atomic.Pointer[node.Node] // embedded mode, set once the server is built
	client *apiclient.Client         // split mode
}

var errNoServer = errors.New("server API not ready")

func (s *serverAPI) Publish(ctx context.Context, channel string, data []byte) error {
	if n := s.node.Load(); n != nil {
		_, err := n.Publish(ctx, node.PublishRequest{Channel: channel, Data: data})
		return err
	}
	if s.client != nil {
		_, err := s.client.Publish(ctx, &apipb.PublishRequest{Channel: channel, Data: data})
		return err
	}
	return errNoServer
}

// OnlineUsers is the number of distinct users subscribed to channel.
func (s *serverAPI) OnlineUsers(ctx context.Context, channel string) (int, error) {
	if n := s.node.Load(); n != nil {
		st, err := n.PresenceStats(ctx, channel)
		return st.NumUsers, err
	}
	if s.client != nil {
		res, err := s.client.PresenceStats(ctx, &apipb.PresenceStatsRequest{Channel: channel})
		if err != nil {
			return 0, err
		}
		return int(res.GetNumUsers()), nil
	}
	return 0, errNoServer
}
