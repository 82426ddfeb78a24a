package api

import "encoding/json"

// StreamPosition is a place in a channel's stream: `{"offset","epoch"}`.
type StreamPosition struct {
	Offset uint64 `json:"offset,omitempty"`
	Epoch  string `json:"epoch,omitempty"`
}

// PublishRequest is the publish method's request.
//
// Centrifugo's version/version_epoch fields are not supported and are
// ignored like any unknown field.
type PublishRequest struct {
	Channel string `json:"channel,omitempty"`
	// Data is raw JSON; B64Data, when non-empty, wins and carries base64
	// binary.
	Data           json.RawMessage   `json:"data,omitempty"`
	B64Data        string            `json:"b64data,omitempty"`
	SkipHistory    bool              `json:"skip_history,omitempty"`
	Tags           map[string]string `json:"tags,omitempty"`
	IdempotencyKey string            `json:"idempotency_key,omitempty"`
	Delta          bool              `json:"delta,omitempty"`
}

// PublishResult is the publish method's result: the stream position of the
// publication; both fields are omitted for channels without history.
type PublishResult struct {
	Offset uint64 `json:"offset,omitempty"`
	Epoch  string `json:"epoch,omitempty"`
}

// BroadcastRequest is the broadcast method's request: publish fields
// applied to every channel of Channels.
type BroadcastRequest struct {
	Channels       []string          `json:"channels,omitempty"`
	Data           json.RawMessage   `json:"data,omitempty"`
	B64Data        string            `json:"b64data,omitempty"`
	SkipHistory    bool              `json:"skip_history,omitempty"`
	Tags           map[string]string `json:"tags,omitempty"`
	IdempotencyKey string            `json:"idempotency_key,omitempty"`
	Delta          bool              `json:"delta,omitempty"`
}

// PublishResponse is the outcome of one channel's publish within a
// broadcast: exactly one of Error and Result is set.
type PublishResponse struct {
	Error  *Error         `json:"error,omitempty"`
	Result *PublishResult `json:"result,omitempty"`
}

// BroadcastResult is the broadcast method's result: one response per
// requested channel, in request order.
type BroadcastResult struct {
	Responses []*PublishResponse `json:"responses,omitempty"`
}

// BoolValue wraps a bool so that "unset" differs from false
// (google.protobuf.BoolValue in Centrifugo's proto).
type BoolValue struct {
	Value bool `json:"value,omitempty"`
}

// SubscribeOptionOverride overrides namespace options for one server-side
// subscription; a nil field keeps the namespace value.
type SubscribeOptionOverride struct {
	Presence           *BoolValue `json:"presence,omitempty"`
	JoinLeave          *BoolValue `json:"join_leave,omitempty"`
	ForceRecovery      *BoolValue `json:"force_recovery,omitempty"`
	ForcePositioning   *BoolValue `json:"force_positioning,omitempty"`
	ForcePushJoinLeave *BoolValue `json:"force_push_join_leave,omitempty"`
}

// SubscribeRequest is the subscribe method's request: subscribe every
// connection of User (optionally only Client or Session) to Channel.
type SubscribeRequest struct {
	Channel  string `json:"channel,omitempty"`
	User     string `json:"user,omitempty"`
	ExpireAt int64  `json:"expire_at,omitempty"`
	// Info becomes the channel info of the subscription (raw JSON);
	// B64Info wins when non-empty.
	Info    json.RawMessage `json:"info,omitempty"`
	B64Info string          `json:"b64info,omitempty"`
	Client  string          `json:"client,omitempty"`
	// Data goes to the client in the subscribe push (raw JSON); B64Data
	// wins when non-empty.
	Data         json.RawMessage          `json:"data,omitempty"`
	B64Data      string                   `json:"b64data,omitempty"`
	RecoverSince *StreamPosition          `json:"recover_since,omitempty"`
	Override     *SubscribeOptionOverride `json:"override,omitempty"`
	Session      string                   `json:"session,omitempty"`
}

// SubscribeResult is the subscribe method's (empty) result.
type SubscribeResult struct{}

// UnsubscribeRequest is the unsubscribe method's request.
type UnsubscribeRequest struct {
	Channel string `json:"channel,omitempty"`
	User    string `json:"user,omitempty"`
	Client  string `json:"client,omitempty"`
	Session string `json:"session,omitempty"`
}

// UnsubscribeResult is the unsubscribe method's (empty) result.
type UnsubscribeResult struct{}

// Disconnect is a disconnect code and reason in a DisconnectRequest.
type Disconnect struct {
	Code   uint32 `json:"code,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// DisconnectRequest is the disconnect method's request. Without a
// Disconnect (or with code 0) clients get 3503 "force disconnect".
type DisconnectRequest struct {
	User       string      `json:"user,omitempty"`
	Disconnect *Disconnect `json:"disconnect,omitempty"`
	Client     string      `json:"client,omitempty"`
	// Whitelist lists client IDs to keep connected.
	Whitelist []string `json:"whitelist,omitempty"`
	Session   string   `json:"session,omitempty"`
}

// DisconnectResult is the disconnect method's (empty) result.
type DisconnectResult struct{}

// RefreshRequest is the refresh method's request.
type RefreshRequest struct {
	User     string          `json:"user,omitempty"`
	Client   string          `json:"client,omitempty"`
	Expired  bool            `json:"expired,omitempty"`
	ExpireAt int64           `json:"expire_at,omitempty"`
	Info     json.RawMessage `json:"info,omitempty"`
	Session  string          `json:"session,omitempty"`
}

// RefreshResult is the refresh method's (empty) result.
type RefreshResult struct{}

// ClientInfo describes a connection in presence and publications. User and
// Client are always written; ConnInfo and ChanInfo are raw JSON and are
// left out of the JSON encoding when empty or not valid JSON.
type ClientInfo struct {
	User     string          `json:"user"`
	Client   string          `json:"client"`
	ConnInfo json.RawMessage `json:"conn_info,omitempty"`
	ChanInfo json.RawMessage `json:"chan_info,omitempty"`
}

// PresenceRequest is the presence method's request.
type PresenceRequest struct {
	Channel string `json:"channel,omitempty"`
}

// PresenceResult is the presence method's result: client ID → ClientInfo.
type PresenceResult struct {
	Presence map[string]*ClientInfo `json:"presence"`
}

// PresenceStatsRequest is the presence_stats method's request.
type PresenceStatsRequest struct {
	Channel string `json:"channel,omitempty"`
}

// PresenceStatsResult is the presence_stats method's result.
type PresenceStatsResult struct {
	NumClients uint32 `json:"num_clients"`
	NumUsers   uint32 `json:"num_users"`
}

// HistoryRequest is the history method's request. Limit 0 (the default)
// returns no publications, only the stream top; a negative Limit returns
// all; there is no server-side cap.
type HistoryRequest struct {
	Channel string          `json:"channel,omitempty"`
	Limit   int32           `json:"limit,omitempty"`
	Since   *StreamPosition `json:"since,omitempty"`
	Reverse bool            `json:"reverse,omitempty"`
}

// Publication is a publication in a history result. Data is raw JSON. When
// Data is not valid JSON its JSON encoding leaves data out and writes the
// bytes base64-encoded as b64data instead (a Gyre extension).
type Publication struct {
	Data   json.RawMessage   `json:"data,omitempty"`
	Info   *ClientInfo       `json:"info,omitempty"`
	Offset uint64            `json:"offset,omitempty"`
	Tags   map[string]string `json:"tags,omitempty"`
}

// HistoryResult is the history method's result; all three fields are
// always written.
type HistoryResult struct {
	Publications []*Publication `json:"publications"`
	Epoch        string         `json:"epoch"`
	Offset       uint64         `json:"offset"`
}

// HistoryRemoveRequest is the history_remove method's request.
type HistoryRemoveRequest struct {
	Channel string `json:"channel,omitempty"`
}

// HistoryRemoveResult is the history_remove method's (empty) result.
type HistoryRemoveResult struct{}

// ChannelsRequest is the channels method's request. Pattern is a
// gobwas/glob pattern; empty matches every channel.
type ChannelsRequest struct {
	Pattern string `json:"pattern,omitempty"`
}

// ChannelInfo describes one active channel.
type ChannelInfo struct {
	NumClients uint32 `json:"num_clients,omitempty"`
}

// ChannelsResult is the channels method's result: channel → ChannelInfo,
// for channels with at least one subscriber.
type ChannelsResult struct {
	Channels map[string]*ChannelInfo `json:"channels"`
}

// InfoRequest is the info method's (empty) request.
type InfoRequest struct{}

// NodeResult describes one node. Centrifugo's metrics and process fields
// are never set by Gyre and are not part of the type.
type NodeResult struct {
	UID         string `json:"uid"`
	Name        string `json:"name"`
	Version     string `json:"version"`
	NumClients  uint32 `json:"num_clients"`
	NumUsers    uint32 `json:"num_users"`
	NumChannels uint32 `json:"num_channels"`
	Uptime      uint32 `json:"uptime,omitempty"`
	NumSubs     uint32 `json:"num_subs"`
}

// InfoResult is the info method's result.
type InfoResult struct {
	Nodes []*NodeResult `json:"nodes,omitempty"`
}

// RPCRequest is the rpc method's request; Params is raw JSON.
type RPCRequest struct {
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
}

// RPCResult is the rpc method's result. Data is raw JSON and is left out of
// the JSON encoding when it is not valid JSON.
type RPCResult struct {
	Data json.RawMessage `json:"data,omitempty"`
}
