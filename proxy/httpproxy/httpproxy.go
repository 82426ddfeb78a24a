package httpproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"strings"
	"time"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/config"
)

// ErrProxyFailed is wrapped by every error of a proxy call that did not
// produce an answer of the application: the backend is down or too slow,
// answered with a status other than 200, or sent a body that is not the
// contract. The server turns such errors into an internal error for the
// client and logs them.
var ErrProxyFailed = errors.New("proxy call failed")

// DefaultTimeout bounds a call when Config.Timeout is not positive.
const DefaultTimeout = time.Second

// MaxResponseSize is the largest response body accepted; longer bodies make
// the call fail.
const MaxResponseSize = 4 << 20

// StatusTransform maps an HTTP status of the backend's response to what the
// client gets instead of an internal error: Error when it is not nil,
// otherwise Disconnect.
type StatusTransform struct {
	StatusCode int
	Error      *gyre.Error
	Disconnect *gyre.Disconnect
}

// Config configures a Proxy.
type Config struct {
	// Name identifies the proxy in errors ("default" or a proxies[].name).
	Name string
	// Endpoint is the http:// or https:// URL requests are posted to.
	Endpoint string
	// Timeout bounds each call, on top of the caller's context;
	// DefaultTimeout when not positive.
	Timeout time.Duration
	// HTTPHeaders lists the client's HTTP request headers forwarded to the
	// backend, matched case-insensitively.
	HTTPHeaders []string
	// StaticHeaders are set on every request; forwarded client headers
	// with the same name replace them.
	StaticHeaders map[string]string
	// BinaryEncoding sends payloads as base64 (b64data) and
	// "encoding":"binary" instead of raw JSON.
	BinaryEncoding bool
	// IncludeConnectionMeta sends the connection meta with every request
	// except connect.
	IncludeConnectionMeta bool
	// StatusTransforms map statuses other than 200 to client errors or
	// disconnects.
	StatusTransforms []StatusTransform
	// Client sends the requests; nil means a client of the Proxy's own
	// (closed by Proxy.Close) that does not follow redirects.
	Client *http.Client
}

// FromConfig builds the Config of an HTTP proxy from its configuration
// object; name is "default" for the channel.proxy.*, rpc.proxy and
// client.proxy.* objects, or the proxies[].name.
func FromConfig(name string, p config.Proxy) Config {
	c := Config{
		Name:                  name,
		Endpoint:              p.Endpoint,
		Timeout:               p.EffectiveTimeout(),
		HTTPHeaders:           p.HTTPHeaders,
		StaticHeaders:         p.HTTP.StaticHeaders,
		BinaryEncoding:        p.BinaryEncoding,
		IncludeConnectionMeta: p.IncludeConnectionMeta,
	}
	for _, t := range p.HTTP.StatusToCodeTransforms {
		st := StatusTransform{StatusCode: t.StatusCode}
		if t.ToError.Code != 0 {
			st.Error = &gyre.Error{Code: uint32(t.ToError.Code), Message: t.ToError.Message, Temporary: t.ToError.Temporary}
		} else {
			st.Disconnect = &gyre.Disconnect{Code: uint32(t.ToDisconnect.Code), Reason: t.ToDisconnect.Reason}
		}
		c.StatusTransforms = append(c.StatusTransforms, st)
	}
	return c
}

// Proxy calls one HTTP endpoint of the application. It implements every
// proxy interface of the root package and is safe for concurrent use.
type Proxy struct {
	name        string
	endpoint    string
	timeout     time.Duration
	allowed     []string // lower-case header names
	static      http.Header
	binary      bool
	includeMeta bool
	transforms  map[int]error
	client      *http.Client
	ownClient   bool
}

// Compile-time checks that Proxy implements every proxy interface.
var (
	_ gyre.ConnectProxy    = (*Proxy)(nil)
	_ gyre.RefreshProxy    = (*Proxy)(nil)
	_ gyre.SubscribeProxy  = (*Proxy)(nil)
	_ gyre.PublishProxy    = (*Proxy)(nil)
	_ gyre.SubRefreshProxy = (*Proxy)(nil)
	_ gyre.RPCProxy        = (*Proxy)(nil)
)

// New checks cfg and returns a Proxy.
func New(cfg Config) (*Proxy, error) {
	lower := strings.ToLower(cfg.Endpoint)
	if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
		return nil, fmt.Errorf("httpproxy %q: endpoint must be an http:// or https:// URL, got %q", cfg.Name, cfg.Endpoint)
	}
	if _, err := http.NewRequest(http.MethodPost, cfg.Endpoint, nil); err != nil {
		return nil, fmt.Errorf("httpproxy %q: invalid endpoint: %v", cfg.Name, err)
	}
	p := &Proxy{
		name:        cfg.Name,
		endpoint:    cfg.Endpoint,
		timeout:     cfg.Timeout,
		static:      http.Header{},
		binary:      cfg.BinaryEncoding,
		includeMeta: cfg.IncludeConnectionMeta,
		transforms:  map[int]error{},
		client:      cfg.Client,
	}
	if p.timeout <= 0 {
		p.timeout = DefaultTimeout
	}
	for _, h := range cfg.HTTPHeaders {
		p.allowed = append(p.allowed, strings.ToLower(h))
	}
	for k, v := range cfg.StaticHeaders {
		p.static.Set(k, v)
	}
	for _, t := range cfg.StatusTransforms {
		if _, dup := p.transforms[t.StatusCode]; dup {
			continue // the first transform of a status wins
		}
		switch {
		case t.Error != nil:
			p.transforms[t.StatusCode] = *t.Error
		case t.Disconnect != nil:
			p.transforms[t.StatusCode] = *t.Disconnect
		}
	}
	if p.client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64
		p.client = &http.Client{
			Transport:     tr,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
		p.ownClient = true
	}
	return p, nil
}

// Name returns the proxy's name.
func (p *Proxy) Name() string { return p.name }

// Close releases the idle connections of the Proxy's own HTTP client. Calls
// made after Close still work (they open new connections).
func (p *Proxy) Close() error {
	if p.ownClient {
		p.client.CloseIdleConnections()
	}
	return nil
}

// fail wraps a reason into an ErrProxyFailed error naming the proxy and the
// event.
func (p *Proxy) fail(event string, err error) error {
	return fmt.Errorf("%w: httpproxy %q %s: %w", ErrProxyFailed, p.name, event, err)
}

// encoding is the request's "encoding" field.
func (p *Proxy) encoding() string {
	if p.binary {
		return "binary"
	}
	return "json"
}

// headers returns the request headers: static ones first, then the
// allow-listed headers of the client, then Content-Type.
func (p *Proxy) headers(client map[string][]string) http.Header {
	h := p.static.Clone()
	if h == nil {
		h = http.Header{}
	}
	for k, vv := range client {
		lk := strings.ToLower(k)
		allowed := false
		for _, a := range p.allowed {
			if a == lk {
				allowed = true
				break
			}
		}
		if !allowed || len(vv) == 0 {
			continue
		}
		ck := textproto.CanonicalMIMEHeaderKey(k)
		h.Del(ck)
		for _, v := range vv {
			h.Add(ck, v)
		}
	}
	h.Set("Content-Type", "application/json")
	return h
}

// call posts req and decodes the 200 response body into resp. A status
// mapped by a StatusTransform returns the mapped gyre.Error or
// gyre.Disconnect; every other failure wraps ErrProxyFailed.
func (p *Proxy) call(ctx context.Context, event string, client map[string][]string, req, resp any) error {
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(req); err != nil {
		// Only raw JSON payloads can fail: data or meta that is not JSON.
		return p.fail(event, errors.New("request payload is not valid JSON (enable binary_encoding for binary payloads)"))
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, p.endpoint, &body)
	if err != nil {
		return p.fail(event, err)
	}
	hr.Header = p.headers(client)
	r, err := p.client.Do(hr)
	if err != nil {
		return p.fail(event, err)
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 64<<10)) // let the connection be reused
		r.Body.Close()
	}()
	if r.StatusCode != http.StatusOK {
		if mapped, ok := p.transforms[r.StatusCode]; ok {
			return mapped
		}
		return p.fail(event, fmt.Errorf("unexpected HTTP status %d", r.StatusCode))
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, MaxResponseSize+1))
	if err != nil {
		return p.fail(event, fmt.Errorf("reading the response: %w", err))
	}
	if len(data) > MaxResponseSize {
		return p.fail(event, fmt.Errorf("response larger than %d bytes", MaxResponseSize))
	}
	if err := decodeResponse(data, resp); err != nil {
		return p.fail(event, err)
	}
	return nil
}

// decodeResponse unmarshals a response body, which must be a JSON object.
func decodeResponse(data []byte, resp any) error {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return errors.New("invalid response: not a JSON object")
	}
	if err := json.Unmarshal(data, resp); err != nil {
		return fmt.Errorf("invalid response: %w", err)
	}
	return nil
}

// exchange makes one call and returns the result of the response, or the
// application's Disconnect or Error.
func exchange[T any](ctx context.Context, p *Proxy, event string, client map[string][]string, req any) (*T, error) {
	var resp response[T]
	if err := p.call(ctx, event, client, req, &resp); err != nil {
		return nil, err
	}
	if d := resp.Disconnect; d != nil {
		if d.Code == 0 {
			return nil, p.fail(event, errors.New("invalid response: disconnect without a code"))
		}
		return nil, gyre.Disconnect{Code: d.Code, Reason: d.Reason}
	}
	if e := resp.Error; e != nil {
		if e.Code == 0 {
			return nil, p.fail(event, errors.New("invalid response: error without a code"))
		}
		return nil, gyre.Error{Code: e.Code, Message: e.Message, Temporary: e.Temporary}
	}
	return resp.Result, nil
}
