package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"
)

// Option configures New.
type Option interface{ apply(*builder) }

type optionFunc func(*builder)

func (f optionFunc) apply(b *builder) { f(b) }

// builder collects options; New turns it into a Bridge.
type builder struct {
	services     map[RequestType]Service
	interceptors map[string][]Interceptor
	logger       *slog.Logger
	timeout      time.Duration
	errs         []error
}

func (b *builder) addService(key string, s Service) {
	t, err := ParseRequestType(key)
	switch {
	case err != nil:
		b.errs = append(b.errs, fmt.Errorf("services: %w", err))
	case s == nil:
		b.errs = append(b.errs, fmt.Errorf("services: nil service for %q", key))
	case b.services[t] != nil:
		b.errs = append(b.errs, fmt.Errorf("services: a service for %q is already registered (one service per type)", t))
	default:
		if ts, ok := s.(typedService); ok && ts.requestType() != t {
			b.errs = append(b.errs, fmt.Errorf("services: a %s service registered for %q", ts.requestType(), t))
			return
		}
		b.services[t] = s
	}
}

func (b *builder) addInterceptors(key string, ics []Interceptor) {
	if key != AllTypes {
		t, err := ParseRequestType(key)
		if err != nil {
			b.errs = append(b.errs, fmt.Errorf("interceptors: the key must be one of \"*\", connect, refresh, subscribe, publish, rpc, subrefresh, got %q", key))
			return
		}
		key = string(t)
	}
	for i, ic := range ics {
		if ic == nil {
			b.errs = append(b.errs, fmt.Errorf("interceptors: nil interceptor #%d for %q", i, key))
			return
		}
	}
	b.interceptors[key] = append(b.interceptors[key], ics...)
}

// WithService registers the service of type t. One service per type; a
// typed func (ConnectFunc, …) must match t.
func WithService(t RequestType, s Service) Option {
	return optionFunc(func(b *builder) { b.addService(string(t), s) })
}

// WithServiceMap registers services by type string, like the "services"
// key of the seed's app/config/centrifugo.php. An unknown key makes New
// fail.
func WithServiceMap(m map[string]Service) Option {
	return optionFunc(func(b *builder) {
		for k, s := range m {
			b.addService(k, s)
		}
	})
}

// WithInterceptors appends interceptors for key: "*" (AllTypes) or a
// request type. Lists run "*" first, then the type's, each in the order
// given across all options.
func WithInterceptors(key string, ics ...Interceptor) Option {
	return optionFunc(func(b *builder) { b.addInterceptors(key, ics) })
}

// WithInterceptorMap registers interceptors by key, like the
// "interceptors" key of the seed's centrifugo.php. An unknown key makes New
// fail.
func WithInterceptorMap(m map[string][]Interceptor) Option {
	return optionFunc(func(b *builder) {
		if ics, ok := m[AllTypes]; ok { // deterministic: "*" first
			b.addInterceptors(AllTypes, ics)
		}
		for k, ics := range m {
			if k != AllTypes {
				b.addInterceptors(k, ics)
			}
		}
	})
}

// WithLogger sets the logger for internal errors and panics (default
// slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(b *builder) { b.logger = l })
}

// WithTimeout caps each dispatch: the handler's context ends at the
// earlier of the caller's deadline and now+d. Zero (the default) keeps the
// caller's deadline only.
func WithTimeout(d time.Duration) Option {
	return optionFunc(func(b *builder) { b.timeout = d })
}

// OnConnect registers fn as the connect service.
func OnConnect(fn func(context.Context, *ConnectRequest) error) Option {
	return WithService(Connect, ConnectFunc(fn))
}

// OnRefresh registers fn as the refresh service.
func OnRefresh(fn func(context.Context, *RefreshRequest) error) Option {
	return WithService(Refresh, RefreshFunc(fn))
}

// OnSubscribe registers fn as the subscribe service.
func OnSubscribe(fn func(context.Context, *SubscribeRequest) error) Option {
	return WithService(Subscribe, SubscribeFunc(fn))
}

// OnPublish registers fn as the publish service.
func OnPublish(fn func(context.Context, *PublishRequest) error) Option {
	return WithService(Publish, PublishFunc(fn))
}

// OnRPC registers fn as the rpc service.
func OnRPC(fn func(context.Context, *RPCRequest) error) Option {
	return WithService(RPC, RPCFunc(fn))
}

// OnSubRefresh registers fn as the subrefresh service.
func OnSubRefresh(fn func(context.Context, *SubRefreshRequest) error) Option {
	return WithService(SubRefresh, SubRefreshFunc(fn))
}

// Bridge dispatches proxy requests to services through interceptors. It is
// immutable after New and safe for concurrent use.
type Bridge struct {
	chains  map[RequestType]Handler
	has     map[RequestType]bool
	logger  *slog.Logger
	timeout time.Duration
}

// errNoService is the cause logged for a type without a service.
var errNoService = errors.New("no service registered for this request type")

// New builds a Bridge. It fails on an unknown type key, a duplicate
// service, a typed func registered for another type, or nil values. Types
// without a service are answered with ErrInternal (after the interceptors,
// which may answer first).
func New(opts ...Option) (*Bridge, error) {
	b := &builder{services: map[RequestType]Service{}, interceptors: map[string][]Interceptor{}}
	for _, o := range opts {
		if o != nil {
			o.apply(b)
		}
	}
	if len(b.errs) > 0 {
		return nil, fmt.Errorf("bridge: invalid configuration: %w", errors.Join(b.errs...))
	}
	br := &Bridge{chains: map[RequestType]Handler{}, has: map[RequestType]bool{}, logger: b.logger, timeout: b.timeout}
	if br.logger == nil {
		br.logger = slog.Default()
	}
	for _, t := range RequestTypes() {
		var final Handler = func(context.Context, Request) error { return errNoService }
		if s := b.services[t]; s != nil {
			final = answerReturnedErrors(s)
			br.has[t] = true
		}
		// The seed's order: array_merge($interceptors['*'], $interceptors[$type]).
		ics := append(append([]Interceptor(nil), b.interceptors[AllTypes]...), b.interceptors[string(t)]...)
		br.chains[t] = chain(ics, final)
	}
	return br, nil
}

// answerReturnedErrors runs a service and, when it returns an in-range
// *Error or *Disconnect without answering, answers with it right away, so
// that interceptors (Telemetry, Logging) observe that answer.
func answerReturnedErrors(s Service) Handler {
	return func(ctx context.Context, req Request) error {
		err := s.Handle(ctx, req)
		if err != nil && !req.Answered() {
			if a, ok := answerFromError(err); ok && req.common().set(a) == nil {
				return nil
			}
		}
		return err
	}
}

// chain composes ics around final; ics[0] is outermost.
func chain(ics []Interceptor, final Handler) Handler {
	h := final
	for i := len(ics) - 1; i >= 0; i-- {
		ic, next := ics[i], h
		h = func(ctx context.Context, req Request) error { return ic(ctx, req, next) }
	}
	return h
}

// Logger returns the bridge's logger.
func (b *Bridge) Logger() *slog.Logger { return b.logger }

// HasService reports whether a service is registered for t.
func (b *Bridge) HasService(t RequestType) bool { return b.has[t] }

// Dispatch runs req through its chain and returns the answer, which is
// never Unanswered: when the chain returns without answering, the returned
// error decides (an in-range *Error or *Disconnect is sent, anything else
// gives ErrInternal, logged); a panic gives ErrInternal, logged with its
// stack. After Dispatch the request refuses further answers.
func (b *Bridge) Dispatch(ctx context.Context, req Request) Answer {
	if b.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, b.timeout)
		defer cancel()
	}
	h := b.chains[req.Type()]
	err := b.run(ctx, h, req)
	fallback := Answer{Kind: AnswerError, Error: &Error{Code: ErrInternal.Code, Message: ErrInternal.Message, Temporary: true}}
	cause := err
	if !req.Answered() {
		if a, ok := answerFromError(err); ok {
			fallback, cause = a, nil
		} else if err == nil {
			cause = errors.New("the service returned without answering")
		}
	}
	a, usedFallback := req.common().seal(fallback)
	if cause != nil {
		level := slog.LevelError
		msg := "bridge: internal error sent"
		if !usedFallback {
			level, msg = slog.LevelWarn, "bridge: handler returned an error after answering"
		}
		b.logger.Log(ctx, level, msg, "type", string(req.Type()), "client", req.Info().Client, "user", req.Info().User, "error", cause)
	}
	return a
}

// panicError is the error a recovered panic becomes.
type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string { return fmt.Sprintf("panic: %v\n%s", p.value, p.stack) }

// run calls h, turning a panic into an error.
func (b *Bridge) run(ctx context.Context, h Handler, req Request) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicError{value: v, stack: debug.Stack()}
		}
	}()
	return h(ctx, req)
}

// answerFromError turns an in-range Error or Disconnect returned by a
// handler into an answer.
func answerFromError(err error) (Answer, bool) {
	if err == nil {
		return Answer{}, false
	}
	var d Disconnect
	var dp *Disconnect
	switch {
	case errors.As(err, &dp) && dp != nil:
		d = *dp
	case errors.As(err, &d):
	default:
		var e Error
		var ep *Error
		switch {
		case errors.As(err, &ep) && ep != nil:
			e = *ep
		case errors.As(err, &e):
		default:
			return Answer{}, false
		}
		if checkError(e.Code) != nil {
			return Answer{}, false
		}
		return Answer{Kind: AnswerError, Error: &e}, true
	}
	if checkDisconnect(d.Code, d.Reason) != nil {
		return Answer{}, false
	}
	return Answer{Kind: AnswerDisconnect, Disconnect: &d}, true
}
