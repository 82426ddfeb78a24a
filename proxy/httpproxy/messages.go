package httpproxy

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/gyrehq/gyre"
)

// The JSON messages of the HTTP proxy contract (PROTOCOL.md §6.2). Payload
// fields (data, info, meta) are raw JSON; their b64 twins carry base64.

// baseRequest holds the fields every request starts with.
type baseRequest struct {
	Client    string `json:"client"`
	Transport string `json:"transport"`
	Protocol  string `json:"protocol"`
	Encoding  string `json:"encoding"`
}

type connectRequest struct {
	baseRequest
	Data     json.RawMessage `json:"data,omitempty"`
	B64Data  string          `json:"b64data,omitempty"`
	Name     string          `json:"name,omitempty"`
	Version  string          `json:"version,omitempty"`
	Channels []string        `json:"channels,omitempty"`
}

type refreshRequest struct {
	baseRequest
	User string          `json:"user"`
	Meta json.RawMessage `json:"meta,omitempty"`
}

type subscribeRequest struct {
	baseRequest
	User    string          `json:"user"`
	Channel string          `json:"channel"`
	Token   string          `json:"token,omitempty"`
	Meta    json.RawMessage `json:"meta,omitempty"`
	Data    json.RawMessage `json:"data,omitempty"`
	B64Data string          `json:"b64data,omitempty"`
}

type publishRequest struct {
	baseRequest
	User    string          `json:"user"`
	Channel string          `json:"channel"`
	Data    json.RawMessage `json:"data,omitempty"`
	B64Data string          `json:"b64data,omitempty"`
	Meta    json.RawMessage `json:"meta,omitempty"`
}

type rpcRequest struct {
	baseRequest
	User    string          `json:"user"`
	Method  string          `json:"method"`
	Data    json.RawMessage `json:"data,omitempty"`
	B64Data string          `json:"b64data,omitempty"`
	Meta    json.RawMessage `json:"meta,omitempty"`
}

type subRefreshRequest struct {
	baseRequest
	User    string          `json:"user"`
	Channel string          `json:"channel"`
	Meta    json.RawMessage `json:"meta,omitempty"`
}

// response is the envelope of every answer.
type response[T any] struct {
	Result     *T                  `json:"result"`
	Error      *responseError      `json:"error"`
	Disconnect *responseDisconnect `json:"disconnect"`
}

type responseError struct {
	Code      uint32 `json:"code"`
	Message   string `json:"message"`
	Temporary bool   `json:"temporary"`
}

type responseDisconnect struct {
	Code   uint32 `json:"code"`
	Reason string `json:"reason"`
}

type boolValue struct {
	Value bool `json:"value"`
}

type override struct {
	Presence           *boolValue `json:"presence"`
	JoinLeave          *boolValue `json:"join_leave"`
	ForcePushJoinLeave *boolValue `json:"force_push_join_leave"`
	ForceRecovery      *boolValue `json:"force_recovery"`
	ForcePositioning   *boolValue `json:"force_positioning"`
}

type subscribeOptions struct {
	ExpireAt int64           `json:"expire_at"`
	Info     json.RawMessage `json:"info"`
	B64Info  string          `json:"b64info"`
	Data     json.RawMessage `json:"data"`
	B64Data  string          `json:"b64data"`
	Override *override       `json:"override"`
}

type connectResult struct {
	User     string                      `json:"user"`
	ExpireAt int64                       `json:"expire_at"`
	Info     json.RawMessage             `json:"info"`
	B64Info  string                      `json:"b64info"`
	Data     json.RawMessage             `json:"data"`
	B64Data  string                      `json:"b64data"`
	Channels []string                    `json:"channels"`
	Subs     map[string]subscribeOptions `json:"subs"`
	Meta     json.RawMessage             `json:"meta"`
}

type refreshResult struct {
	Expired  bool            `json:"expired"`
	ExpireAt int64           `json:"expire_at"`
	Info     json.RawMessage `json:"info"`
	B64Info  string          `json:"b64info"`
	Meta     json.RawMessage `json:"meta"`
}

type publishResult struct {
	Data           json.RawMessage   `json:"data"`
	B64Data        string            `json:"b64data"`
	SkipHistory    bool              `json:"skip_history"`
	Tags           map[string]string `json:"tags"`
	IdempotencyKey string            `json:"idempotency_key"`
}

type rpcResult struct {
	Data    json.RawMessage `json:"data"`
	B64Data string          `json:"b64data"`
}

type subRefreshResult struct {
	Expired  bool            `json:"expired"`
	ExpireAt int64           `json:"expire_at"`
	Info     json.RawMessage `json:"info"`
	B64Info  string          `json:"b64info"`
}

// raw returns a raw JSON value, or nil for an absent or null one.
func raw(v json.RawMessage) []byte {
	if len(v) == 0 || bytes.Equal(v, []byte("null")) {
		return nil
	}
	return v
}

// pick returns the payload of a raw/base64 pair: the decoded base64 when
// it is set, the raw JSON otherwise.
func pick(field string, rawValue json.RawMessage, b64 string) ([]byte, error) {
	if b64 != "" {
		b, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, fmt.Errorf("invalid response: b64%s is not base64", field)
		}
		return b, nil
	}
	return raw(rawValue), nil
}

// grant converts subscribe options (of a subscribe result or of a connect
// result's subs) into a SubscribeGrant.
func (o *subscribeOptions) grant() (gyre.SubscribeGrant, error) {
	info, err := pick("info", o.Info, o.B64Info)
	if err != nil {
		return gyre.SubscribeGrant{}, err
	}
	data, err := pick("data", o.Data, o.B64Data)
	if err != nil {
		return gyre.SubscribeGrant{}, err
	}
	return gyre.SubscribeGrant{Info: info, Data: data, ExpireAt: o.ExpireAt, Override: o.Override.convert()}, nil
}

// convert returns the override with each present value, or nil for none.
func (o *override) convert() *gyre.SubscribeOverride {
	if o == nil {
		return nil
	}
	val := func(b *boolValue) *bool {
		if b == nil {
			return nil
		}
		v := b.Value
		return &v
	}
	return &gyre.SubscribeOverride{
		Presence:           val(o.Presence),
		JoinLeave:          val(o.JoinLeave),
		ForcePushJoinLeave: val(o.ForcePushJoinLeave),
		ForceRecovery:      val(o.ForceRecovery),
		ForcePositioning:   val(o.ForcePositioning),
	}
}
