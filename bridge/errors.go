package bridge

import (
	"errors"
	"fmt"
)

// Code ranges Centrifugo and Gyre accept from an application, and the code
// of the internal error the bridge sends on the application's behalf.
const (
	// CodeInternal is the code of ErrInternal.
	CodeInternal = 100
	// MinErrorCode and MaxErrorCode bound application error codes.
	MinErrorCode = 400
	MaxErrorCode = 1999
	// MinDisconnectCode and MaxDisconnectCode bound application disconnect
	// codes: 4000–4499 let the client reconnect, 4500–4999 are terminal.
	MinDisconnectCode = 4000
	MaxDisconnectCode = 4999
	// MaxDisconnectReason is the longest disconnect reason, in bytes.
	MaxDisconnectReason = 32
)

// Error is an error answer: the client receives it as is. Services and
// interceptors may answer with Request.Error or return an *Error (or Error)
// from their handler; the code must be in MinErrorCode–MaxErrorCode.
// Temporary makes SDKs retry (re-subscribe).
type Error struct {
	Code      uint32
	Message   string
	Temporary bool
}

// NewError returns a non-temporary *Error.
func NewError(code uint32, message string) *Error {
	return &Error{Code: code, Message: message}
}

// Error implements error.
func (e Error) Error() string { return fmt.Sprintf("%d: %s", e.Code, e.Message) }

// Disconnect is a disconnect answer: the server closes the client's
// connection with it. Services and interceptors may answer with
// Request.Disconnect or return a *Disconnect (or Disconnect); the code must
// be in MinDisconnectCode–MaxDisconnectCode and the reason at most
// MaxDisconnectReason bytes.
type Disconnect struct {
	Code   uint32
	Reason string
}

// Error implements error.
func (d Disconnect) Error() string { return fmt.Sprintf("disconnect %d: %s", d.Code, d.Reason) }

// ErrInternal is what the bridge answers when the application did not: the
// service returned without answering, returned an error that is not an
// Error or Disconnect, panicked, or no service is registered for the type.
// It is the server's own "internal server error" (code 100, temporary), so
// the client sees the same as for a failed proxy call.
var ErrInternal = Error{Code: CodeInternal, Message: "internal server error", Temporary: true}

// ErrAlreadyAnswered is returned by an answer method of a request that was
// already answered (or whose dispatch has finished).
var ErrAlreadyAnswered = errors.New("bridge: request already answered")

// ErrCodeRange is wrapped by the error of an answer whose code (or
// disconnect reason) is out of range; the request stays unanswered.
var ErrCodeRange = errors.New("bridge: code out of range")

// checkError validates an application error answer.
func checkError(code uint32) error {
	if code < MinErrorCode || code > MaxErrorCode {
		return fmt.Errorf("%w: error code %d must be in %d–%d", ErrCodeRange, code, MinErrorCode, MaxErrorCode)
	}
	return nil
}

// checkDisconnect validates an application disconnect answer.
func checkDisconnect(code uint32, reason string) error {
	if code < MinDisconnectCode || code > MaxDisconnectCode {
		return fmt.Errorf("%w: disconnect code %d must be in %d–%d", ErrCodeRange, code, MinDisconnectCode, MaxDisconnectCode)
	}
	if len(reason) > MaxDisconnectReason {
		return fmt.Errorf("%w: disconnect reason is %d bytes, at most %d allowed", ErrCodeRange, len(reason), MaxDisconnectReason)
	}
	return nil
}
