package grpcapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/gyrehq/gyre/api"
	"github.com/gyrehq/gyre/bridge/apipb"
)

// Config configures a Server.
type Config struct {
	// Key is the API key. When set, every call must carry the metadata
	// authorization: "apikey <Key>" (exactly), or it fails with
	// codes.Unauthenticated. Empty means no authentication. The check is
	// done by UnaryInterceptor, which must be installed on the grpc.Server.
	Key string
	// ErrorModeTransport returns API errors as gRPC statuses for every
	// call, not only for those with the metadata
	// x-centrifugo-error-mode: transport (see the package doc).
	ErrorModeTransport bool
	// Observe, when set, is called once per served call with the method name
	// as in the HTTP API ("publish", "presence_stats", "batch", ...), the
	// API error code (0 on success) and the time spent. Calls refused by
	// the interceptor and PRO methods are not observed.
	Observe func(method string, code uint32, d time.Duration)
	// Logger receives panics recovered while serving a call; nil discards
	// them. Requests are never logged.
	Logger *slog.Logger
}

// Server serves the CentrifugoApi gRPC service over an api.Service. It is
// safe for concurrent use.
type Server struct {
	// UnimplementedCentrifugoApiServer answers the PRO methods with
	// codes.Unimplemented.
	apipb.UnimplementedCentrifugoApiServer

	svc     *api.Service
	cfg     Config
	keySum  [sha256.Size]byte
	logger  *slog.Logger
	observe func(string, uint32, time.Duration)
}

var _ apipb.CentrifugoApiServer = (*Server)(nil)

// NewServer returns a Server calling s.
func NewServer(s *api.Service, cfg Config) *Server {
	srv := &Server{
		svc:     s,
		cfg:     cfg,
		keySum:  sha256.Sum256([]byte("apikey " + cfg.Key)),
		logger:  cfg.Logger,
		observe: cfg.Observe,
	}
	if srv.logger == nil {
		srv.logger = slog.New(slog.DiscardHandler)
	}
	if srv.observe == nil {
		srv.observe = func(string, uint32, time.Duration) {}
	}
	return srv
}

// Register registers srv as the CentrifugoApi service of gs. Install
// srv.UnaryInterceptor on gs (grpc.UnaryInterceptor or
// grpc.ChainUnaryInterceptor) for the API key check.
func Register(gs *grpc.Server, srv *Server) {
	apipb.RegisterCentrifugoApiServer(gs, srv)
}

// UnaryInterceptor returns the interceptor that checks the API key (see
// Config.Key) of every unary call of the grpc.Server it is installed on. The
// comparison takes constant time. Without a configured key it lets every
// call through.
func (s *Server) UnaryInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if s.cfg.Key != "" && !s.authorized(ctx) {
			return nil, status.Error(codes.Unauthenticated, "unauthenticated")
		}
		return handler(ctx, req)
	}
}

// authorized reports whether the first authorization metadata value is
// exactly "apikey <Key>". Both sides are hashed first so that the
// comparison leaks neither length nor content.
func (s *Server) authorized(ctx context.Context) bool {
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("authorization")
	if len(vals) == 0 {
		return false
	}
	sum := sha256.Sum256([]byte(vals[0]))
	return subtle.ConstantTimeCompare(sum[:], s.keySum[:]) == 1
}

// transportMode reports whether API errors of this call become gRPC
// statuses.
func (s *Server) transportMode(ctx context.Context) bool {
	if s.cfg.ErrorModeTransport {
		return true
	}
	md, _ := metadata.FromIncomingContext(ctx)
	for _, v := range md.Get("x-centrifugo-error-mode") {
		if strings.EqualFold(strings.TrimSpace(v), "transport") {
			return true
		}
	}
	return false
}

// endpoint is one served method: its observed name and the call that
// converts the apipb request, runs the api.Service method and converts the
// result back.
type endpoint[PReq, PRes any] struct {
	name string
	run  func(ctx context.Context, s *api.Service, req *PReq) (*PRes, *api.Error)
}

// bind builds an endpoint from the request converter, a Service method
// expression and the result converter.
func bind[PReq, AReq, ARes, PRes any](
	name string,
	in func(*PReq) *AReq,
	call func(*api.Service, context.Context, *AReq) (*ARes, *api.Error),
	out func(*ARes) *PRes,
) endpoint[PReq, PRes] {
	return endpoint[PReq, PRes]{name: name, run: func(ctx context.Context, s *api.Service, req *PReq) (*PRes, *api.Error) {
		res, e := call(s, ctx, in(req))
		if e != nil {
			return nil, e
		}
		return out(res), nil
	}}
}

// serve runs ep for req and returns the result, or the in-band error, or
// (in transport error mode) the gRPC status error. A panic while serving
// becomes codes.Internal.
func serve[PReq, PRes any](ctx context.Context, s *Server, ep endpoint[PReq, PRes], req *PReq) (res *PRes, pe *apipb.Error, err error) {
	start := time.Now()
	code := api.ErrInternal.Code
	defer func() {
		if v := recover(); v != nil {
			s.logger.ErrorContext(ctx, "panic serving gRPC API call", "method", ep.name, "panic", fmt.Sprint(v))
			res, pe, err = nil, nil, status.Error(codes.Internal, api.ErrInternal.Message)
		}
		s.observe(ep.name, code, time.Since(start))
	}()
	res, e := ep.run(ctx, s.svc, req)
	if e == nil {
		code = 0
		return res, nil, nil
	}
	code = e.Code
	pe = apiError(e)
	if s.transportMode(ctx) {
		return nil, nil, transportError(pe)
	}
	return nil, pe, nil
}

// transportError is the gRPC status of an API error in transport error
// mode, with the error itself as status detail.
func transportError(e *apipb.Error) error {
	st := status.New(grpcCode(e.GetCode()), e.GetMessage())
	if withDetail, err := st.WithDetails(e); err == nil {
		st = withDetail
	}
	return st.Err()
}

// grpcCode maps an API error code to the gRPC code of transport error mode
// (PROTOCOL.md §2.4).
func grpcCode(code uint32) codes.Code {
	switch code {
	case 102, 104:
		return codes.NotFound
	case 107, 108:
		return codes.InvalidArgument
	case 112:
		return codes.OutOfRange
	case 113:
		return codes.AlreadyExists
	}
	return codes.Internal
}
