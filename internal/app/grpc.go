package app

import (
	"context"
	"fmt"
	"github.com/gyrehq/gyre/internal/rawsock"
	"net"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/gyrehq/gyre/api"
	"github.com/gyrehq/gyre/api/grpcapi"
)

// service returns the transport-neutral API service, shared by the HTTP and
// gRPC adapters.
func (a *App) service() *api.Service {
	if a.apiService == nil {
		a.apiService = api.New(nodeBackend{n: a.node}, a.log)
	}
	return a.apiService
}

// startGRPC listens for the gRPC server API when grpc_api.enabled. It
// returns a stop function that drains calls within ctx.
func (a *App) startGRPC(errc chan<- error) (stop func(ctx context.Context), err error) {
	gc := a.cfg.GRPCAPI
	if !gc.Enabled {
		return func(context.Context) {}, nil
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(gc.Address, strconv.Itoa(gc.Port)))
	if err != nil {
		return nil, fmt.Errorf("failed to listen on grpc_api.port: %w", err)
	}
	ln = rawsock.Listener{Listener: ln}
	srv := grpcapi.NewServer(a.service(), grpcapi.Config{
		Key:                gc.Key,
		ErrorModeTransport: gc.ErrorMode == "transport",
		Observe: func(method string, code uint32, d time.Duration) {
			a.metrics.ObserveAPI("grpc", method, code, d)
		},
		Logger: a.log,
	})
	opts := []grpc.ServerOption{grpc.UnaryInterceptor(srv.UnaryInterceptor())}
	tlsCfg, err := gc.TLS.ServerConfig()
	if err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("grpc_api.tls: %w", err)
	}
	if tlsCfg != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(tlsCfg)))
	}
	if gc.MaxReceiveMessageSize > 0 {
		opts = append(opts, grpc.MaxRecvMsgSize(gc.MaxReceiveMessageSize))
	}
	gs := grpc.NewServer(opts...)
	grpcapi.Register(gs, srv)
	a.mu.Lock()
	a.grpcAddr = ln.Addr()
	a.mu.Unlock()
	go func() {
		if err := gs.Serve(ln); err != nil {
			errc <- fmt.Errorf("gRPC API: %w", err)
		}
	}()
	a.log.Info("gRPC API is listening", "address", ln.Addr().String())
	return func(ctx context.Context) {
		done := make(chan struct{})
		go func() { gs.GracefulStop(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			gs.Stop()
			<-done
		}
	}, nil
}

// GRPCAddr returns the gRPC API's address once Run is listening (nil when
// the gRPC API is off).
func (a *App) GRPCAddr() net.Addr {
	<-a.listening
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.grpcAddr
}
