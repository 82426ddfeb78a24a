package rpcroute

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/gyrehq/gyre/bridge"
)

// Error codes of the router.
const (
	CodeBadRequest     = 400
	CodeMethodNotFound = 404
)

// Func handles one RPC method and returns the result to JSON-encode.
type Func func(ctx context.Context, req *bridge.RPCRequest) (any, error)

// Router is a bridge.Service for rpc requests.
type Router struct {
	mu      sync.RWMutex
	methods map[string]Func
	http    http.Handler
}

// New returns an empty Router.
func New() *Router { return &Router{methods: map[string]Func{}} }

// Register routes method (exact, case-sensitive) to fn.
func (r *Router) Register(method string, fn Func) error {
	if method == "" || fn == nil {
		return fmt.Errorf("rpcroute: empty method or nil func")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.methods[method]; dup {
		return fmt.Errorf("rpcroute: method %q already registered", method)
	}
	r.methods[method] = fn
	return nil
}

// MustRegister is Register that panics on error; it returns r.
func (r *Router) MustRegister(method string, fn Func) *Router {
	if err := r.Register(method, fn); err != nil {
		panic(err)
	}
	return r
}

// HTTP routes "verb:uri" methods that have no name route to h.
func (r *Router) HTTP(h http.Handler) *Router {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.http = h
	return r
}

// Handle implements bridge.Service.
func (r *Router) Handle(ctx context.Context, req bridge.Request) error {
	rpc, ok := req.(*bridge.RPCRequest)
	if !ok {
		return fmt.Errorf("rpcroute: router called with a %s request", req.Type())
	}
	r.mu.RLock()
	fn, h := r.methods[rpc.Method], r.http
	r.mu.RUnlock()
	switch {
	case fn != nil:
		return call(ctx, fn, rpc)
	case h != nil && strings.Contains(rpc.Method, ":"):
		return serveHTTP(ctx, h, rpc)
	}
	return rpc.Error(CodeMethodNotFound, "method not found", false)
}

// call runs a name route.
func call(ctx context.Context, fn Func, req *bridge.RPCRequest) error {
	v, err := fn(ctx, req)
	if err != nil || req.Answered() {
		return err
	}
	var data []byte
	switch d := v.(type) {
	case nil:
	case []byte:
		data = d
	case json.RawMessage:
		data = d
	default:
		if data, err = json.Marshal(v); err != nil {
			return fmt.Errorf("rpcroute: encoding the result of %q: %w", req.Method, err)
		}
	}
	return req.Respond(bridge.RPCResult{Data: data})
}

// Result is the RPC data of a "verb:uri" call.
type Result struct {
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body"`
}

var verbs = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true,
	http.MethodPut: true, http.MethodPatch: true, http.MethodDelete: true,
}

// serveHTTP runs a "verb:uri" call through h.
func serveHTTP(ctx context.Context, h http.Handler, req *bridge.RPCRequest) error {
	verb, uri, _ := strings.Cut(req.Method, ":")
	verb = strings.ToUpper(verb)
	uri = strings.TrimLeft(uri, "/")
	if !verbs[verb] {
		return req.Error(CodeBadRequest, "unsupported method "+strconv.Quote(verb), false)
	}
	if uri == "" {
		return req.Error(CodeBadRequest, `method must be in the format "verb:uri"`, false)
	}
	u, err := url.Parse("/" + uri)
	if err != nil {
		return req.Error(CodeBadRequest, "invalid uri", false)
	}
	var body []byte
	if verb == http.MethodGet || verb == http.MethodHead {
		q, err := query(req.Data, u.Query())
		if err != nil {
			return req.Error(CodeBadRequest, err.Error(), false)
		}
		u.RawQuery = q.Encode()
	} else {
		body = req.Data
	}
	hr, err := http.NewRequestWithContext(ctx, verb, u.String(), bytes.NewReader(body))
	if err != nil {
		return req.Error(CodeBadRequest, "invalid uri", false)
	}
	hr.RequestURI = u.RequestURI()
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("X-Gyre-User", req.User)
	hr.Header.Set("X-Gyre-Client", req.Client)
	rec := newRecorder()
	h.ServeHTTP(rec, hr)
	res := Result{Status: rec.status(), Body: jsonBody(rec.body.Bytes())}
	data, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("rpcroute: encoding the HTTP result: %w", err)
	}
	return req.Respond(bridge.RPCResult{Data: data})
}

// jsonBody returns b when it is JSON, b as a JSON string otherwise, null
// when empty.
func jsonBody(b []byte) json.RawMessage {
	t := bytes.TrimSpace(b)
	if len(t) == 0 {
		return json.RawMessage("null")
	}
	if json.Valid(t) {
		return t
	}
	s, _ := json.Marshal(string(b)) // cannot fail for a string
	return s
}

// query adds the fields of a JSON object to q.
func query(data []byte, q url.Values) (url.Values, error) {
	if len(bytes.TrimSpace(data)) == 0 || string(bytes.TrimSpace(data)) == "null" {
		return q, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, fmt.Errorf("data must be a JSON object for GET and HEAD")
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		raw := obj[k]
		var arr []json.RawMessage
		if json.Unmarshal(raw, &arr) == nil {
			for _, v := range arr {
				q.Add(k, scalar(v))
			}
			continue
		}
		q.Add(k, scalar(raw))
	}
	return q, nil
}

// scalar renders a JSON value as a query value.
func scalar(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(bytes.TrimSpace(raw))
}

// recorder is a minimal http.ResponseWriter (httptest stays out of
// production code).
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.body.Write(b)
}

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

func (r *recorder) status() int {
	if r.code == 0 {
		return http.StatusOK
	}
	return r.code
}
