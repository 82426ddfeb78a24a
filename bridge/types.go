package bridge

import (
	"errors"
	"fmt"
)

// RequestType names a proxied client event. The values are the exact strings
// RoadRunner's centrifuge plugin sends in the "type" header (note
// "subrefresh", not "sub_refresh").
type RequestType string

// The request types.
const (
	Connect    RequestType = "connect"
	Refresh    RequestType = "refresh"
	Subscribe  RequestType = "subscribe"
	Publish    RequestType = "publish"
	RPC        RequestType = "rpc"
	SubRefresh RequestType = "subrefresh"
)

// AllTypes is the interceptor key meaning "every request type", as "*" in
// the seed's centrifugo.php.
const AllTypes = "*"

// RequestTypes returns the six request types in a fixed order.
func RequestTypes() []RequestType {
	return []RequestType{Connect, Refresh, Subscribe, Publish, RPC, SubRefresh}
}

// Valid reports whether t is one of the six request types.
func (t RequestType) Valid() bool {
	switch t {
	case Connect, Refresh, Subscribe, Publish, RPC, SubRefresh:
		return true
	}
	return false
}

// String returns the type's wire string.
func (t RequestType) String() string { return string(t) }

// errUnknownType is wrapped by ParseRequestType errors.
var errUnknownType = errors.New("unknown request type")

// ParseRequestType returns the request type named s. It accepts the exact
// strings of the constants and, as an alias, "sub_refresh" (the spelling of
// the HTTP proxy path and of roadrunner-php/centrifugo before 2.4.0).
func ParseRequestType(s string) (RequestType, error) {
	if s == "sub_refresh" {
		return SubRefresh, nil
	}
	t := RequestType(s)
	if !t.Valid() {
		return "", fmt.Errorf("%w %q: must be one of connect, refresh, subscribe, publish, rpc, subrefresh", errUnknownType, s)
	}
	return t, nil
}
