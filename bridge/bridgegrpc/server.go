package bridgegrpc

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	_ "google.golang.org/grpc/encoding/gzip" // accept and answer gzip-compressed calls

	"github.com/gyrehq/gyre/bridge"
	"github.com/gyrehq/gyre/bridge/proxypb"
)

// Listen opens a listener for address: tcp://host:port, host:port or
// unix:///path. For a unix socket a stale socket file is removed first (a
// regular file is not).
func Listen(address string) (net.Listener, error) {
	network, addr, err := bridge.ParseAddress(address)
	if err != nil {
		return nil, fmt.Errorf("bridgegrpc: %w", err)
	}
	if network == "unix" {
		if fi, err := os.Lstat(addr); err == nil && fi.Mode()&fs.ModeSocket != 0 {
			_ = os.Remove(addr)
		}
	}
	l, err := net.Listen(network, addr)
	if err != nil {
		return nil, fmt.Errorf("bridgegrpc: failed to listen on %s: %w", address, err)
	}
	return l, nil
}

// Service returns b as the proxypb service (b.ProxyServer()).
func Service(b *bridge.Bridge) proxypb.CentrifugoProxyServer { return b.ProxyServer() }

// Option configures New.
type Option interface{ apply(*options) }

type options struct {
	tlsConfig *tls.Config
	certFile  string
	keyFile   string
	grpcOpts  []grpc.ServerOption
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

// WithTLS serves TLS with the certificate and key PEM files.
func WithTLS(certFile, keyFile string) Option {
	return optionFunc(func(o *options) { o.certFile, o.keyFile = certFile, keyFile })
}

// WithTLSConfig serves TLS with c (for mTLS, set c.ClientAuth and
// c.ClientCAs).
func WithTLSConfig(c *tls.Config) Option {
	return optionFunc(func(o *options) { o.tlsConfig = c })
}

// WithServerOptions adds gRPC server options (interceptors, limits, …).
func WithServerOptions(opts ...grpc.ServerOption) Option {
	return optionFunc(func(o *options) { o.grpcOpts = append(o.grpcOpts, opts...) })
}

// Server is a gRPC server with the bridge's proxy service registered.
type Server struct {
	srv *grpc.Server
}

// New returns a Server for b.
func New(b *bridge.Bridge, opts ...Option) (*Server, error) {
	if b == nil {
		return nil, errors.New("bridgegrpc: nil bridge")
	}
	var o options
	for _, opt := range opts {
		opt.apply(&o)
	}
	grpcOpts := append([]grpc.ServerOption(nil), o.grpcOpts...)
	switch {
	case o.tlsConfig != nil:
		grpcOpts = append(grpcOpts, grpc.Creds(credentials.NewTLS(o.tlsConfig)))
	case o.certFile != "" || o.keyFile != "":
		cert, err := tls.LoadX509KeyPair(o.certFile, o.keyFile)
		if err != nil {
			return nil, fmt.Errorf("bridgegrpc: failed to load TLS key pair: %w", err)
		}
		grpcOpts = append(grpcOpts, grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})))
	}
	s := &Server{srv: grpc.NewServer(grpcOpts...)}
	proxypb.RegisterCentrifugoProxyServer(s.srv, b.ProxyServer())
	return s, nil
}

// FromConfig returns a Server configured by cfg: TLS from cfg.TLS. (The
// bridge's own timeout comes from bridge.WithTimeout(cfg.ProxyTimeout).)
func FromConfig(b *bridge.Bridge, cfg bridge.Config, opts ...Option) (*Server, error) {
	if cfg.TLS != nil {
		opts = append([]Option{WithTLS(cfg.TLS.Cert, cfg.TLS.Key)}, opts...)
	}
	return New(b, opts...)
}

// GRPC returns the underlying gRPC server, e.g. to register more services
// before serving.
func (s *Server) GRPC() *grpc.Server { return s.srv }

// Serve serves on l until Shutdown; it returns nil after a Shutdown.
func (s *Server) Serve(l net.Listener) error {
	if err := s.srv.Serve(l); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return fmt.Errorf("bridgegrpc: %w", err)
	}
	return nil
}

// ListenAndServe listens on address (see Listen) and serves.
func (s *Server) ListenAndServe(address string) error {
	l, err := Listen(address)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// Shutdown stops accepting calls and waits for running ones; when ctx ends
// first, it stops the server hard and returns ctx.Err().
func (s *Server) Shutdown(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		s.srv.GracefulStop()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.srv.Stop()
		<-done
		return ctx.Err()
	}
}
