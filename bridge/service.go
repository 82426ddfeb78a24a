package bridge

import (
	"context"
	"fmt"
)

// Handler runs the rest of an interceptor chain: the next interceptors and
// the service.
type Handler func(ctx context.Context, req Request) error

// Service answers the requests of one type, like the seed's
// ServiceInterface::handle. It must answer by calling Respond, Error or
// Disconnect on the request before returning; alternatively it may return
// an *Error or *Disconnect (sent for it). Any other returned error, or no
// answer, makes the bridge send ErrInternal and log the cause.
type Service interface {
	Handle(ctx context.Context, req Request) error
}

// ServiceFunc adapts a function to Service.
type ServiceFunc func(ctx context.Context, req Request) error

// Handle implements Service.
func (f ServiceFunc) Handle(ctx context.Context, req Request) error { return f(ctx, req) }

// Interceptor wraps the rest of the chain. It may answer the request and
// return without calling next (short-circuit), call next with an enriched
// context (WithActor), and inspect req.Answer() after next returns. The
// first interceptor registered runs outermost.
type Interceptor func(ctx context.Context, req Request, next Handler) error

// typedService is implemented by the typed funcs so New can check they are
// registered for their own type.
type typedService interface {
	Service
	requestType() RequestType
}

// wrongType is the error of a typed func called with another request type.
func wrongType(want RequestType, req Request) error {
	return fmt.Errorf("bridge: %s service called with a %s request", want, req.Type())
}

// ConnectFunc is a Service for connect requests.
type ConnectFunc func(ctx context.Context, req *ConnectRequest) error

// Handle implements Service.
func (f ConnectFunc) Handle(ctx context.Context, req Request) error {
	r, ok := req.(*ConnectRequest)
	if !ok {
		return wrongType(Connect, req)
	}
	return f(ctx, r)
}

func (ConnectFunc) requestType() RequestType { return Connect }

// RefreshFunc is a Service for refresh requests.
type RefreshFunc func(ctx context.Context, req *RefreshRequest) error

// Handle implements Service.
func (f RefreshFunc) Handle(ctx context.Context, req Request) error {
	r, ok := req.(*RefreshRequest)
	if !ok {
		return wrongType(Refresh, req)
	}
	return f(ctx, r)
}

func (RefreshFunc) requestType() RequestType { return Refresh }

// SubscribeFunc is a Service for subscribe requests.
type SubscribeFunc func(ctx context.Context, req *SubscribeRequest) error

// Handle implements Service.
func (f SubscribeFunc) Handle(ctx context.Context, req Request) error {
	r, ok := req.(*SubscribeRequest)
	if !ok {
		return wrongType(Subscribe, req)
	}
	return f(ctx, r)
}

func (SubscribeFunc) requestType() RequestType { return Subscribe }

// PublishFunc is a Service for publish requests.
type PublishFunc func(ctx context.Context, req *PublishRequest) error

// Handle implements Service.
func (f PublishFunc) Handle(ctx context.Context, req Request) error {
	r, ok := req.(*PublishRequest)
	if !ok {
		return wrongType(Publish, req)
	}
	return f(ctx, r)
}

func (PublishFunc) requestType() RequestType { return Publish }

// RPCFunc is a Service for rpc requests.
type RPCFunc func(ctx context.Context, req *RPCRequest) error

// Handle implements Service.
func (f RPCFunc) Handle(ctx context.Context, req Request) error {
	r, ok := req.(*RPCRequest)
	if !ok {
		return wrongType(RPC, req)
	}
	return f(ctx, r)
}

func (RPCFunc) requestType() RequestType { return RPC }

// SubRefreshFunc is a Service for subrefresh requests.
type SubRefreshFunc func(ctx context.Context, req *SubRefreshRequest) error

// Handle implements Service.
func (f SubRefreshFunc) Handle(ctx context.Context, req Request) error {
	r, ok := req.(*SubRefreshRequest)
	if !ok {
		return wrongType(SubRefresh, req)
	}
	return f(ctx, r)
}

func (SubRefreshFunc) requestType() RequestType { return SubRefresh }

// actorKey is the context key of the actor.
type actorKey struct{}

// WithActor returns ctx carrying actor (the authenticated principal, as set
// by the Auth interceptor).
func WithActor(ctx context.Context, actor any) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorFrom returns the actor of ctx, if any.
func ActorFrom(ctx context.Context) (any, bool) {
	a := ctx.Value(actorKey{})
	return a, a != nil
}

// ActorAs returns the actor of ctx when it has type T.
func ActorAs[T any](ctx context.Context) (T, bool) {
	a, ok := ctx.Value(actorKey{}).(T)
	return a, ok
}
