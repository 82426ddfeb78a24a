package api

import (
	"errors"
	"strconv"

	"github.com/gyrehq/gyre"
)

// Error is a server API error (PROTOCOL.md §2.4). Unlike the client
// protocol's error it has no temporary flag.
type Error struct {
	Code    uint32 `json:"code"`
	Message string `json:"message"`
}

// Error implements error.
func (e *Error) Error() string {
	return "api error " + strconv.FormatUint(uint64(e.Code), 10) + ": " + e.Message
}

// Server API error values (Centrifugo v6 codes). Methods return copies, so
// callers may modify what they get.
var (
	ErrInternal              = Error{Code: 100, Message: "internal server error"}
	ErrUnknownChannel        = Error{Code: 102, Message: "unknown channel"}
	ErrNotFound              = Error{Code: 104, Message: "not found"}
	ErrBadRequest            = Error{Code: 107, Message: "bad request"}
	ErrNotAvailable          = Error{Code: 108, Message: "not available"}
	ErrUnrecoverablePosition = Error{Code: 112, Message: "unrecoverable position"}
	ErrConflict              = Error{Code: 113, Message: "conflict"}
)

// newError returns a fresh copy of e.
func newError(e Error) *Error { return &e }

// asError converts err into an API error: an *Error keeps its value, a
// gyre.Error keeps its code and message, anything else becomes
// ErrInternal. The second result reports whether err was unexpected (and so
// deserves logging).
func asError(err error) (*Error, bool) {
	var pe *Error
	if errors.As(err, &pe) && pe != nil {
		return newError(*pe), false
	}
	var ge gyre.Error
	if errors.As(err, &ge) {
		return &Error{Code: ge.Code, Message: ge.Message}, false
	}
	return newError(ErrInternal), true
}
