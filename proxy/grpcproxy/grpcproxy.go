package grpcproxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/metadata"

	"github.com/gyrehq/gyre"
	"github.com/gyrehq/gyre/bridge/proxypb"
	"github.com/gyrehq/gyre/config"
	"github.com/gyrehq/gyre/proxy/httpproxy"
)

// ErrProxyFailed is wrapped by every error of a call that did not produce
// an answer of the application. It is the same value as
// httpproxy.ErrProxyFailed, so one errors.Is check covers both transports.
var ErrProxyFailed = httpproxy.ErrProxyFailed

// DefaultTimeout bounds a call when Config.Timeout is not positive.
const DefaultTimeout = time.Second

// errClosed is the reason of calls made after Close.
var errClosed = errors.New("proxy closed")

// Config configures a Proxy.
type Config struct {
	// Name identifies the proxy in errors ("default" or a proxies[].name).
	Name string
	// Endpoint is grpc://host:port or host:port.
	Endpoint string
	// Timeout bounds each call, on top of the caller's context;
	// DefaultTimeout when not positive.
	Timeout time.Duration
	// HTTPHeaders lists client headers (case-insensitive) sent as metadata
	// with lower-case keys.
	HTTPHeaders []string
	// GRPCMetadata lists metadata keys of the client forwarded as they are
	// (gRPC clients' metadata arrive in gyre.ProxyClient.Headers too).
	GRPCMetadata []string
	// StaticMetadata is sent with every call; forwarded client values with
	// the same key replace it.
	StaticMetadata map[string]string
	// CredentialsKey and CredentialsValue, when set, are sent as per-RPC
	// metadata with every call.
	CredentialsKey   string
	CredentialsValue string
	// Compression compresses requests with gzip.
	Compression bool
	// BinaryEncoding sends payloads base64-encoded in b64data with encoding
	// "binary" instead of in the bytes field data.
	BinaryEncoding bool
	// IncludeConnectionMeta sends the connection meta with every request
	// except connect.
	IncludeConnectionMeta bool
	// DialOptions are added to the defaults (plaintext transport, the
	// options above), for example grpc.WithTransportCredentials for TLS.
	DialOptions []grpc.DialOption
}

// FromConfig builds the Config of a gRPC proxy from its configuration
// object; name is "default" for the channel.proxy.*, rpc.proxy and
// client.proxy.* objects, or the proxies[].name.
func FromConfig(name string, p config.Proxy) Config {
	return Config{
		Name:                  name,
		Endpoint:              p.Endpoint,
		Timeout:               p.EffectiveTimeout(),
		HTTPHeaders:           p.HTTPHeaders,
		GRPCMetadata:          p.GRPCMetadata,
		StaticMetadata:        p.GRPC.StaticMetadata,
		CredentialsKey:        p.GRPC.CredentialsKey,
		CredentialsValue:      p.GRPC.CredentialsValue,
		Compression:           p.GRPC.Compression,
		BinaryEncoding:        p.BinaryEncoding,
		IncludeConnectionMeta: p.IncludeConnectionMeta,
	}
}

// Proxy calls one gRPC backend of the application. It implements every
// proxy interface of the root package and is safe for concurrent use.
type Proxy struct {
	name        string
	target      string
	timeout     time.Duration
	allowed     map[string]bool // lower-case header names and metadata keys
	static      metadata.MD
	binary      bool
	includeMeta bool
	opts        []grpc.DialOption

	mu     sync.Mutex
	conn   *grpc.ClientConn
	client proxypb.CentrifugoProxyClient
	closed bool
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

// Target returns the host:port of a gRPC proxy endpoint (grpc://host:port
// or host:port).
func Target(endpoint string) (string, error) {
	target := endpoint
	if len(endpoint) >= len("grpc://") && strings.EqualFold(endpoint[:len("grpc://")], "grpc://") {
		target = endpoint[len("grpc://"):]
	}
	host, port, err := net.SplitHostPort(target)
	if err != nil || host == "" && port == "" {
		return "", fmt.Errorf("endpoint must be grpc://host:port or host:port, got %q", endpoint)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("endpoint %q: port must be a number from 1 to 65535", endpoint)
	}
	return target, nil
}

// New checks cfg and returns a Proxy; the connection is opened by the
// first call.
func New(cfg Config) (*Proxy, error) {
	target, err := Target(cfg.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("grpcproxy %q: %v", cfg.Name, err)
	}
	p := &Proxy{
		name:        cfg.Name,
		target:      target,
		timeout:     cfg.Timeout,
		allowed:     map[string]bool{},
		static:      metadata.MD{},
		binary:      cfg.BinaryEncoding,
		includeMeta: cfg.IncludeConnectionMeta,
	}
	if p.timeout <= 0 {
		p.timeout = DefaultTimeout
	}
	for _, h := range cfg.HTTPHeaders {
		p.allowed[strings.ToLower(h)] = true
	}
	for _, k := range cfg.GRPCMetadata {
		p.allowed[strings.ToLower(k)] = true
	}
	for k, v := range cfg.StaticMetadata {
		p.static.Set(k, v) // Set lower-cases the key
	}
	p.opts = []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	if cfg.CredentialsKey != "" {
		p.opts = append(p.opts, grpc.WithPerRPCCredentials(rpcCredentials{key: strings.ToLower(cfg.CredentialsKey), value: cfg.CredentialsValue}))
	}
	if cfg.Compression {
		p.opts = append(p.opts, grpc.WithDefaultCallOptions(grpc.UseCompressor(gzip.Name)))
	}
	p.opts = append(p.opts, cfg.DialOptions...)
	return p, nil
}

// Name returns the proxy's name.
func (p *Proxy) Name() string { return p.name }

// Close closes the connection, if one was opened. Calls made after Close
// fail with ErrProxyFailed.
func (p *Proxy) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.conn == nil {
		return nil
	}
	err := p.conn.Close()
	p.conn, p.client = nil, nil
	return err
}

// rpcClient returns the service client, opening the connection on first
// use.
func (p *Proxy) rpcClient() (proxypb.CentrifugoProxyClient, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errClosed
	}
	if p.client == nil {
		conn, err := grpc.NewClient(p.target, p.opts...)
		if err != nil {
			return nil, err
		}
		p.conn, p.client = conn, proxypb.NewCentrifugoProxyClient(conn)
	}
	return p.client, nil
}

// fail wraps a reason into an ErrProxyFailed error naming the proxy and the
// event.
func (p *Proxy) fail(event string, err error) error {
	return fmt.Errorf("%w: grpcproxy %q %s: %w", ErrProxyFailed, p.name, event, err)
}

// encoding is the request's encoding field.
func (p *Proxy) encoding() string {
	if p.binary {
		return "binary"
	}
	return "json"
}

// outgoing returns ctx with the call's timeout and metadata: the static
// metadata, then the allow-listed client headers with lower-case keys.
func (p *Proxy) outgoing(ctx context.Context, headers map[string][]string) (context.Context, context.CancelFunc) {
	md := p.static.Copy()
	for k, vv := range headers {
		lk := strings.ToLower(k)
		if !p.allowed[lk] || len(vv) == 0 || !validKey(lk) {
			continue
		}
		md[lk] = append([]string(nil), vv...)
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	return metadata.NewOutgoingContext(ctx, md), cancel
}

// validKey reports whether k (lower case) may be sent as metadata: gRPC
// rejects other characters, and grpc- keys are reserved.
func validKey(k string) bool {
	if k == "" || strings.HasPrefix(k, "grpc-") {
		return false
	}
	for i := range len(k) {
		b := k[i]
		if !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-' || b == '_' || b == '.') {
			return false
		}
	}
	return true
}

// rpcCredentials sends the configured key/value with every call.
type rpcCredentials struct{ key, value string }

// GetRequestMetadata implements credentials.PerRPCCredentials.
func (c rpcCredentials) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{c.key: c.value}, nil
}

// RequireTransportSecurity implements credentials.PerRPCCredentials; the
// credentials are also sent over plaintext connections, as in Centrifugo.
func (rpcCredentials) RequireTransportSecurity() bool { return false }

// answer is what every XxxResponse message has.
type answer interface {
	GetError() *proxypb.Error
	GetDisconnect() *proxypb.Disconnect
}

// verdict returns the application's Disconnect or Error of a response, or
// nil when the response carries neither.
func (p *Proxy) verdict(event string, resp answer) error {
	if d := resp.GetDisconnect(); d != nil {
		if d.GetCode() == 0 {
			return p.fail(event, errors.New("invalid response: disconnect without a code"))
		}
		return gyre.Disconnect{Code: d.GetCode(), Reason: d.GetReason()}
	}
	if e := resp.GetError(); e != nil {
		if e.GetCode() == 0 {
			return p.fail(event, errors.New("invalid response: error without a code"))
		}
		return gyre.Error{Code: e.GetCode(), Message: e.GetMessage(), Temporary: e.GetTemporary()}
	}
	return nil
}

// call runs one unary RPC with the call's context and returns the
// response, the application's verdict, or a failure.
func call[Req any, Resp answer](ctx context.Context, p *Proxy, event string, headers map[string][]string, req *Req,
	rpc func(proxypb.CentrifugoProxyClient, context.Context, *Req, ...grpc.CallOption) (Resp, error)) (Resp, error) {
	var zero Resp
	client, err := p.rpcClient()
	if err != nil {
		return zero, p.fail(event, err)
	}
	ctx, cancel := p.outgoing(ctx, headers)
	defer cancel()
	resp, err := rpc(client, ctx, req)
	if err != nil {
		return zero, p.fail(event, err)
	}
	if err := p.verdict(event, resp); err != nil {
		return zero, err
	}
	return resp, nil
}
