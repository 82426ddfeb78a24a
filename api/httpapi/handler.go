package httpapi

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gyrehq/gyre/api"
)

// Config configures the HTTP API handler.
type Config struct {
	// Key is the API key. Requests must carry it unless Insecure; an empty
	// Key then rejects every request with 401.
	Key string
	// Insecure turns API key checks off.
	Insecure bool
	// ErrorModeTransport makes API errors set the HTTP status (see the
	// package doc) for every request, not only those with the
	// X-Centrifugo-Error-Mode: transport header.
	ErrorModeTransport bool
	// MaxBodySize limits request bodies in bytes; larger bodies get 413.
	// Zero means 1 MiB.
	MaxBodySize int64
	// Prefix is the path of the legacy endpoint and the parent of the
	// method routes. Empty means "/api"; "/" serves at the root.
	Prefix string
	// Observe, when set, is called once per API call with the method name,
	// the API error code (0 on success) and the time spent. Undecodable or
	// too large bodies count as 107 and unreadable ones as 100. Requests
	// refused before (404, 405, 401) are not observed. On the legacy
	// endpoint each command is observed, a command with an unsupported
	// method as "unknown".
	Observe func(method string, code uint32, d time.Duration)
	// Logger receives failures to read bodies or encode answers; nil
	// discards them. Request bodies are never logged.
	Logger *slog.Logger
}

// DefaultMaxBodySize is the body limit used when Config.MaxBodySize is 0.
const DefaultMaxBodySize = 1 << 20

// handler is the http.Handler returned by NewHandler.
type handler struct {
	svc     *api.Service
	cfg     Config
	keySum  [sha256.Size]byte
	legacy  string
	routes  map[string]*method
	byEnum  map[int]*method
	logger  *slog.Logger
	observe func(string, uint32, time.Duration)
}

// NewHandler returns an http.Handler serving s under cfg.Prefix.
func NewHandler(s *api.Service, cfg Config) http.Handler {
	if cfg.MaxBodySize <= 0 {
		cfg.MaxBodySize = DefaultMaxBodySize
	}
	prefix := cfg.Prefix
	if prefix == "" {
		prefix = "/api"
	}
	prefix = strings.TrimRight(prefix, "/")
	h := &handler{
		svc:     s,
		cfg:     cfg,
		keySum:  sha256.Sum256([]byte(cfg.Key)),
		legacy:  prefix,
		routes:  make(map[string]*method),
		byEnum:  make(map[int]*method),
		logger:  cfg.Logger,
		observe: cfg.Observe,
	}
	if h.legacy == "" {
		h.legacy = "/"
	}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	if h.observe == nil {
		h.observe = func(string, uint32, time.Duration) {}
	}
	for i := range methods {
		m := &methods[i]
		h.routes[prefix+"/"+m.name] = m
		if m.legacy >= 0 {
			h.byEnum[m.legacy] = m
		}
	}
	return h
}

// ServeHTTP implements http.Handler.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m, ok := h.routes[r.URL.Path]
	legacy := r.URL.Path == h.legacy
	if !ok && !legacy {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if !h.cfg.Insecure && !h.authorized(r) {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	start := time.Now()
	body, status := h.readBody(w, r)
	if legacy {
		if status == 0 && len(body) == 0 {
			status = http.StatusBadRequest
		}
		if status != 0 {
			http.Error(w, http.StatusText(status), status)
			return
		}
		h.serveLegacy(w, r, body)
		return
	}
	if status != 0 {
		h.observe(m.name, failCode(status), time.Since(start))
		http.Error(w, http.StatusText(status), status)
		return
	}
	res, apiErr, err := m.call(r.Context(), h.svc, body)
	if err != nil {
		h.observe(m.name, api.ErrBadRequest.Code, time.Since(start))
		http.Error(w, http.StatusText(http.StatusBadRequest), http.StatusBadRequest)
		return
	}
	var code uint32
	if apiErr != nil {
		code = apiErr.Code
	}
	defer func() { h.observe(m.name, code, time.Since(start)) }()
	switch {
	case m.bare && apiErr == nil:
		h.writeJSON(w, http.StatusOK, res)
	case apiErr != nil && h.transportMode(r):
		h.writeJSON(w, transportStatus(apiErr.Code), apiErr)
	default:
		h.writeJSON(w, http.StatusOK, envelope{Error: apiErr, Result: res})
	}
}

// envelope is the answer of a method route in the default error mode.
type envelope struct {
	Error  *api.Error `json:"error,omitempty"`
	Result any        `json:"result,omitempty"`
}

// failCode is the code observed for a body that could not be used.
func failCode(status int) uint32 {
	if status == http.StatusInternalServerError {
		return api.ErrInternal.Code
	}
	return api.ErrBadRequest.Code
}

// transportMode reports whether API errors set the HTTP status.
func (h *handler) transportMode(r *http.Request) bool {
	return h.cfg.ErrorModeTransport ||
		strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Centrifugo-Error-Mode")), "transport")
}

// authorized checks the API key: the X-API-Key header when present,
// otherwise the Authorization header ("apikey KEY", scheme
// case-insensitive) when present, otherwise the api_key query parameter.
func (h *handler) authorized(r *http.Request) bool {
	if h.cfg.Key == "" {
		return false
	}
	if k := r.Header.Get("X-API-Key"); k != "" {
		return h.keyMatches(k)
	}
	if a := r.Header.Get("Authorization"); a != "" {
		f := strings.Fields(a)
		return len(f) == 2 && strings.EqualFold(f[0], "apikey") && h.keyMatches(f[1])
	}
	return h.keyMatches(r.URL.Query().Get("api_key"))
}

// keyMatches compares k with the configured key in constant time (hashing
// both first so that the length does not leak either).
func (h *handler) keyMatches(k string) bool {
	sum := sha256.Sum256([]byte(k))
	return subtle.ConstantTimeCompare(sum[:], h.keySum[:]) == 1
}

// readBody reads the request body within the size limit. On failure it
// returns the HTTP status to answer with.
func (h *handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, int) {
	if r.ContentLength > h.cfg.MaxBodySize {
		return nil, http.StatusRequestEntityTooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodySize))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, http.StatusRequestEntityTooLarge
		}
		h.logger.ErrorContext(r.Context(), "error reading API request body", "path", r.URL.Path, "error", err.Error())
		return nil, http.StatusInternalServerError
	}
	return body, 0
}

// marshal encodes v without escaping <, > and &, so that raw payloads
// keep their bytes.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// writeJSON writes v as a JSON answer with the given status.
func (h *handler) writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := marshal(v)
	if err != nil {
		h.logger.Error("error encoding API answer", "error", err.Error())
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	writeRaw(w, status, data)
}

// writeRaw writes already encoded JSON.
func writeRaw(w http.ResponseWriter, status int, data []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}
