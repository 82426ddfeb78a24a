// Package server is Gyre's public face for running a server in-process:
// build it from a config, run it, and let it shut down when the context
// ends. cmd/gyre and embedding applications use the same API.
package server

import (
	"context"
	"log/slog"
	"net"

	"github.com/gyrehq/gyre/bridge/proxypb"
	"github.com/gyrehq/gyre/config"
	"github.com/gyrehq/gyre/internal/app"
	"github.com/gyrehq/gyre/node"
)

// Version is Gyre's version, set at build time with
// -ldflags "-X github.com/gyrehq/gyre/server.Version=v1.2.3".
var Version = "0.1.0-dev"

// Options tune New.
type Options struct {
	// Logger; nil discards logs.
	Logger *slog.Logger
	// Bridge is an application bridge running in this process (the bridge
	// package's ProxyServer). Proxies configured with endpoint "embedded"
	// call it directly, with no network hop.
	Bridge proxypb.CentrifugoProxyServer
}

// Server is a Gyre server built from a configuration.
type Server struct {
	app *app.App
}

// New validates cfg and builds a server.
func New(cfg *config.Config, opts Options) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a, err := app.Build(cfg, app.Options{Logger: opts.Logger, Version: Version, Bridge: opts.Bridge})
	if err != nil {
		return nil, err
	}
	return &Server{app: a}, nil
}

// Run serves until ctx is cancelled, then shuts down gracefully: clients are
// disconnected with 3001 (shutdown) and reconnect elsewhere.
func (s *Server) Run(ctx context.Context) error { return s.app.Run(ctx) }

// Addr returns the client listener's address; it blocks until Run listens.
func (s *Server) Addr() net.Addr { return s.app.Addr() }

// InternalAddr returns the address serving the API, metrics and health.
func (s *Server) InternalAddr() net.Addr { return s.app.InternalAddr() }

// GRPCAddr returns the gRPC API's address (nil when grpc_api is off).
func (s *Server) GRPCAddr() net.Addr { return s.app.GRPCAddr() }

// Node returns the engine, for publishing in-process.
func (s *Server) Node() *node.Node { return s.app.Node() }
