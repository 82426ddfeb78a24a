package ws

import (
	"errors"
	"strconv"
	"unicode/utf8"
)

// Close status codes (RFC 6455, section 7.4.1, and the IANA registry).
const (
	// CloseNormal indicates a normal closure.
	CloseNormal uint16 = 1000
	// CloseGoingAway indicates that an endpoint is going away, such as a
	// server shutting down or a browser leaving the page.
	CloseGoingAway uint16 = 1001
	// CloseProtocolError indicates a protocol violation.
	CloseProtocolError uint16 = 1002
	// CloseUnsupportedData indicates a message type the endpoint cannot
	// accept.
	CloseUnsupportedData uint16 = 1003
	// CloseNoStatus is never sent; CloseError reports it when a close frame
	// carried no status code.
	CloseNoStatus uint16 = 1005
	// CloseAbnormal is never sent; it denotes a connection lost without a
	// close frame.
	CloseAbnormal uint16 = 1006
	// CloseInvalidPayload indicates message data inconsistent with its type,
	// such as invalid UTF-8 in a text message.
	CloseInvalidPayload uint16 = 1007
	// ClosePolicyViolation indicates a message that violates the endpoint's
	// policy.
	ClosePolicyViolation uint16 = 1008
	// CloseMessageTooBig indicates a message too big to process.
	CloseMessageTooBig uint16 = 1009
	// CloseMandatoryExt is sent by a client when the server did not
	// negotiate an extension the client requires.
	CloseMandatoryExt uint16 = 1010
	// CloseInternalError indicates an unexpected condition on the server.
	CloseInternalError uint16 = 1011
	// CloseServiceRestart indicates that the service is restarting.
	CloseServiceRestart uint16 = 1012
	// CloseTryAgainLater indicates a temporary overload.
	CloseTryAgainLater uint16 = 1013
	// CloseBadGateway indicates an invalid response from an upstream server.
	CloseBadGateway uint16 = 1014
)

// maxCloseReason is the longest reason that fits in a close frame.
const maxCloseReason = maxControlPayload - 2

// CloseError is returned by ReadMessage when the peer sent a close frame.
// Code is CloseNoStatus when the frame carried no status code.
type CloseError struct {
	Code   uint16
	Reason string
}

// Error implements the error interface.
func (e *CloseError) Error() string {
	s := "websocket: close " + strconv.Itoa(int(e.Code))
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// ProtocolError is returned by ReadMessage when the peer violated the
// protocol. Code is the close code that was sent to the peer (1002 for
// framing errors, 1007 for invalid payload data) and Reason describes the
// violation.
type ProtocolError struct {
	Code   uint16
	Reason string
}

// Error implements the error interface.
func (e *ProtocolError) Error() string {
	return "websocket: protocol error (" + strconv.Itoa(int(e.Code)) + "): " + e.Reason
}

var (
	// ErrMessageTooBig is returned by ReadMessage when a message exceeds the
	// read limit, or its decompressed size exceeds the decompressed read
	// limit. A close frame with code 1009 has been sent to the peer.
	ErrMessageTooBig = errors.New("websocket: message too big")

	// ErrCloseSent is returned by write methods once a close frame has been
	// sent on the connection.
	ErrCloseSent = errors.New("websocket: close frame already sent")

	// ErrInvalidOpCode is returned by WriteMessage for opcodes other than
	// OpText and OpBinary.
	ErrInvalidOpCode = errors.New("websocket: invalid opcode for a data message")

	// ErrTryWrite is returned by TryWriteMessage on a connection that cannot
	// use it (see CanTryWrite).
	ErrTryWrite = errors.New("websocket: non-blocking writes need an uncompressed plain socket")

	// ErrInvalidCloseCode is returned by WriteClose for codes that may not be
	// sent in a close frame.
	ErrInvalidCloseCode = errors.New("websocket: invalid close code")

	// ErrControlTooBig is returned by WritePing for payloads over 125 bytes.
	ErrControlTooBig = errors.New("websocket: control frame payload over 125 bytes")
)

// validCloseCode reports whether code may appear in a close frame on the
// wire.
func validCloseCode(code uint16) bool {
	switch {
	case code >= 1000 && code <= 1003:
		return true
	case code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// truncateReason cuts reason to at most 123 bytes without splitting a UTF-8
// sequence.
func truncateReason(reason string) string {
	if len(reason) <= maxCloseReason {
		return reason
	}
	i := maxCloseReason
	for i > 0 && !utf8.RuneStart(reason[i]) {
		i--
	}
	return reason[:i]
}

// WriteClose sends a close frame with the given code and reason, which is
// truncated to 123 bytes on a UTF-8 boundary. CloseNoStatus sends a close
// frame without a body. Only one close frame is ever sent on a connection:
// later calls return ErrCloseSent. WriteClose does not close the
// underlying connection; wait for the peer's close frame with ReadMessage
// (with a deadline) and then call Close.
func (c *Conn) WriteClose(code uint16, reason string) error {
	if code != CloseNoStatus && !validCloseCode(code) {
		return ErrInvalidCloseCode
	}
	return c.writeClose(code, reason)
}

// writeClose sends a close frame unless one was sent already.
func (c *Conn) writeClose(code uint16, reason string) error {
	var body [maxControlPayload]byte
	n := 0
	if code != CloseNoStatus {
		reason = truncateReason(reason)
		body[0] = byte(code >> 8)
		body[1] = byte(code)
		n = 2 + copy(body[2:], reason)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return ErrCloseSent
	}
	c.closeSent = true
	return c.writeFrameLocked(finBit|byte(OpClose), body[:n])
}

// parseClosePayload validates the body of a received close frame.
func parseClosePayload(p []byte) (code uint16, reason string, perr *ProtocolError) {
	switch len(p) {
	case 0:
		return CloseNoStatus, "", nil
	case 1:
		return 0, "", &ProtocolError{CloseProtocolError, "close frame with a 1-byte body"}
	}
	code = uint16(p[0])<<8 | uint16(p[1])
	if !validCloseCode(code) {
		return 0, "", &ProtocolError{CloseProtocolError, "invalid close code " + strconv.Itoa(int(code))}
	}
	if !utf8.Valid(p[2:]) {
		return 0, "", &ProtocolError{CloseInvalidPayload, "invalid UTF-8 in close reason"}
	}
	return code, string(p[2:]), nil
}
