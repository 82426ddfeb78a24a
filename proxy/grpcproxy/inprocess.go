package grpcproxy

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/gyrehq/gyre/bridge/proxypb"
)

// NewInProcess returns a Proxy that calls srv directly, in the same
// process, with no network hop: the embedded mode of the application
// bridge. Requests are built exactly as for a remote backend; the headers
// and metadata the config allows arrive as incoming gRPC metadata, and the
// call's deadline is the handler's context deadline. Endpoint is ignored.
func NewInProcess(cfg Config, srv proxypb.CentrifugoProxyServer) *Proxy {
	cfg.Endpoint = "in-process:1"
	p, _ := New(cfg) // the placeholder endpoint always parses
	p.client = serverClient{srv: srv}
	return p
}

// serverClient adapts a proxy server to the client interface.
type serverClient struct {
	srv proxypb.CentrifugoProxyServer
}

// incoming turns the outgoing metadata of a client call into the incoming
// metadata a server handler reads.
func incoming(ctx context.Context) context.Context {
	md, _ := metadata.FromOutgoingContext(ctx)
	return metadata.NewIncomingContext(ctx, md)
}

func (c serverClient) Connect(ctx context.Context, in *proxypb.ConnectRequest, _ ...grpc.CallOption) (*proxypb.ConnectResponse, error) {
	return c.srv.Connect(incoming(ctx), in)
}

func (c serverClient) Refresh(ctx context.Context, in *proxypb.RefreshRequest, _ ...grpc.CallOption) (*proxypb.RefreshResponse, error) {
	return c.srv.Refresh(incoming(ctx), in)
}

func (c serverClient) Subscribe(ctx context.Context, in *proxypb.SubscribeRequest, _ ...grpc.CallOption) (*proxypb.SubscribeResponse, error) {
	return c.srv.Subscribe(incoming(ctx), in)
}

func (c serverClient) Publish(ctx context.Context, in *proxypb.PublishRequest, _ ...grpc.CallOption) (*proxypb.PublishResponse, error) {
	return c.srv.Publish(incoming(ctx), in)
}

func (c serverClient) RPC(ctx context.Context, in *proxypb.RPCRequest, _ ...grpc.CallOption) (*proxypb.RPCResponse, error) {
	return c.srv.RPC(incoming(ctx), in)
}

func (c serverClient) SubRefresh(ctx context.Context, in *proxypb.SubRefreshRequest, _ ...grpc.CallOption) (*proxypb.SubRefreshResponse, error) {
	return c.srv.SubRefresh(incoming(ctx), in)
}

func (c serverClient) SubscribeUnidirectional(context.Context, *proxypb.SubscribeRequest, ...grpc.CallOption) (grpc.ServerStreamingClient[proxypb.StreamSubscribeResponse], error) {
	return nil, status.Error(codes.Unimplemented, "stream proxies are not available in process")
}

func (c serverClient) SubscribeBidirectional(context.Context, ...grpc.CallOption) (grpc.BidiStreamingClient[proxypb.StreamSubscribeRequest, proxypb.StreamSubscribeResponse], error) {
	return nil, status.Error(codes.Unimplemented, "stream proxies are not available in process")
}

func (c serverClient) NotifyCacheEmpty(ctx context.Context, in *proxypb.NotifyCacheEmptyRequest, _ ...grpc.CallOption) (*proxypb.NotifyCacheEmptyResponse, error) {
	return c.srv.NotifyCacheEmpty(incoming(ctx), in)
}

func (c serverClient) NotifyChannelState(ctx context.Context, in *proxypb.NotifyChannelStateRequest, _ ...grpc.CallOption) (*proxypb.NotifyChannelStateResponse, error) {
	return c.srv.NotifyChannelState(incoming(ctx), in)
}
