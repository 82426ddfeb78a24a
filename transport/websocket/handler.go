package websocket

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/centrifugal/protocol"
	"github.com/gobwas/glob"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/internal/netpoll"
	"github.com/gyrehq/gyre/internal/ws"
	"github.com/gyrehq/gyre/node"
)

// Config configures the WebSocket handler.
type Config struct {
	// AllowedOrigins are glob patterns (lower-cased) for the Origin header;
	// "*" allows all. Empty: only requests without an Origin header pass.
	AllowedOrigins []string
	// Compression negotiates permessage-deflate; CompressionLevel (1) and
	// CompressionMinSize (0) tune it.
	Compression        bool
	CompressionLevel   int
	CompressionMinSize int
	// MessageSizeLimit (65536) and DecompressedMessageSizeLimit (10×) bound
	// inbound messages; larger ones close the connection with 1009.
	MessageSizeLimit             int64
	DecompressedMessageSizeLimit int64
	// WriteTimeout (1s) bounds every write.
	WriteTimeout time.Duration
	// ReadMode is ReadModeEpoll or ReadModeGoroutine; empty selects
	// ReadModeEpoll. Where epoll is unavailable the handler falls back to
	// ReadModeGoroutine.
	ReadMode string
	// KeepHeaders names the request headers a session keeps for later use
	// (proxies' http_headers, client.user_id_http_header); others are
	// dropped after the upgrade to save memory.
	KeepHeaders []string
	// Logger; nil discards.
	Logger *slog.Logger
}

// Handler is the WebSocket endpoint.
type Handler struct {
	node    *node.Node
	cfg     Config
	origins []glob.Glob
	anyOrig bool
	log     *slog.Logger
	conns   sync.WaitGroup
	poller  *netpoll.Poller // nil: goroutine read mode
}

// Wait blocks until every connection this handler served has ended, or ctx
// is done. http.Server.Shutdown does not wait for hijacked connections, so
// the server calls Wait after the node disconnected its sessions.
func (h *Handler) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { h.conns.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// New builds a handler; it fails on an invalid origin pattern.
func New(n *node.Node, cfg Config) (*Handler, error) {
	h := &Handler{node: n, cfg: cfg, log: cfg.Logger}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.cfg.WriteTimeout <= 0 {
		h.cfg.WriteTimeout = time.Second
	}
	if h.cfg.MessageSizeLimit <= 0 {
		h.cfg.MessageSizeLimit = 65536
	}
	switch h.cfg.ReadMode {
	case "", ReadModeEpoll:
		p, err := netpoll.Default()
		if err != nil {
			h.log.Info("websocket read mode epoll unavailable, using goroutine", "error", err)
			break
		}
		h.poller = p
	case ReadModeGoroutine:
	default:
		return nil, fmt.Errorf("websocket: unknown read mode %q", h.cfg.ReadMode)
	}
	for _, o := range cfg.AllowedOrigins {
		if o == "*" {
			h.anyOrig = true
			continue
		}
		g, err := glob.Compile(strings.ToLower(o))
		if err != nil {
			return nil, err
		}
		h.origins = append(h.origins, g)
	}
	return h, nil
}

// CheckOrigin applies the allowed-origins rule to a request.
func (h *Handler) CheckOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || h.anyOrig {
		return true
	}
	origin = strings.ToLower(origin)
	for _, g := range h.origins {
		if g.Match(origin) {
			return true
		}
	}
	return false
}

const (
	subprotocolJSON     = "centrifuge-json"
	subprotocolProtobuf = "centrifuge-protobuf"
)

// ReadMode reports the read mode in effect: ReadModeEpoll or
// ReadModeGoroutine.
func (h *Handler) ReadMode() string {
	if h.poller != nil {
		return ReadModeEpoll
	}
	return ReadModeGoroutine
}

// ServeHTTP upgrades the request and hands the connection to the poller
// (epoll read mode) or to a read loop goroutine.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	proto := protocol.TypeJSON
	q := r.URL.Query()
	if q.Get("format") == "protobuf" || q.Get("cf_protocol") == "protobuf" {
		proto = protocol.TypeProtobuf
	}
	conn, err := ws.Upgrade(w, r, &ws.UpgradeOptions{
		Subprotocols:          []string{subprotocolProtobuf, subprotocolJSON},
		CheckOrigin:           h.CheckOrigin,
		Compression:           h.cfg.Compression,
		CompressionLevel:      h.cfg.CompressionLevel,
		CompressionMinSize:    h.cfg.CompressionMinSize,
		ReadLimit:             h.cfg.MessageSizeLimit,
		DecompressedReadLimit: h.cfg.DecompressedMessageSizeLimit,
	})
	if err != nil {
		h.log.Debug("websocket upgrade failed", "remote", r.RemoteAddr, "error", err)
		return
	}
	if conn.Subprotocol() == subprotocolProtobuf {
		proto = protocol.TypeProtobuf
	}
	conn.SetWriteTimeout(h.cfg.WriteTimeout)
	t := &transport{conn: conn, proto: proto, writeTimeout: h.cfg.WriteTimeout}
	var pc *polledConn
	if h.poller != nil {
		pc = newPolled(h, t)
	}
	sess, err := h.node.NewSession(t, node.ConnInfo{RemoteAddr: r.RemoteAddr, Header: h.keptHeaders(r.Header)})
	if err != nil {
		t.pc.Store(nil)
		_ = t.Close(gyre.DisconnectShutdown)
		_ = conn.Close()
		return
	}
	if pc != nil && pc.register(h.poller, t, sess) {
		return
	}
	// The read loop runs on a goroutine of its own so that this one can
	// return: net/http keeps its connection buffers (about 10 KiB) alive for
	// as long as the handler runs, even after the hijack.
	h.conns.Add(1)
	go h.readLoop(conn, sess)
}

// keptHeaders copies the configured headers of a request (nil if none).
func (h *Handler) keptHeaders(in http.Header) http.Header {
	var out http.Header
	for _, name := range h.cfg.KeepHeaders {
		if v := in.Values(name); len(v) > 0 {
			if out == nil {
				out = make(http.Header, len(h.cfg.KeepHeaders))
			}
			out[http.CanonicalHeaderKey(name)] = append([]string(nil), v...)
		}
	}
	return out
}

// readLoop feeds received messages to the session until the connection ends.
func (h *Handler) readLoop(conn *ws.Conn, sess *node.Session) {
	defer h.conns.Done()
	defer conn.Close()
	for {
		_, payload, release, err := conn.ReadMessage()
		if err != nil {
			h.logReadEnd(sess, err)
			sess.Closed()
			return
		}
		ok := sess.HandleFrame(payload)
		release()
		if !ok {
			return
		}
	}
}

// logReadEnd logs why a connection's read side ended, unless the client
// closed it with a close frame.
func (h *Handler) logReadEnd(sess *node.Session, err error) {
	var ce *ws.CloseError
	if !errors.As(err, &ce) {
		h.log.Debug("websocket read ended", "client", sess.ID(), "error", err)
	}
}

// transport adapts a ws.Conn to node.Transport.
type transport struct {
	conn         *ws.Conn
	proto        protocol.Type
	writeTimeout time.Duration
	closeOnce    sync.Once
	pc           atomic.Pointer[polledConn] // set in epoll read mode
}

func (t *transport) Name() string            { return "websocket" }
func (t *transport) Protocol() protocol.Type { return t.proto }

func (t *transport) Write(frame []byte) error {
	op := ws.OpText
	if t.proto == protocol.TypeProtobuf {
		op = ws.OpBinary
	}
	// The connection applies write_timeout (SetWriteTimeout), arming a
	// deadline only when the socket buffer is full: an armed deadline left
	// behind would fire later for nothing and wake an idle process.
	return t.conn.WriteMessage(op, frame)
}

// CanTryWrite, TryWrite and Flush implement node.TryWriter on plain,
// uncompressed connections: publications are written by the fan-out
// goroutine when the socket has room.
func (t *transport) CanTryWrite() bool { return t.conn.CanTryWrite() }

func (t *transport) TryWrite(frame []byte) (bool, error) {
	op := ws.OpText
	if t.proto == protocol.TypeProtobuf {
		op = ws.OpBinary
	}
	return t.conn.TryWriteMessage(op, frame)
}

func (t *transport) Flush() error { return t.conn.Flush() }

// closeWait is how long the server waits for the client's close frame.
const closeWait = 5 * time.Second

func (t *transport) Close(d gyre.Disconnect) error {
	t.closeOnce.Do(func() {
		pc := t.pc.Load()
		if d.Code == gyre.DisconnectConnectionClosed.Code {
			t.abort(pc)
			return
		}
		_ = t.conn.SetWriteDeadline(time.Now().Add(t.writeTimeout))
		if err := t.conn.WriteClose(uint16(d.Code), d.Reason); err != nil {
			t.abort(pc)
			return
		}
		// The reader sees the client's close (or the deadline) and ends.
		// A polled connection has no read deadline: a timer ends it.
		if pc != nil {
			pc.closeAfter(closeWait)
			return
		}
		_ = t.conn.SetReadDeadline(time.Now().Add(closeWait))
	})
	return nil
}

// abort closes the connection now. A polled connection is closed by its
// poller callback, which leaves the poller first.
func (t *transport) abort(pc *polledConn) {
	if pc != nil {
		pc.abort()
		return
	}
	_ = t.conn.Close()
}
