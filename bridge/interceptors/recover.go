package interceptors

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/gyrehq/gyre/bridge"
)

// Recover returns an interceptor that recovers a panic of the rest of the
// chain, logs it with its stack on logger (slog.Default() when nil) and
// answers with bridge.ErrInternal, so that interceptors outside it observe
// a normal error outcome. Without it the Bridge still recovers, outside
// every interceptor.
func Recover(logger *slog.Logger) bridge.Interceptor {
	return func(ctx context.Context, req bridge.Request, next bridge.Handler) (err error) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			l := logger
			if l == nil {
				l = slog.Default()
			}
			l.ErrorContext(ctx, "bridge: panic in handler", "type", string(req.Type()), "client", req.Info().Client,
				"user", req.Info().User, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			_ = bridge.Fail(req) // refused when the handler answered before panicking
			err = nil
		}()
		return next(ctx, req)
	}
}
