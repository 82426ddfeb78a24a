package grpcapi

import (
	"context"

	"github.com/gyrehq/gyre/api"
	"github.com/gyrehq/gyre/bridge/apipb"
)

// The served methods, listed once: name (as in the HTTP API), request
// converter, api.Service method, result converter.
var (
	batchEP         = bind("batch", batchReq, (*api.Service).Batch, batchRes)
	publishEP       = bind("publish", publishReq, (*api.Service).Publish, publishRes)
	broadcastEP     = bind("broadcast", broadcastReq, (*api.Service).Broadcast, broadcastRes)
	subscribeEP     = bind("subscribe", subscribeReq, (*api.Service).Subscribe, empty[api.SubscribeResult, apipb.SubscribeResult])
	unsubscribeEP   = bind("unsubscribe", unsubscribeReq, (*api.Service).Unsubscribe, empty[api.UnsubscribeResult, apipb.UnsubscribeResult])
	disconnectEP    = bind("disconnect", disconnectReq, (*api.Service).Disconnect, empty[api.DisconnectResult, apipb.DisconnectResult])
	presenceEP      = bind("presence", presenceReq, (*api.Service).Presence, presenceRes)
	presenceStatsEP = bind("presence_stats", presenceStatsReq, (*api.Service).PresenceStats, presenceStatsRes)
	historyEP       = bind("history", historyReq, (*api.Service).History, historyRes)
	historyRemoveEP = bind("history_remove", historyRemoveReq, (*api.Service).HistoryRemove, empty[api.HistoryRemoveResult, apipb.HistoryRemoveResult])
	infoEP          = bind("info", infoReq, (*api.Service).Info, infoRes)
	rpcEP           = bind("rpc", rpcReq, (*api.Service).RPC, rpcRes)
	refreshEP       = bind("refresh", refreshReq, (*api.Service).Refresh, empty[api.RefreshResult, apipb.RefreshResult])
	channelsEP      = bind("channels", channelsReq, (*api.Service).Channels, channelsRes)
)

// Batch implements apipb.CentrifugoApiServer. Batch has no error of its
// own: per-command errors are in the replies, in every error mode.
func (s *Server) Batch(ctx context.Context, req *apipb.BatchRequest) (*apipb.BatchResponse, error) {
	res, _, err := serve(ctx, s, batchEP, req)
	if err != nil {
		return nil, err
	}
	return &apipb.BatchResponse{Replies: res.GetReplies()}, nil
}

// Publish implements apipb.CentrifugoApiServer.
func (s *Server) Publish(ctx context.Context, req *apipb.PublishRequest) (*apipb.PublishResponse, error) {
	res, e, err := serve(ctx, s, publishEP, req)
	return &apipb.PublishResponse{Error: e, Result: res}, err
}

// Broadcast implements apipb.CentrifugoApiServer.
func (s *Server) Broadcast(ctx context.Context, req *apipb.BroadcastRequest) (*apipb.BroadcastResponse, error) {
	res, e, err := serve(ctx, s, broadcastEP, req)
	return &apipb.BroadcastResponse{Error: e, Result: res}, err
}

// Subscribe implements apipb.CentrifugoApiServer.
func (s *Server) Subscribe(ctx context.Context, req *apipb.SubscribeRequest) (*apipb.SubscribeResponse, error) {
	res, e, err := serve(ctx, s, subscribeEP, req)
	return &apipb.SubscribeResponse{Error: e, Result: res}, err
}

// Unsubscribe implements apipb.CentrifugoApiServer.
func (s *Server) Unsubscribe(ctx context.Context, req *apipb.UnsubscribeRequest) (*apipb.UnsubscribeResponse, error) {
	res, e, err := serve(ctx, s, unsubscribeEP, req)
	return &apipb.UnsubscribeResponse{Error: e, Result: res}, err
}

// Disconnect implements apipb.CentrifugoApiServer.
func (s *Server) Disconnect(ctx context.Context, req *apipb.DisconnectRequest) (*apipb.DisconnectResponse, error) {
	res, e, err := serve(ctx, s, disconnectEP, req)
	return &apipb.DisconnectResponse{Error: e, Result: res}, err
}

// Presence implements apipb.CentrifugoApiServer.
func (s *Server) Presence(ctx context.Context, req *apipb.PresenceRequest) (*apipb.PresenceResponse, error) {
	res, e, err := serve(ctx, s, presenceEP, req)
	return &apipb.PresenceResponse{Error: e, Result: res}, err
}

// PresenceStats implements apipb.CentrifugoApiServer.
func (s *Server) PresenceStats(ctx context.Context, req *apipb.PresenceStatsRequest) (*apipb.PresenceStatsResponse, error) {
	res, e, err := serve(ctx, s, presenceStatsEP, req)
	return &apipb.PresenceStatsResponse{Error: e, Result: res}, err
}

// History implements apipb.CentrifugoApiServer.
func (s *Server) History(ctx context.Context, req *apipb.HistoryRequest) (*apipb.HistoryResponse, error) {
	res, e, err := serve(ctx, s, historyEP, req)
	return &apipb.HistoryResponse{Error: e, Result: res}, err
}

// HistoryRemove implements apipb.CentrifugoApiServer.
func (s *Server) HistoryRemove(ctx context.Context, req *apipb.HistoryRemoveRequest) (*apipb.HistoryRemoveResponse, error) {
	res, e, err := serve(ctx, s, historyRemoveEP, req)
	return &apipb.HistoryRemoveResponse{Error: e, Result: res}, err
}

// Info implements apipb.CentrifugoApiServer.
func (s *Server) Info(ctx context.Context, req *apipb.InfoRequest) (*apipb.InfoResponse, error) {
	res, e, err := serve(ctx, s, infoEP, req)
	return &apipb.InfoResponse{Error: e, Result: res}, err
}

// RPC implements apipb.CentrifugoApiServer.
func (s *Server) RPC(ctx context.Context, req *apipb.RPCRequest) (*apipb.RPCResponse, error) {
	res, e, err := serve(ctx, s, rpcEP, req)
	return &apipb.RPCResponse{Error: e, Result: res}, err
}

// Refresh implements apipb.CentrifugoApiServer.
func (s *Server) Refresh(ctx context.Context, req *apipb.RefreshRequest) (*apipb.RefreshResponse, error) {
	res, e, err := serve(ctx, s, refreshEP, req)
	return &apipb.RefreshResponse{Error: e, Result: res}, err
}

// Channels implements apipb.CentrifugoApiServer.
func (s *Server) Channels(ctx context.Context, req *apipb.ChannelsRequest) (*apipb.ChannelsResponse, error) {
	res, e, err := serve(ctx, s, channelsEP, req)
	return &apipb.ChannelsResponse{Error: e, Result: res}, err
}
