package api

import "context"

// Command is one element of a batch: exactly one method field should be
// set. When several are set the first in field order runs; when none is
// (an unknown method name) the reply is 104 not found.
type Command struct {
	Publish       *PublishRequest       `json:"publish,omitempty"`
	Broadcast     *BroadcastRequest     `json:"broadcast,omitempty"`
	Subscribe     *SubscribeRequest     `json:"subscribe,omitempty"`
	Unsubscribe   *UnsubscribeRequest   `json:"unsubscribe,omitempty"`
	Disconnect    *DisconnectRequest    `json:"disconnect,omitempty"`
	History       *HistoryRequest       `json:"history,omitempty"`
	HistoryRemove *HistoryRemoveRequest `json:"history_remove,omitempty"`
	Presence      *PresenceRequest      `json:"presence,omitempty"`
	PresenceStats *PresenceStatsRequest `json:"presence_stats,omitempty"`
	Info          *InfoRequest          `json:"info,omitempty"`
	RPC           *RPCRequest           `json:"rpc,omitempty"`
	Refresh       *RefreshRequest       `json:"refresh,omitempty"`
	Channels      *ChannelsRequest      `json:"channels,omitempty"`
}

// Reply is the answer to one batch Command: Error, or the result field of
// the command's method.
type Reply struct {
	Error         *Error               `json:"error,omitempty"`
	Publish       *PublishResult       `json:"publish,omitempty"`
	Broadcast     *BroadcastResult     `json:"broadcast,omitempty"`
	Subscribe     *SubscribeResult     `json:"subscribe,omitempty"`
	Unsubscribe   *UnsubscribeResult   `json:"unsubscribe,omitempty"`
	Disconnect    *DisconnectResult    `json:"disconnect,omitempty"`
	History       *HistoryResult       `json:"history,omitempty"`
	HistoryRemove *HistoryRemoveResult `json:"history_remove,omitempty"`
	Presence      *PresenceResult      `json:"presence,omitempty"`
	PresenceStats *PresenceStatsResult `json:"presence_stats,omitempty"`
	Info          *InfoResult          `json:"info,omitempty"`
	RPC           *RPCResult           `json:"rpc,omitempty"`
	Refresh       *RefreshResult       `json:"refresh,omitempty"`
	Channels      *ChannelsResult      `json:"channels,omitempty"`
}

// BatchRequest is the batch method's request. Commands run one after the
// other, or concurrently (at most 1024 in flight) when Parallel is set.
type BatchRequest struct {
	Commands []*Command `json:"commands,omitempty"`
	Parallel bool       `json:"parallel,omitempty"`
}

// BatchResult is the batch method's result: one reply per command, in
// command order. Over HTTP it is written as is, without a result envelope.
type BatchResult struct {
	Replies []*Reply `json:"replies,omitempty"`
}

// Batch runs many commands. A nil command gets 107 bad request, a command
// without a known method gets 104 not found. Batch itself never fails; the
// *Error result is always nil and exists for uniformity with the other
// methods.
func (s *Service) Batch(ctx context.Context, req *BatchRequest) (*BatchResult, *Error) {
	replies := make([]*Reply, len(req.Commands))
	forEach(len(req.Commands), req.Parallel, func(i int) {
		replies[i] = s.run(ctx, req.Commands[i])
	})
	return &BatchResult{Replies: replies}, nil
}

// run executes one batch command.
func (s *Service) run(ctx context.Context, c *Command) *Reply {
	r := &Reply{}
	switch {
	case c == nil:
		r.Error = newError(ErrBadRequest)
	case c.Publish != nil:
		r.Publish, r.Error = s.Publish(ctx, c.Publish)
	case c.Broadcast != nil:
		r.Broadcast, r.Error = s.Broadcast(ctx, c.Broadcast)
	case c.Subscribe != nil:
		r.Subscribe, r.Error = s.Subscribe(ctx, c.Subscribe)
	case c.Unsubscribe != nil:
		r.Unsubscribe, r.Error = s.Unsubscribe(ctx, c.Unsubscribe)
	case c.Disconnect != nil:
		r.Disconnect, r.Error = s.Disconnect(ctx, c.Disconnect)
	case c.History != nil:
		r.History, r.Error = s.History(ctx, c.History)
	case c.HistoryRemove != nil:
		r.HistoryRemove, r.Error = s.HistoryRemove(ctx, c.HistoryRemove)
	case c.Presence != nil:
		r.Presence, r.Error = s.Presence(ctx, c.Presence)
	case c.PresenceStats != nil:
		r.PresenceStats, r.Error = s.PresenceStats(ctx, c.PresenceStats)
	case c.Info != nil:
		r.Info, r.Error = s.Info(ctx, c.Info)
	case c.RPC != nil:
		r.RPC, r.Error = s.RPC(ctx, c.RPC)
	case c.Refresh != nil:
		r.Refresh, r.Error = s.Refresh(ctx, c.Refresh)
	case c.Channels != nil:
		r.Channels, r.Error = s.Channels(ctx, c.Channels)
	default:
		r.Error = newError(ErrNotFound)
	}
	return r
}
