package bridgehttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc/metadata"

	"github.com/gyrehq/gyre/bridge"
	"github.com/gyrehq/gyre/bridge/proxypb"
)

// DefaultTimeout is the handler deadline when WithTimeout is not given:
// the server's default proxy timeout.
const DefaultTimeout = time.Second

// DefaultMaxBodySize bounds request bodies when WithMaxBodySize is not
// given.
const DefaultMaxBodySize = 4 << 20

// Option configures New.
type Option interface{ apply(*handler) }

type optionFunc func(*handler)

func (f optionFunc) apply(h *handler) { f(h) }

// WithTimeout sets the handler's context deadline: use the proxy's
// configured "timeout". Zero or negative keeps DefaultTimeout.
func WithTimeout(d time.Duration) Option {
	return optionFunc(func(h *handler) {
		if d > 0 {
			h.timeout = d
		}
	})
}

// WithMaxBodySize bounds request bodies (default DefaultMaxBodySize).
func WithMaxBodySize(n int64) Option {
	return optionFunc(func(h *handler) {
		if n > 0 {
			h.maxBody = n
		}
	})
}

type handler struct {
	srv     proxypb.CentrifugoProxyServer
	timeout time.Duration
	maxBody int64
}

// New returns an http.Handler serving b's proxy endpoints.
func New(b *bridge.Bridge, opts ...Option) http.Handler {
	h := &handler{srv: b.ProxyServer(), timeout: DefaultTimeout, maxBody: DefaultMaxBodySize}
	for _, o := range opts {
		o.apply(h)
	}
	return h
}

// typeOf returns the request type served at path.
func typeOf(path string) (bridge.RequestType, bool) {
	seg := strings.TrimSuffix(path, "/")
	if i := strings.LastIndex(seg, "/"); i >= 0 {
		seg = seg[i+1:]
	}
	t, err := bridge.ParseRequestType(seg)
	return t, err == nil
}

var errBadRequest = errors.New("bad request")

// ServeHTTP implements http.Handler.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t, ok := typeOf(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		http.Error(w, "request body too large or unreadable", http.StatusBadRequest)
		return
	}
	var req request
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		http.Error(w, "bad request: body is not a proxy request", http.StatusBadRequest)
		return
	}
	md := metadata.MD{}
	for k, v := range r.Header {
		md[strings.ToLower(k)] = v
	}
	ctx, cancel := context.WithTimeout(metadata.NewIncomingContext(r.Context(), md), h.timeout)
	defer cancel()
	resp, err := h.dispatch(ctx, t, &req)
	if err != nil {
		http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
		return
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(resp); err != nil {
		// Only invalid raw JSON can fail, and pair/rawJSON prevent it.
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(buf.Bytes())
}

// verdict is what every XxxResponse message has.
type verdict interface {
	GetError() *proxypb.Error
	GetDisconnect() *proxypb.Disconnect
}

func envelope(v verdict, result any) response {
	if d := v.GetDisconnect(); d != nil {
		return response{Disconnect: &disconnectJSON{Code: d.GetCode(), Reason: d.GetReason()}}
	}
	if e := v.GetError(); e != nil {
		return response{Error: &errorJSON{Code: e.GetCode(), Message: e.GetMessage(), Temporary: e.GetTemporary()}}
	}
	return response{Result: result}
}

// data returns the request payload bytes (raw JSON) and the b64 field.
func (r *request) data() []byte {
	if len(r.Data) == 0 || bytes.Equal(r.Data, []byte("null")) {
		return nil
	}
	return r.Data
}

func (r *request) meta() []byte {
	if len(r.Meta) == 0 || bytes.Equal(r.Meta, []byte("null")) {
		return nil
	}
	return r.Meta
}

// dispatch converts the JSON request to the proxypb request, calls the
// bridge and converts the answer back.
func (h *handler) dispatch(ctx context.Context, t bridge.RequestType, r *request) (response, error) {
	b := r.baseRequest
	switch t {
	case bridge.Connect:
		resp, err := h.srv.Connect(ctx, &proxypb.ConnectRequest{Client: b.Client, Transport: b.Transport, Protocol: b.Protocol, Encoding: b.Encoding,
			Data: r.data(), B64Data: r.B64Data, Name: r.Name, Version: r.Version, Channels: r.Channels})
		if err != nil {
			return response{}, errBadRequest
		}
		var res any
		if resp.GetResult() != nil {
			res = connectResultOf(resp.GetResult())
		}
		return envelope(resp, res), nil
	case bridge.Refresh:
		resp, err := h.srv.Refresh(ctx, &proxypb.RefreshRequest{Client: b.Client, Transport: b.Transport, Protocol: b.Protocol, Encoding: b.Encoding,
			User: r.User, Meta: r.meta()})
		if err != nil {
			return response{}, errBadRequest
		}
		var res any
		if rr := resp.GetResult(); rr != nil {
			out := &refreshResultJSON{Expired: rr.GetExpired(), ExpireAt: rr.GetExpireAt(), Meta: rawJSON(rr.GetMeta()), Caps: capsOf(rr.GetCaps())}
			out.Info, out.B64Info = pair(rr.GetInfo(), rr.GetB64Info())
			res = out
		}
		return envelope(resp, res), nil
	case bridge.Subscribe:
		resp, err := h.srv.Subscribe(ctx, &proxypb.SubscribeRequest{Client: b.Client, Transport: b.Transport, Protocol: b.Protocol, Encoding: b.Encoding,
			User: r.User, Channel: r.Channel, Token: r.Token, Meta: r.meta(), Data: r.data(), B64Data: r.B64Data})
		if err != nil {
			return response{}, errBadRequest
		}
		var res any
		if resp.GetResult() != nil {
			res = subscribeResultOf(resp.GetResult())
		}
		return envelope(resp, res), nil
	case bridge.Publish:
		resp, err := h.srv.Publish(ctx, &proxypb.PublishRequest{Client: b.Client, Transport: b.Transport, Protocol: b.Protocol, Encoding: b.Encoding,
			User: r.User, Channel: r.Channel, Meta: r.meta(), Data: r.data(), B64Data: r.B64Data})
		if err != nil {
			return response{}, errBadRequest
		}
		var res any
		if pr := resp.GetResult(); pr != nil {
			out := &publishResultJSON{SkipHistory: pr.GetSkipHistory(), Tags: pr.GetTags(), IdempotencyKey: pr.GetIdempotencyKey(),
				Delta: pr.GetDelta(), Version: pr.GetVersion(), VersionEpoch: pr.GetVersionEpoch()}
			out.Data, out.B64Data = pair(pr.GetData(), pr.GetB64Data())
			res = out
		}
		return envelope(resp, res), nil
	case bridge.RPC:
		resp, err := h.srv.RPC(ctx, &proxypb.RPCRequest{Client: b.Client, Transport: b.Transport, Protocol: b.Protocol, Encoding: b.Encoding,
			User: r.User, Method: r.Method, Meta: r.meta(), Data: r.data(), B64Data: r.B64Data})
		if err != nil {
			return response{}, errBadRequest
		}
		var res any
		if rr := resp.GetResult(); rr != nil {
			out := &rpcResultJSON{}
			out.Data, out.B64Data = pair(rr.GetData(), rr.GetB64Data())
			res = out
		}
		return envelope(resp, res), nil
	default: // bridge.SubRefresh
		resp, err := h.srv.SubRefresh(ctx, &proxypb.SubRefreshRequest{Client: b.Client, Transport: b.Transport, Protocol: b.Protocol, Encoding: b.Encoding,
			User: r.User, Channel: r.Channel, Meta: r.meta()})
		if err != nil {
			return response{}, errBadRequest
		}
		var res any
		if sr := resp.GetResult(); sr != nil {
			out := &subRefreshResultJSON{Expired: sr.GetExpired(), ExpireAt: sr.GetExpireAt()}
			out.Info, out.B64Info = pair(sr.GetInfo(), sr.GetB64Info())
			res = out
		}
		return envelope(resp, res), nil
	}
}
