package gyre

import (
	"errors"
	"strconv"
)

// Disconnect closes a client connection with a code and a reason. It
// implements error so that handlers can simply return it.
//
// Code ranges: 3000-3499 the client reconnects; 3500-3999 terminal (no
// reconnect); 4000-4499 application codes with reconnect; 4500-4999
// application codes without reconnect; 5000 and above reserved, reconnect.
// Reasons must be shorter than 123 bytes to fit a WebSocket close frame.
type Disconnect struct {
	Code   uint32
	Reason string
}

// Error implements error.
func (d Disconnect) Error() string {
	return "disconnect " + strconv.FormatUint(uint64(d.Code), 10) + ": " + d.Reason
}

// Reconnect reports whether a client should reconnect after this disconnect.
func (d Disconnect) Reconnect() bool {
	switch {
	case d.Code < 3500:
		return true
	case d.Code < 4000:
		return false
	case d.Code < 4500:
		return true
	case d.Code < 5000:
		return false
	}
	return true
}

// Disconnect values (Centrifugo v6 codes, PROTOCOL.md §2.3).
var (
	DisconnectConnectionClosed      = Disconnect{Code: 3000, Reason: "connection closed"}
	DisconnectShutdown              = Disconnect{Code: 3001, Reason: "shutdown"}
	DisconnectServerError           = Disconnect{Code: 3004, Reason: "internal server error"}
	DisconnectExpired               = Disconnect{Code: 3005, Reason: "connection expired"}
	DisconnectSubExpired            = Disconnect{Code: 3006, Reason: "subscription expired"}
	DisconnectSlow                  = Disconnect{Code: 3008, Reason: "slow"}
	DisconnectWriteError            = Disconnect{Code: 3009, Reason: "write error"}
	DisconnectInsufficientState     = Disconnect{Code: 3010, Reason: "insufficient state"}
	DisconnectForceReconnect        = Disconnect{Code: 3011, Reason: "force reconnect"}
	DisconnectNoPong                = Disconnect{Code: 3012, Reason: "no pong"}
	DisconnectTooManyRequests       = Disconnect{Code: 3013, Reason: "too many requests"}
	DisconnectStateInvalidated      = Disconnect{Code: 3014, Reason: "state invalidated"}
	DisconnectInvalidToken          = Disconnect{Code: 3500, Reason: "invalid token"}
	DisconnectBadRequest            = Disconnect{Code: 3501, Reason: "bad request"}
	DisconnectStale                 = Disconnect{Code: 3502, Reason: "stale"}
	DisconnectForceNoReconnect      = Disconnect{Code: 3503, Reason: "force disconnect"}
	DisconnectConnectionLimit       = Disconnect{Code: 3504, Reason: "connection limit"}
	DisconnectChannelLimit          = Disconnect{Code: 3505, Reason: "channel limit"}
	DisconnectInappropriateProtocol = Disconnect{Code: 3506, Reason: "inappropriate protocol"}
	DisconnectPermissionDenied      = Disconnect{Code: 3507, Reason: "permission denied"}
	DisconnectNotAvailable          = Disconnect{Code: 3508, Reason: "not available"}
	DisconnectTooManyErrors         = Disconnect{Code: 3509, Reason: "too many errors"}
)

// AsDisconnect reports whether err is (or wraps) a Disconnect and returns it.
func AsDisconnect(err error) (Disconnect, bool) {
	var d Disconnect
	ok := errors.As(err, &d)
	return d, ok
}

// Unsubscribe codes sent in the unsubscribe push (PROTOCOL.md §2.2). Codes
// of 2500 and above make the client resubscribe.
type Unsubscribe struct {
	Code   uint32
	Reason string
}

// Unsubscribe values.
var (
	UnsubscribeServer             = Unsubscribe{Code: 2000, Reason: "server unsubscribe"}
	UnsubscribeInsufficientState  = Unsubscribe{Code: 2500, Reason: "insufficient state"}
	UnsubscribeSubscriptionExpiry = Unsubscribe{Code: 2501, Reason: "subscription expired"}
	UnsubscribeStateInvalidated   = Unsubscribe{Code: 2502, Reason: "state invalidated"}
)
