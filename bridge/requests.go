package bridge

import (
	"encoding/json"
	"errors"
	"fmt"
)

// errNoData is returned by Decode when the request carries no data.
var errNoData = errors.New("bridge: request has no data")

// decode unmarshals JSON data into v.
func decode(data []byte, v any) error {
	if len(data) == 0 {
		return errNoData
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("bridge: decoding request data: %w", err)
	}
	return nil
}

// ConnectRequest asks the application to authenticate a connection that
// came without a token.
type ConnectRequest struct {
	Common
	// Data is the client's connect data (raw JSON, or decoded bytes in
	// binary mode).
	Data []byte
	// Name and Version identify the client SDK.
	Name    string
	Version string
	// Channels are the channels a unidirectional client asked for.
	Channels []string
}

// ConnectResult accepts a connection.
type ConnectResult struct {
	// User is the user ID; empty means an anonymous connection.
	User string
	// ExpireAt in Unix seconds enables refresh; 0 means never.
	ExpireAt int64
	// Info is the connection info shown in presence and publications.
	Info []byte
	// Data is sent to the client in the connect reply.
	Data []byte
	// Channels are server-side subscriptions.
	Channels []string
	// Subs are server-side subscriptions with options.
	Subs map[string]SubscribeOptions
	// Meta is server-only connection meta (JSON).
	Meta []byte
	// Caps are channel capabilities.
	Caps []ChannelsCapability
}

// SubscribeOptions are the options of a server-side subscription.
type SubscribeOptions struct {
	ExpireAt int64
	Info     []byte
	Data     []byte
	Override *Override
}

// Override replaces channel options for one subscription; nil fields keep
// the namespace's value. Use Bool to set one.
type Override struct {
	Presence           *bool
	JoinLeave          *bool
	ForcePushJoinLeave *bool
	ForceRecovery      *bool
	ForcePositioning   *bool
}

// Bool returns &v, for Override fields.
func Bool(v bool) *bool { return &v }

// ChannelsCapability grants capabilities on channels.
type ChannelsCapability struct {
	Channels []string
	Allow    []string
	Match    string
}

// Type implements Request.
func (*ConnectRequest) Type() RequestType { return Connect }

// Payload implements Request.
func (r *ConnectRequest) Payload() []byte { return r.Data }

// Decode unmarshals the JSON data into v.
func (r *ConnectRequest) Decode(v any) error { return decode(r.Data, v) }

// Respond answers with res; a second answer returns ErrAlreadyAnswered.
func (r *ConnectRequest) Respond(res ConnectResult) error {
	return r.set(Answer{Kind: AnswerResult, Result: &res})
}

// RefreshRequest asks the application to extend an expiring connection.
type RefreshRequest struct {
	Common
}

// RefreshResult extends (or expires) a connection.
type RefreshResult struct {
	// Expired disconnects the client.
	Expired bool
	// ExpireAt is the new expiry in Unix seconds.
	ExpireAt int64
	Info     []byte
	Meta     []byte
	Caps     []ChannelsCapability
}

// Type implements Request.
func (*RefreshRequest) Type() RequestType { return Refresh }

// Payload implements Request; refresh carries no data.
func (*RefreshRequest) Payload() []byte { return nil }

// Respond answers with res; a second answer returns ErrAlreadyAnswered.
func (r *RefreshRequest) Respond(res RefreshResult) error {
	return r.set(Answer{Kind: AnswerResult, Result: &res})
}

// SubscribeRequest asks whether the client may subscribe to Channel.
type SubscribeRequest struct {
	Common
	Channel string
	// Token is the subscription token the client sent, if any.
	Token string
	// Data is the subscription's data option.
	Data []byte
}

// SubscribeResult allows a subscription.
type SubscribeResult struct {
	ExpireAt int64
	Info     []byte
	Data     []byte
	Override *Override
	Allow    []string
}

// Type implements Request.
func (*SubscribeRequest) Type() RequestType { return Subscribe }

// Payload implements Request.
func (r *SubscribeRequest) Payload() []byte { return r.Data }

// Decode unmarshals the JSON data into v.
func (r *SubscribeRequest) Decode(v any) error { return decode(r.Data, v) }

// Respond answers with res; a second answer returns ErrAlreadyAnswered.
func (r *SubscribeRequest) Respond(res SubscribeResult) error {
	return r.set(Answer{Kind: AnswerResult, Result: &res})
}

// PublishRequest asks whether the client may publish Data into Channel.
type PublishRequest struct {
	Common
	Channel string
	Data    []byte
}

// PublishResult allows a publication and may change it.
type PublishResult struct {
	// Data, when not nil, replaces the published data.
	Data           []byte
	SkipHistory    bool
	Tags           map[string]string
	IdempotencyKey string
	Delta          bool
	Version        uint64
	VersionEpoch   string
}

// Type implements Request.
func (*PublishRequest) Type() RequestType { return Publish }

// Payload implements Request.
func (r *PublishRequest) Payload() []byte { return r.Data }

// Decode unmarshals the JSON data into v.
func (r *PublishRequest) Decode(v any) error { return decode(r.Data, v) }

// Respond answers with res; a second answer returns ErrAlreadyAnswered.
func (r *PublishRequest) Respond(res PublishResult) error {
	return r.set(Answer{Kind: AnswerResult, Result: &res})
}

// RPCRequest is a client RPC call.
type RPCRequest struct {
	Common
	Method string
	Data   []byte
}

// RPCResult is the RPC's reply data.
type RPCResult struct {
	Data []byte
}

// Type implements Request.
func (*RPCRequest) Type() RequestType { return RPC }

// Payload implements Request.
func (r *RPCRequest) Payload() []byte { return r.Data }

// Decode unmarshals the JSON data into v.
func (r *RPCRequest) Decode(v any) error { return decode(r.Data, v) }

// Respond answers with res; a second answer returns ErrAlreadyAnswered.
func (r *RPCRequest) Respond(res RPCResult) error {
	return r.set(Answer{Kind: AnswerResult, Result: &res})
}

// RespondJSON answers with v encoded as JSON.
func (r *RPCRequest) RespondJSON(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("bridge: encoding RPC result: %w", err)
	}
	return r.Respond(RPCResult{Data: data})
}

// SubRefreshRequest asks the application to extend an expiring
// subscription.
type SubRefreshRequest struct {
	Common
	Channel string
}

// SubRefreshResult extends (or expires) a subscription.
type SubRefreshResult struct {
	Expired  bool
	ExpireAt int64
	Info     []byte
}

// Type implements Request.
func (*SubRefreshRequest) Type() RequestType { return SubRefresh }

// Payload implements Request; subrefresh carries no data.
func (*SubRefreshRequest) Payload() []byte { return nil }

// Respond answers with res; a second answer returns ErrAlreadyAnswered.
func (r *SubRefreshRequest) Respond(res SubRefreshResult) error {
	return r.set(Answer{Kind: AnswerResult, Result: &res})
}
