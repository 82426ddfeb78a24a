package bridgehttp

import (
	"encoding/base64"
	"encoding/json"

	"github.com/gyrehq/gyre/bridge/proxypb"
)

// The JSON messages of the HTTP proxy contract. Payload fields are raw
// JSON; their b64 twins carry base64.

type baseRequest struct {
	Client    string `json:"client"`
	Transport string `json:"transport"`
	Protocol  string `json:"protocol"`
	Encoding  string `json:"encoding"`
}

type request struct {
	baseRequest
	User     string          `json:"user"`
	Channel  string          `json:"channel"`
	Method   string          `json:"method"`
	Token    string          `json:"token"`
	Name     string          `json:"name"`
	Version  string          `json:"version"`
	Channels []string        `json:"channels"`
	Data     json.RawMessage `json:"data"`
	B64Data  string          `json:"b64data"`
	Meta     json.RawMessage `json:"meta"`
}

type errorJSON struct {
	Code      uint32 `json:"code"`
	Message   string `json:"message"`
	Temporary bool   `json:"temporary,omitempty"`
}

type disconnectJSON struct {
	Code   uint32 `json:"code"`
	Reason string `json:"reason"`
}

type response struct {
	Result     any             `json:"result,omitempty"`
	Error      *errorJSON      `json:"error,omitempty"`
	Disconnect *disconnectJSON `json:"disconnect,omitempty"`
}

type boolValue struct {
	Value bool `json:"value"`
}

type overrideJSON struct {
	Presence           *boolValue `json:"presence,omitempty"`
	JoinLeave          *boolValue `json:"join_leave,omitempty"`
	ForcePushJoinLeave *boolValue `json:"force_push_join_leave,omitempty"`
	ForceRecovery      *boolValue `json:"force_recovery,omitempty"`
	ForcePositioning   *boolValue `json:"force_positioning,omitempty"`
}

type subscribeOptionsJSON struct {
	ExpireAt int64           `json:"expire_at,omitempty"`
	Info     json.RawMessage `json:"info,omitempty"`
	B64Info  string          `json:"b64info,omitempty"`
	Data     json.RawMessage `json:"data,omitempty"`
	B64Data  string          `json:"b64data,omitempty"`
	Override *overrideJSON   `json:"override,omitempty"`
	Allow    []string        `json:"allow,omitempty"`
}

type capabilityJSON struct {
	Channels []string `json:"channels,omitempty"`
	Allow    []string `json:"allow,omitempty"`
	Match    string   `json:"match,omitempty"`
}

type connectResultJSON struct {
	User     string                          `json:"user"`
	ExpireAt int64                           `json:"expire_at,omitempty"`
	Info     json.RawMessage                 `json:"info,omitempty"`
	B64Info  string                          `json:"b64info,omitempty"`
	Data     json.RawMessage                 `json:"data,omitempty"`
	B64Data  string                          `json:"b64data,omitempty"`
	Channels []string                        `json:"channels,omitempty"`
	Subs     map[string]subscribeOptionsJSON `json:"subs,omitempty"`
	Meta     json.RawMessage                 `json:"meta,omitempty"`
	Caps     []capabilityJSON                `json:"caps,omitempty"`
}

type refreshResultJSON struct {
	Expired  bool             `json:"expired,omitempty"`
	ExpireAt int64            `json:"expire_at,omitempty"`
	Info     json.RawMessage  `json:"info,omitempty"`
	B64Info  string           `json:"b64info,omitempty"`
	Meta     json.RawMessage  `json:"meta,omitempty"`
	Caps     []capabilityJSON `json:"caps,omitempty"`
}

type publishResultJSON struct {
	Data           json.RawMessage   `json:"data,omitempty"`
	B64Data        string            `json:"b64data,omitempty"`
	SkipHistory    bool              `json:"skip_history,omitempty"`
	Tags           map[string]string `json:"tags,omitempty"`
	IdempotencyKey string            `json:"idempotency_key,omitempty"`
	Delta          bool              `json:"delta,omitempty"`
	Version        uint64            `json:"version,omitempty"`
	VersionEpoch   string            `json:"version_epoch,omitempty"`
}

type rpcResultJSON struct {
	Data    json.RawMessage `json:"data,omitempty"`
	B64Data string          `json:"b64data,omitempty"`
}

type subRefreshResultJSON struct {
	Expired  bool            `json:"expired,omitempty"`
	ExpireAt int64           `json:"expire_at,omitempty"`
	Info     json.RawMessage `json:"info,omitempty"`
	B64Info  string          `json:"b64info,omitempty"`
}

// pair returns the JSON form of a payload given as bytes and/or base64:
// raw JSON when the bytes are valid JSON, base64 otherwise.
func pair(data []byte, b64 string) (json.RawMessage, string) {
	if b64 != "" {
		return nil, b64
	}
	if len(data) == 0 {
		return nil, ""
	}
	if json.Valid(data) {
		return data, ""
	}
	return nil, base64.StdEncoding.EncodeToString(data)
}

// rawJSON returns data when it is valid JSON, nil otherwise (meta has no
// b64 twin).
func rawJSON(data []byte) json.RawMessage {
	if len(data) == 0 || !json.Valid(data) {
		return nil
	}
	return data
}

func overrideOf(o *proxypb.SubscribeOptionOverride) *overrideJSON {
	if o == nil {
		return nil
	}
	v := func(b *proxypb.BoolValue) *boolValue {
		if b == nil {
			return nil
		}
		return &boolValue{Value: b.GetValue()}
	}
	return &overrideJSON{Presence: v(o.Presence), JoinLeave: v(o.JoinLeave), ForcePushJoinLeave: v(o.ForcePushJoinLeave),
		ForceRecovery: v(o.ForceRecovery), ForcePositioning: v(o.ForcePositioning)}
}

func capsOf(caps []*proxypb.ChannelsCapability) []capabilityJSON {
	var res []capabilityJSON
	for _, c := range caps {
		res = append(res, capabilityJSON{Channels: c.GetChannels(), Allow: c.GetAllow(), Match: c.GetMatch()})
	}
	return res
}

func connectResultOf(r *proxypb.ConnectResult) *connectResultJSON {
	out := &connectResultJSON{User: r.GetUser(), ExpireAt: r.GetExpireAt(), Channels: r.GetChannels(), Meta: rawJSON(r.GetMeta()), Caps: capsOf(r.GetCaps())}
	out.Info, out.B64Info = pair(r.GetInfo(), r.GetB64Info())
	out.Data, out.B64Data = pair(r.GetData(), r.GetB64Data())
	if len(r.GetSubs()) > 0 {
		out.Subs = make(map[string]subscribeOptionsJSON, len(r.GetSubs()))
		for ch, o := range r.GetSubs() {
			so := subscribeOptionsJSON{ExpireAt: o.GetExpireAt(), Override: overrideOf(o.GetOverride())}
			so.Info, so.B64Info = pair(o.GetInfo(), o.GetB64Info())
			so.Data, so.B64Data = pair(o.GetData(), o.GetB64Data())
			out.Subs[ch] = so
		}
	}
	return out
}

func subscribeResultOf(r *proxypb.SubscribeResult) *subscribeOptionsJSON {
	out := &subscribeOptionsJSON{ExpireAt: r.GetExpireAt(), Override: overrideOf(r.GetOverride()), Allow: r.GetAllow()}
	out.Info, out.B64Info = pair(r.GetInfo(), r.GetB64Info())
	out.Data, out.B64Data = pair(r.GetData(), r.GetB64Data())
	return out
}
