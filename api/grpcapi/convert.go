package grpcapi

import (
	"encoding/json"

	"github.com/gyrehq/gyre/api"
	"github.com/gyrehq/gyre/bridge/apipb"
)

// Converters between apipb messages and api types. Every converter maps nil
// to nil, so that unset batch command and reply fields stay unset. Bytes
// fields are shared, not copied: the api.Service does not modify its
// request payloads, and a response is marshaled before anyone could change
// the result.
//
// Fields of the protobuf messages the api types do not have are dropped:
// PublishRequest/BroadcastRequest version and version_epoch (not supported
// by Gyre), NodeResult metrics and process (never set), and everything of
// the PRO methods (a batch command with only a PRO field set becomes a
// command without method: 104 not found).

// ---------------------------------------------------------------- requests

func batchReq(r *apipb.BatchRequest) *api.BatchRequest {
	if r == nil {
		return nil
	}
	cmds := make([]*api.Command, len(r.GetCommands()))
	for i, c := range r.GetCommands() {
		cmds[i] = command(c)
	}
	return &api.BatchRequest{Commands: cmds, Parallel: r.GetParallel()}
}

// command converts one batch command. A nil command stays nil (107 bad
// request), as in JSON.
func command(c *apipb.Command) *api.Command {
	if c == nil {
		return nil
	}
	return &api.Command{
		Publish:       publishReq(c.GetPublish()),
		Broadcast:     broadcastReq(c.GetBroadcast()),
		Subscribe:     subscribeReq(c.GetSubscribe()),
		Unsubscribe:   unsubscribeReq(c.GetUnsubscribe()),
		Disconnect:    disconnectReq(c.GetDisconnect()),
		History:       historyReq(c.GetHistory()),
		HistoryRemove: historyRemoveReq(c.GetHistoryRemove()),
		Presence:      presenceReq(c.GetPresence()),
		PresenceStats: presenceStatsReq(c.GetPresenceStats()),
		Info:          infoReq(c.GetInfo()),
		RPC:           rpcReq(c.GetRpc()),
		Refresh:       refreshReq(c.GetRefresh()),
		Channels:      channelsReq(c.GetChannels()),
	}
}

func publishReq(r *apipb.PublishRequest) *api.PublishRequest {
	if r == nil {
		return nil
	}
	return &api.PublishRequest{
		Channel:        r.GetChannel(),
		Data:           json.RawMessage(r.GetData()),
		B64Data:        r.GetB64Data(),
		SkipHistory:    r.GetSkipHistory(),
		Tags:           r.GetTags(),
		IdempotencyKey: r.GetIdempotencyKey(),
		Delta:          r.GetDelta(),
	}
}

func broadcastReq(r *apipb.BroadcastRequest) *api.BroadcastRequest {
	if r == nil {
		return nil
	}
	return &api.BroadcastRequest{
		Channels:       r.GetChannels(),
		Data:           json.RawMessage(r.GetData()),
		B64Data:        r.GetB64Data(),
		SkipHistory:    r.GetSkipHistory(),
		Tags:           r.GetTags(),
		IdempotencyKey: r.GetIdempotencyKey(),
		Delta:          r.GetDelta(),
	}
}

func subscribeReq(r *apipb.SubscribeRequest) *api.SubscribeRequest {
	if r == nil {
		return nil
	}
	return &api.SubscribeRequest{
		Channel:      r.GetChannel(),
		User:         r.GetUser(),
		ExpireAt:     r.GetExpireAt(),
		Info:         json.RawMessage(r.GetInfo()),
		B64Info:      r.GetB64Info(),
		Client:       r.GetClient(),
		Data:         json.RawMessage(r.GetData()),
		B64Data:      r.GetB64Data(),
		RecoverSince: position(r.GetRecoverSince()),
		Override:     override(r.GetOverride()),
		Session:      r.GetSession(),
	}
}

func position(p *apipb.StreamPosition) *api.StreamPosition {
	if p == nil {
		return nil
	}
	return &api.StreamPosition{Offset: p.GetOffset(), Epoch: p.GetEpoch()}
}

func override(o *apipb.SubscribeOptionOverride) *api.SubscribeOptionOverride {
	if o == nil {
		return nil
	}
	return &api.SubscribeOptionOverride{
		Presence:           boolValue(o.GetPresence()),
		JoinLeave:          boolValue(o.GetJoinLeave()),
		ForceRecovery:      boolValue(o.GetForceRecovery()),
		ForcePositioning:   boolValue(o.GetForcePositioning()),
		ForcePushJoinLeave: boolValue(o.GetForcePushJoinLeave()),
	}
}

func boolValue(v *apipb.BoolValue) *api.BoolValue {
	if v == nil {
		return nil
	}
	return &api.BoolValue{Value: v.GetValue()}
}

func unsubscribeReq(r *apipb.UnsubscribeRequest) *api.UnsubscribeRequest {
	if r == nil {
		return nil
	}
	return &api.UnsubscribeRequest{Channel: r.GetChannel(), User: r.GetUser(), Client: r.GetClient(), Session: r.GetSession()}
}

func disconnectReq(r *apipb.DisconnectRequest) *api.DisconnectRequest {
	if r == nil {
		return nil
	}
	req := &api.DisconnectRequest{
		User:      r.GetUser(),
		Client:    r.GetClient(),
		Whitelist: r.GetWhitelist(),
		Session:   r.GetSession(),
	}
	if d := r.GetDisconnect(); d != nil {
		req.Disconnect = &api.Disconnect{Code: d.GetCode(), Reason: d.GetReason()}
	}
	return req
}

func presenceReq(r *apipb.PresenceRequest) *api.PresenceRequest {
	if r == nil {
		return nil
	}
	return &api.PresenceRequest{Channel: r.GetChannel()}
}

func presenceStatsReq(r *apipb.PresenceStatsRequest) *api.PresenceStatsRequest {
	if r == nil {
		return nil
	}
	return &api.PresenceStatsRequest{Channel: r.GetChannel()}
}

func historyReq(r *apipb.HistoryRequest) *api.HistoryRequest {
	if r == nil {
		return nil
	}
	return &api.HistoryRequest{Channel: r.GetChannel(), Limit: r.GetLimit(), Since: position(r.GetSince()), Reverse: r.GetReverse()}
}

func historyRemoveReq(r *apipb.HistoryRemoveRequest) *api.HistoryRemoveRequest {
	if r == nil {
		return nil
	}
	return &api.HistoryRemoveRequest{Channel: r.GetChannel()}
}

func infoReq(r *apipb.InfoRequest) *api.InfoRequest {
	if r == nil {
		return nil
	}
	return &api.InfoRequest{}
}

func rpcReq(r *apipb.RPCRequest) *api.RPCRequest {
	if r == nil {
		return nil
	}
	return &api.RPCRequest{Method: r.GetMethod(), Params: json.RawMessage(r.GetParams())}
}

func refreshReq(r *apipb.RefreshRequest) *api.RefreshRequest {
	if r == nil {
		return nil
	}
	return &api.RefreshRequest{
		User:     r.GetUser(),
		Client:   r.GetClient(),
		Expired:  r.GetExpired(),
		ExpireAt: r.GetExpireAt(),
		Info:     json.RawMessage(r.GetInfo()),
		Session:  r.GetSession(),
	}
}

func channelsReq(r *apipb.ChannelsRequest) *api.ChannelsRequest {
	if r == nil {
		return nil
	}
	return &api.ChannelsRequest{Pattern: r.GetPattern()}
}

// ----------------------------------------------------------------- results

// apiError converts an API error.
func apiError(e *api.Error) *apipb.Error {
	if e == nil {
		return nil
	}
	return &apipb.Error{Code: e.Code, Message: e.Message}
}

// empty converts an empty result: set stays set (an empty message on the
// wire), nil stays nil.
func empty[A, P any](r *A) *P {
	if r == nil {
		return nil
	}
	return new(P)
}

func batchRes(r *api.BatchResult) *apipb.BatchResponse {
	if r == nil {
		return nil
	}
	replies := make([]*apipb.Reply, len(r.Replies))
	for i, rep := range r.Replies {
		replies[i] = reply(rep)
	}
	return &apipb.BatchResponse{Replies: replies}
}

// reply converts one batch reply. Protobuf cannot carry a nil element of a
// repeated field, so a nil reply (never produced by the Service) becomes an
// empty one.
func reply(r *api.Reply) *apipb.Reply {
	if r == nil {
		return &apipb.Reply{}
	}
	return &apipb.Reply{
		Error:         apiError(r.Error),
		Publish:       publishRes(r.Publish),
		Broadcast:     broadcastRes(r.Broadcast),
		Subscribe:     empty[api.SubscribeResult, apipb.SubscribeResult](r.Subscribe),
		Unsubscribe:   empty[api.UnsubscribeResult, apipb.UnsubscribeResult](r.Unsubscribe),
		Disconnect:    empty[api.DisconnectResult, apipb.DisconnectResult](r.Disconnect),
		Presence:      presenceRes(r.Presence),
		PresenceStats: presenceStatsRes(r.PresenceStats),
		History:       historyRes(r.History),
		HistoryRemove: empty[api.HistoryRemoveResult, apipb.HistoryRemoveResult](r.HistoryRemove),
		Info:          infoRes(r.Info),
		Rpc:           rpcRes(r.RPC),
		Refresh:       empty[api.RefreshResult, apipb.RefreshResult](r.Refresh),
		Channels:      channelsRes(r.Channels),
	}
}

func publishRes(r *api.PublishResult) *apipb.PublishResult {
	if r == nil {
		return nil
	}
	return &apipb.PublishResult{Offset: r.Offset, Epoch: r.Epoch}
}

func broadcastRes(r *api.BroadcastResult) *apipb.BroadcastResult {
	if r == nil {
		return nil
	}
	out := make([]*apipb.PublishResponse, len(r.Responses))
	for i, pr := range r.Responses {
		out[i] = &apipb.PublishResponse{}
		if pr != nil {
			out[i].Error, out[i].Result = apiError(pr.Error), publishRes(pr.Result)
		}
	}
	return &apipb.BroadcastResult{Responses: out}
}

func clientInfoRes(ci *api.ClientInfo) *apipb.ClientInfo {
	if ci == nil {
		return nil
	}
	return &apipb.ClientInfo{User: ci.User, Client: ci.Client, ConnInfo: ci.ConnInfo, ChanInfo: ci.ChanInfo}
}

func presenceRes(r *api.PresenceResult) *apipb.PresenceResult {
	if r == nil {
		return nil
	}
	out := make(map[string]*apipb.ClientInfo, len(r.Presence))
	for id, ci := range r.Presence {
		if ci != nil {
			out[id] = clientInfoRes(ci)
		}
	}
	return &apipb.PresenceResult{Presence: out}
}

func presenceStatsRes(r *api.PresenceStatsResult) *apipb.PresenceStatsResult {
	if r == nil {
		return nil
	}
	return &apipb.PresenceStatsResult{NumClients: r.NumClients, NumUsers: r.NumUsers}
}

func historyRes(r *api.HistoryResult) *apipb.HistoryResult {
	if r == nil {
		return nil
	}
	pubs := make([]*apipb.Publication, 0, len(r.Publications))
	for _, p := range r.Publications {
		if p == nil {
			continue
		}
		pubs = append(pubs, &apipb.Publication{Data: p.Data, Info: clientInfoRes(p.Info), Offset: p.Offset, Tags: p.Tags})
	}
	return &apipb.HistoryResult{Publications: pubs, Epoch: r.Epoch, Offset: r.Offset}
}

func infoRes(r *api.InfoResult) *apipb.InfoResult {
	if r == nil {
		return nil
	}
	nodes := make([]*apipb.NodeResult, 0, len(r.Nodes))
	for _, n := range r.Nodes {
		if n == nil {
			continue
		}
		nodes = append(nodes, &apipb.NodeResult{
			Uid:         n.UID,
			Name:        n.Name,
			Version:     n.Version,
			NumClients:  n.NumClients,
			NumUsers:    n.NumUsers,
			NumChannels: n.NumChannels,
			Uptime:      n.Uptime,
			NumSubs:     n.NumSubs,
		})
	}
	return &apipb.InfoResult{Nodes: nodes}
}

func rpcRes(r *api.RPCResult) *apipb.RPCResult {
	if r == nil {
		return nil
	}
	return &apipb.RPCResult{Data: r.Data}
}

func channelsRes(r *api.ChannelsResult) *apipb.ChannelsResult {
	if r == nil {
		return nil
	}
	out := make(map[string]*apipb.ChannelInfo, len(r.Channels))
	for ch, ci := range r.Channels {
		if ci != nil {
			out[ch] = &apipb.ChannelInfo{NumClients: ci.NumClients}
		}
	}
	return &apipb.ChannelsResult{Channels: out}
}
