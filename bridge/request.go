package bridge

import (
	"strings"
	"sync"
)

// AnswerKind says how a request was answered.
type AnswerKind int

// The answer kinds.
const (
	// Unanswered: no answer yet.
	Unanswered AnswerKind = iota
	// AnswerResult: Respond was called; Answer.Result holds the result.
	AnswerResult
	// AnswerError: an error was sent; Answer.Error holds it.
	AnswerError
	// AnswerDisconnect: a disconnect was sent; Answer.Disconnect holds it.
	AnswerDisconnect
)

// String returns "none", "result", "error" or "disconnect".
func (k AnswerKind) String() string {
	switch k {
	case AnswerResult:
		return "result"
	case AnswerError:
		return "error"
	case AnswerDisconnect:
		return "disconnect"
	}
	return "none"
}

// Answer is what a request was answered with. Result is a pointer to the
// result type of the request (*ConnectResult for a ConnectRequest, …).
type Answer struct {
	Kind       AnswerKind
	Result     any
	Error      *Error
	Disconnect *Disconnect
}

// Code returns the error or disconnect code, or 0 for a result or no answer.
func (a Answer) Code() uint32 {
	switch {
	case a.Error != nil:
		return a.Error.Code
	case a.Disconnect != nil:
		return a.Disconnect.Code
	}
	return 0
}

// Common holds the fields every proxy request carries and the request's
// answer state. It is embedded in each typed request; its zero value is
// ready to use, so requests can be built as literals (package bridgetest
// does).
type Common struct {
	// Client is the connection's client ID.
	Client string
	// Transport is the client's transport ("websocket", …).
	Transport string
	// Protocol is "json" or "protobuf".
	Protocol string
	// Encoding is "json" or "binary" (the proxy's binary_encoding): in
	// binary mode payloads may be any bytes, and results are sent back
	// base64-encoded.
	Encoding string
	// User is the connection's user ID; empty for connect and anonymous
	// connections.
	User string
	// Meta is the connection meta when the proxy has
	// include_connection_meta, nil otherwise.
	Meta []byte
	// Headers are the forwarded client headers (gRPC metadata or HTTP
	// request headers) with lower-case keys. The request type is never
	// read from them.
	Headers map[string][]string

	mu     sync.Mutex
	answer Answer
	sealed bool
}

// Header returns the first value of the header name (case-insensitive), or
// "".
func (c *Common) Header(name string) string {
	if v := c.Headers[strings.ToLower(name)]; len(v) > 0 {
		return v[0]
	}
	for k, v := range c.Headers {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// Info returns the common fields; it lets interceptors read them from any
// Request.
func (c *Common) Info() *Common { return c }

// Error answers with an application error. The code must be in
// MinErrorCode–MaxErrorCode, otherwise the request stays unanswered and an
// error wrapping ErrCodeRange is returned. A second answer returns
// ErrAlreadyAnswered.
func (c *Common) Error(code uint32, message string, temporary bool) error {
	if err := checkError(code); err != nil {
		return err
	}
	return c.set(Answer{Kind: AnswerError, Error: &Error{Code: code, Message: message, Temporary: temporary}})
}

// Disconnect answers by closing the client's connection. The code must be
// in MinDisconnectCode–MaxDisconnectCode and the reason at most
// MaxDisconnectReason bytes, otherwise the request stays unanswered and an
// error wrapping ErrCodeRange is returned. A second answer returns
// ErrAlreadyAnswered.
func (c *Common) Disconnect(code uint32, reason string) error {
	if err := checkDisconnect(code, reason); err != nil {
		return err
	}
	return c.set(Answer{Kind: AnswerDisconnect, Disconnect: &Disconnect{Code: code, Reason: reason}})
}

// Answered reports whether the request has been answered.
func (c *Common) Answered() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.answer.Kind != Unanswered
}

// Answer returns the answer given so far (Kind Unanswered when none).
func (c *Common) Answer() Answer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.answer
}

// set records the first answer.
func (c *Common) set(a Answer) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.answer.Kind != Unanswered || c.sealed {
		return ErrAlreadyAnswered
	}
	c.answer = a
	return nil
}

// seal ends the dispatch: it records fallback when nothing was answered and
// refuses every later answer. It returns the final answer and whether the
// fallback was used.
func (c *Common) seal(fallback Answer) (Answer, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sealed = true
	if c.answer.Kind == Unanswered {
		c.answer = fallback
		return fallback, true
	}
	return c.answer, false
}

// common is implemented by *Common; it seals the Request interface.
func (c *Common) common() *Common { return c }

// Request is one proxied event. It is implemented by the six typed
// requests (*ConnectRequest, *RefreshRequest, *SubscribeRequest,
// *PublishRequest, *RPCRequest, *SubRefreshRequest) and no other type;
// services type-switch on it or use the typed funcs (ConnectFunc, …).
type Request interface {
	// Type returns the request type.
	Type() RequestType
	// Info returns the common fields (client, transport, user, headers…).
	Info() *Common
	// Payload returns the client's data: connect data, the subscription's
	// data, the publication, the RPC payload; nil for refresh and
	// subrefresh.
	Payload() []byte
	// Error answers with an application error (see Common.Error).
	Error(code uint32, message string, temporary bool) error
	// Disconnect answers by disconnecting (see Common.Disconnect).
	Disconnect(code uint32, reason string) error
	// Answered reports whether the request has been answered.
	Answered() bool
	// Answer returns the answer so far.
	Answer() Answer

	common() *Common
}

// Fail answers req with ErrInternal (code 100, below the application
// range, which Error refuses). It is for interceptors that handle a
// failure themselves (Recover) and want outer interceptors to observe the
// internal error as the answer. A second answer returns ErrAlreadyAnswered.
func Fail(req Request) error {
	e := ErrInternal
	return req.common().set(Answer{Kind: AnswerError, Error: &e})
}
