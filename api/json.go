package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
)

// marshal encodes v as JSON without escaping <, > and & so that raw
// payloads keep their bytes.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// validRaw returns r when it is valid JSON and nil otherwise.
func validRaw(r json.RawMessage) json.RawMessage {
	if len(r) == 0 || !json.Valid(r) {
		return nil
	}
	return r
}

// MarshalJSON implements json.Marshaler: conn_info and chan_info are left
// out when they are not valid JSON.
func (c ClientInfo) MarshalJSON() ([]byte, error) {
	type plain ClientInfo
	p := plain(c)
	p.ConnInfo = validRaw(p.ConnInfo)
	p.ChanInfo = validRaw(p.ChanInfo)
	return marshal(p)
}

// MarshalJSON implements json.Marshaler: data that is not valid JSON is
// written base64-encoded as b64data instead of data.
func (p Publication) MarshalJSON() ([]byte, error) {
	type plain Publication
	out := struct {
		plain
		B64Data string `json:"b64data,omitempty"`
	}{plain: plain(p)}
	if len(p.Data) > 0 && !json.Valid(p.Data) {
		out.Data = nil
		out.B64Data = base64.StdEncoding.EncodeToString(p.Data)
	}
	return marshal(out)
}

// MarshalJSON implements json.Marshaler: data that is not valid JSON is
// left out.
func (r RPCResult) MarshalJSON() ([]byte, error) {
	type plain RPCResult
	p := plain(r)
	p.Data = validRaw(p.Data)
	return marshal(p)
}
