package ws

import (
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
)

// UpgradeOptions configures Upgrade. The zero value (or a nil pointer) is
// valid: no subprotocols, any origin, no compression, 64 KiB messages.
type UpgradeOptions struct {
	// Subprotocols lists the subprotocols the server supports, in order of
	// preference. The first of them that the client offers in
	// Sec-WebSocket-Protocol is selected; if none is offered the
	// connection proceeds without a subprotocol.
	Subprotocols []string

	// CheckOrigin decides whether a request may be upgraded, typically by
	// looking at its Origin header. Nil allows all requests. When it
	// returns false the client gets HTTP 403 and no upgrade happens.
	CheckOrigin func(r *http.Request) bool

	// Compression enables permessage-deflate (RFC 7692) when the client
	// offers it. Both directions then run without context takeover.
	Compression bool

	// CompressionLevel is the flate level (1..9) for outgoing messages.
	// Other values select DefaultCompressionLevel.
	CompressionLevel int

	// CompressionMinSize is the payload size below which outgoing messages
	// are sent uncompressed even when compression was negotiated.
	CompressionMinSize int

	// ReadLimit is the maximum size in bytes of a received message after
	// reassembly of its fragments (for compressed messages: before
	// decompression). Values <= 0 select DefaultReadLimit.
	ReadLimit int64

	// DecompressedReadLimit is the maximum size of a received compressed
	// message after decompression. Values <= 0 select 10 × ReadLimit.
	DecompressedReadLimit int64

	// OnPong, if set, is called by ReadMessage for every pong frame
	// received, with the pong's application data. data is only valid
	// during the call. OnPong runs on the reading goroutine and must not
	// call ReadMessage.
	OnPong func(data []byte)
}

// HandshakeError is returned by Upgrade when the request is not a valid
// WebSocket upgrade request or is refused. Upgrade has already written an
// HTTP response with Status when it returns a HandshakeError.
type HandshakeError struct {
	Status int    // HTTP status code sent to the client
	Reason string // what was wrong with the request
}

// Error implements the error interface.
func (e *HandshakeError) Error() string {
	return "websocket: handshake failed (" + strconv.Itoa(e.Status) + "): " + e.Reason
}

// acceptGUID is the fixed GUID of RFC 6455, section 1.3.
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// acceptKey computes Sec-WebSocket-Accept for a Sec-WebSocket-Key.
func acceptKey(key string) string {
	h := sha1.New()
	h.Write([]byte(key))
	h.Write([]byte(acceptGUID))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// Upgrade validates a WebSocket opening handshake (RFC 6455, section 4.2),
// takes over the connection and returns it as a *Conn.
//
// On an invalid or refused request it writes an HTTP error response and
// returns a *HandshakeError: 405 for methods other than GET, 400 for
// missing or malformed Connection, Upgrade or Sec-WebSocket-Key headers,
// 426 (with Sec-WebSocket-Version: 13) for other protocol versions and 403
// when opts.CheckOrigin refuses the request. If the connection cannot be
// hijacked it responds 500 and returns the hijack error.
//
// Headers already set on w.Header() (for example Set-Cookie) are included
// in the 101 response. After Upgrade returns successfully neither w nor r
// may be used any more.
func Upgrade(w http.ResponseWriter, r *http.Request, opts *UpgradeOptions) (*Conn, error) {
	if opts == nil {
		opts = &UpgradeOptions{}
	}
	fail := func(status int, reason string) (*Conn, error) {
		if status == http.StatusUpgradeRequired {
			w.Header().Set("Sec-WebSocket-Version", "13")
		}
		if status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", http.MethodGet)
		}
		http.Error(w, http.StatusText(status)+": "+reason, status)
		return nil, &HandshakeError{Status: status, Reason: reason}
	}

	if r.Method != http.MethodGet {
		return fail(http.StatusMethodNotAllowed, "method must be GET")
	}
	if !headerHasToken(r.Header, "Connection", "upgrade") {
		return fail(http.StatusBadRequest, `"Connection" header must contain "upgrade"`)
	}
	if !headerHasToken(r.Header, "Upgrade", "websocket") {
		return fail(http.StatusBadRequest, `"Upgrade" header must contain "websocket"`)
	}
	if v := r.Header.Values("Sec-WebSocket-Version"); len(v) != 1 || strings.TrimSpace(v[0]) != "13" {
		return fail(http.StatusUpgradeRequired, "unsupported Sec-WebSocket-Version, want 13")
	}
	keys := r.Header.Values("Sec-WebSocket-Key")
	if len(keys) != 1 {
		return fail(http.StatusBadRequest, "missing or repeated Sec-WebSocket-Key")
	}
	key := strings.TrimSpace(keys[0])
	if decoded, err := base64.StdEncoding.DecodeString(key); err != nil || len(decoded) != 16 {
		return fail(http.StatusBadRequest, "Sec-WebSocket-Key must be base64 of 16 bytes")
	}
	if opts.CheckOrigin != nil && !opts.CheckOrigin(r) {
		return fail(http.StatusForbidden, "origin not allowed")
	}

	subprotocol := selectSubprotocol(r.Header, opts.Subprotocols)
	var extResponse string
	compress := false
	if opts.Compression {
		extResponse, compress = negotiateDeflate(r.Header)
	}

	// Build the response before hijacking so that header values are
	// gathered while w is still usable.
	resp := make([]byte, 0, 256)
	resp = append(resp, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	resp = append(resp, acceptKey(key)...)
	resp = append(resp, "\r\n"...)
	if subprotocol != "" {
		resp = append(resp, "Sec-WebSocket-Protocol: "...)
		resp = append(resp, subprotocol...)
		resp = append(resp, "\r\n"...)
	}
	if compress {
		resp = append(resp, "Sec-WebSocket-Extensions: "...)
		resp = append(resp, extResponse...)
		resp = append(resp, "\r\n"...)
	}
	resp = appendExtraHeaders(resp, w.Header())
	resp = append(resp, "\r\n"...)

	nc, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "websocket: cannot take over the connection", http.StatusInternalServerError)
		return nil, err
	}
	// A client may send its first frames right behind the request; the
	// server's reader may hold them already. Copy them out so the bufio
	// buffers can be dropped.
	var pending []byte
	if n := brw.Reader.Buffered(); n > 0 {
		pending, _ = brw.Reader.Peek(n)
	}
	c := newConn(nc, pending, opts)
	c.subprotocol = subprotocol
	c.compress = compress

	if err := c.writeAll(resp); err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

// appendExtraHeaders appends the headers the handler set on the response,
// skipping the ones Upgrade controls and values that would break the
// response framing.
func appendExtraHeaders(b []byte, h http.Header) []byte {
	for name, values := range h {
		switch http.CanonicalHeaderKey(name) {
		case "Upgrade", "Connection", "Sec-Websocket-Accept", "Sec-Websocket-Protocol",
			"Sec-Websocket-Extensions", "Content-Length", "Transfer-Encoding":
			continue
		}
		if strings.ContainsAny(name, "\r\n:") {
			continue
		}
		for _, v := range values {
			if strings.ContainsAny(v, "\r\n") {
				continue
			}
			b = append(b, name...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	return b
}

// headerHasToken reports whether any of the comma-separated values of the
// named header equals token, ignoring case.
func headerHasToken(h http.Header, name, token string) bool {
	for _, line := range h.Values(name) {
		for t := range strings.SplitSeq(line, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// selectSubprotocol returns the first of the server's subprotocols that the
// client offers, or "".
func selectSubprotocol(h http.Header, supported []string) string {
	if len(supported) == 0 {
		return ""
	}
	offered := h.Values("Sec-WebSocket-Protocol")
	for _, s := range supported {
		for _, line := range offered {
			for t := range strings.SplitSeq(line, ",") {
				if strings.TrimSpace(t) == s {
					return s
				}
			}
		}
	}
	return ""
}
