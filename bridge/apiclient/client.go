package apiclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/gyrehq/gyre/bridge"
	"github.com/gyrehq/gyre/bridge/apipb"
)

// Error is the server's in-band API error (for example 102 unknown
// channel, 108 not available).
type Error struct {
	Code    uint32
	Message string
}

// Error implements error.
func (e *Error) Error() string { return fmt.Sprintf("api error %d: %s", e.Code, e.Message) }

// DefaultTimeout bounds each call when WithTimeout is not given.
const DefaultTimeout = 10 * time.Second

// maxResponse bounds HTTP response bodies.
const maxResponse = 64 << 20

// Option configures a Client.
type Option interface{ apply(*options) }

type options struct {
	apiKey     string
	timeout    time.Duration
	compress   bool
	tlsConfig  *tls.Config
	certFile   string
	keyFile    string
	httpClient *http.Client
	dialOpts   []grpc.DialOption
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

// WithAPIKey sends key with every call: gRPC metadata "authorization:
// apikey <key>", HTTP header "X-API-Key".
func WithAPIKey(key string) Option { return optionFunc(func(o *options) { o.apiKey = key }) }

// WithTimeout bounds each call (on top of the caller's context); zero or
// negative means DefaultTimeout.
func WithTimeout(d time.Duration) Option { return optionFunc(func(o *options) { o.timeout = d }) }

// WithCompressor gzips gRPC calls (the seed's use_compressor).
func WithCompressor(on bool) Option { return optionFunc(func(o *options) { o.compress = on }) }

// WithTLS uses TLS with a client certificate (the seed's tls.cert/key)
// and the system roots.
func WithTLS(certFile, keyFile string) Option {
	return optionFunc(func(o *options) { o.certFile, o.keyFile = certFile, keyFile })
}

// WithTLSConfig uses TLS configured by c.
func WithTLSConfig(c *tls.Config) Option { return optionFunc(func(o *options) { o.tlsConfig = c }) }

// WithHTTPClient sets the HTTP client of an HTTP Client.
func WithHTTPClient(c *http.Client) Option { return optionFunc(func(o *options) { o.httpClient = c }) }

// WithDialOptions adds gRPC dial options.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return optionFunc(func(o *options) { o.dialOpts = append(o.dialOpts, opts...) })
}

func (o *options) tls() (*tls.Config, error) {
	if o.tlsConfig != nil {
		return o.tlsConfig, nil
	}
	if o.certFile == "" && o.keyFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(o.certFile, o.keyFile)
	if err != nil {
		return nil, fmt.Errorf("apiclient: failed to load TLS key pair: %w", err)
	}
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: roots, MinVersion: tls.VersionTLS12}, nil
}

// Client calls the server API.
type Client struct {
	opts    options
	conn    *grpc.ClientConn
	grpc    apipb.CentrifugoApiClient
	baseURL string
	http    *http.Client
	ownHTTP bool
}

func newOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt.apply(&o)
	}
	if o.timeout <= 0 {
		o.timeout = DefaultTimeout
	}
	return o
}

// NewGRPC returns a Client of the gRPC API at address (host:port; a
// leading tcp:// or grpc:// is stripped). It connects lazily.
func NewGRPC(address string, opts ...Option) (*Client, error) {
	o := newOptions(opts)
	target := strings.TrimPrefix(strings.TrimPrefix(address, "tcp://"), "grpc://")
	if target == "" {
		return nil, errors.New("apiclient: empty gRPC API address")
	}
	tc, err := o.tls()
	if err != nil {
		return nil, err
	}
	creds := insecure.NewCredentials()
	if tc != nil {
		creds = credentials.NewTLS(tc)
	}
	dial := []grpc.DialOption{grpc.WithTransportCredentials(creds)}
	if o.compress {
		dial = append(dial, grpc.WithDefaultCallOptions(grpc.UseCompressor(gzip.Name)))
	}
	dial = append(dial, o.dialOpts...)
	conn, err := grpc.NewClient(target, dial...)
	if err != nil {
		return nil, fmt.Errorf("apiclient: %w", err)
	}
	return &Client{opts: o, conn: conn, grpc: apipb.NewCentrifugoApiClient(conn)}, nil
}

// NewHTTP returns a Client of the HTTP API at baseURL (for example
// http://127.0.0.1:8000/api); method m is posted to baseURL/m.
func NewHTTP(baseURL string, opts ...Option) (*Client, error) {
	o := newOptions(opts)
	if !strings.HasPrefix(baseURL, "http://") && !strings.HasPrefix(baseURL, "https://") {
		return nil, fmt.Errorf("apiclient: HTTP API address must be an http:// or https:// URL, got %q", baseURL)
	}
	c := &Client{opts: o, baseURL: strings.TrimSuffix(baseURL, "/"), http: o.httpClient}
	if c.http == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tc, err := o.tls()
		if err != nil {
			return nil, err
		}
		if tc != nil {
			tr.TLSClientConfig = tc
		}
		c.http = &http.Client{Transport: tr}
		c.ownHTTP = true
	}
	return c, nil
}

// FromConfig returns a gRPC Client when cfg.GRPCAPIAddress is set,
// otherwise an HTTP Client of cfg.HTTPAPIAddress, with cfg's API key,
// timeout, compressor and TLS; opts are applied after them.
func FromConfig(cfg bridge.Config, opts ...Option) (*Client, error) {
	base := []Option{WithAPIKey(cfg.APIKey), WithTimeout(cfg.APITimeout), WithCompressor(cfg.UseCompressor)}
	if cfg.TLS != nil {
		base = append(base, WithTLS(cfg.TLS.Cert, cfg.TLS.Key))
	}
	opts = append(base, opts...)
	if cfg.GRPCAPIAddress != "" {
		return NewGRPC(cfg.GRPCAPIAddress, opts...)
	}
	if cfg.HTTPAPIAddress != "" {
		return NewHTTP(cfg.HTTPAPIAddress, opts...)
	}
	return nil, errors.New("apiclient: config has neither grpc_api_address nor http_api_address")
}

// Close releases the connection (gRPC) or idle connections (HTTP).
func (c *Client) Close() error {
	if c.conn != nil {
		return c.conn.Close()
	}
	if c.ownHTTP {
		c.http.CloseIdleConnections()
	}
	return nil
}

// response is what every XxxResponse message has.
type response[R any] interface {
	proto.Message
	GetError() *apipb.Error
	GetResult() R
}

// grpcFunc is a generated client method.
type grpcFunc[Req, Resp any] func(apipb.CentrifugoApiClient, context.Context, Req, ...grpc.CallOption) (Resp, error)

// invoke makes one call over the Client's transport and returns the
// result or the in-band error.
func invoke[Req proto.Message, Resp response[Res], Res any](ctx context.Context, c *Client, path string, req Req, newResp func() Resp, g grpcFunc[Req, Resp]) (Res, error) {
	var zero Res
	resp, err := roundTrip(ctx, c, path, req, newResp, g)
	if err != nil {
		return zero, err
	}
	if e := resp.GetError(); e != nil && e.GetCode() != 0 {
		return zero, &Error{Code: e.GetCode(), Message: e.GetMessage()}
	}
	return resp.GetResult(), nil
}

func roundTrip[Req proto.Message, Resp proto.Message](ctx context.Context, c *Client, path string, req Req, newResp func() Resp, g grpcFunc[Req, Resp]) (Resp, error) {
	var zero Resp
	ctx, cancel := context.WithTimeout(ctx, c.opts.timeout)
	defer cancel()
	if c.grpc != nil {
		if c.opts.apiKey != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "apikey "+c.opts.apiKey)
		}
		resp, err := g(c.grpc, ctx, req)
		if err != nil {
			return zero, fmt.Errorf("apiclient: %s: %w", path, err)
		}
		return resp, nil
	}
	body, err := marshalJSON(req)
	if err != nil {
		return zero, fmt.Errorf("apiclient: %s: encoding request: %w", path, err)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.baseURL+"/"+path, bytes.NewReader(body))
	if err != nil {
		return zero, fmt.Errorf("apiclient: %s: %w", path, err)
	}
	hr.Header.Set("Content-Type", "application/json")
	if c.opts.apiKey != "" {
		hr.Header.Set("X-API-Key", c.opts.apiKey)
	}
	r, err := c.http.Do(hr)
	if err != nil {
		return zero, fmt.Errorf("apiclient: %s: %w", path, err)
	}
	defer r.Body.Close()
	data, err := io.ReadAll(io.LimitReader(r.Body, maxResponse))
	if err != nil {
		return zero, fmt.Errorf("apiclient: %s: reading response: %w", path, err)
	}
	if r.StatusCode != http.StatusOK {
		return zero, fmt.Errorf("apiclient: %s: unexpected HTTP status %d", path, r.StatusCode)
	}
	resp := newResp()
	if err := unmarshalJSON(data, resp); err != nil {
		return zero, fmt.Errorf("apiclient: %s: decoding response: %w", path, err)
	}
	return resp, nil
}

// Batch sends several commands in one call; replies come in order, each
// with its own error.
func (c *Client) Batch(ctx context.Context, req *apipb.BatchRequest) (*apipb.BatchResponse, error) {
	return roundTrip(ctx, c, "batch", req, func() *apipb.BatchResponse { return &apipb.BatchResponse{} }, apipb.CentrifugoApiClient.Batch)
}
