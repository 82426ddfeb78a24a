package gyre

import (
	"errors"
	"strconv"
)

// Error is a protocol-level error sent to a client in a reply. Codes 0-399 are
// reserved for the server; applications use 400-1999. Temporary errors tell
// SDKs that retrying the same command may succeed.
type Error struct {
	Code      uint32
	Message   string
	Temporary bool
}

// Error implements error.
func (e Error) Error() string {
	return "error " + strconv.FormatUint(uint64(e.Code), 10) + ": " + e.Message
}

// Is reports whether target is an Error with the same code.
func (e Error) Is(target error) bool {
	var t Error
	if errors.As(target, &t) {
		return t.Code == e.Code
	}
	return false
}

// Client error values (Centrifugo v6 codes, PROTOCOL.md §2.1).
var (
	ErrInternal              = Error{Code: 100, Message: "internal server error", Temporary: true}
	ErrUnauthorized          = Error{Code: 101, Message: "unauthorized"}
	ErrUnknownChannel        = Error{Code: 102, Message: "unknown channel"}
	ErrPermissionDenied      = Error{Code: 103, Message: "permission denied"}
	ErrMethodNotFound        = Error{Code: 104, Message: "method not found"}
	ErrAlreadySubscribed     = Error{Code: 105, Message: "already subscribed"}
	ErrLimitExceeded         = Error{Code: 106, Message: "limit exceeded"}
	ErrBadRequest            = Error{Code: 107, Message: "bad request"}
	ErrNotAvailable          = Error{Code: 108, Message: "not available"}
	ErrTokenExpired          = Error{Code: 109, Message: "token expired"}
	ErrExpired               = Error{Code: 110, Message: "expired"}
	ErrTooManyRequests       = Error{Code: 111, Message: "too many requests", Temporary: true}
	ErrUnrecoverablePosition = Error{Code: 112, Message: "unrecoverable position"}
)

// AsError returns err as an Error when it is one (or wraps one), and
// ErrInternal otherwise.
func AsError(err error) Error {
	var e Error
	if errors.As(err, &e) {
		return e
	}
	return ErrInternal
}
