package interceptors

import (
	"context"
	"log/slog"
	"time"

	"github.com/gyrehq/gyre/bridge"
)

// Logging returns an interceptor writing one record per request on logger
// (slog.Default() when nil) after the chain returns: message "bridge
// request", attributes type, client, user, channel or method (when the
// type has one), outcome (result, error, disconnect, or none when the
// Bridge will send its internal error), code, duration, and error when the
// chain returned one. Results log at Debug, application errors and
// disconnects at Info, a missing answer or a returned error at Error.
func Logging(logger *slog.Logger) bridge.Interceptor {
	return func(ctx context.Context, req bridge.Request, next bridge.Handler) error {
		start := time.Now()
		err := next(ctx, req)
		l := logger
		if l == nil {
			l = slog.Default()
		}
		a := req.Answer()
		level := slog.LevelDebug
		switch {
		case a.Kind == bridge.Unanswered || err != nil:
			level = slog.LevelError
		case a.Kind != bridge.AnswerResult:
			level = slog.LevelInfo
		}
		if !l.Enabled(ctx, level) {
			return err
		}
		attrs := []slog.Attr{
			slog.String("type", string(req.Type())),
			slog.String("client", req.Info().Client),
			slog.String("user", req.Info().User),
		}
		if k, v := target(req); k != "" {
			attrs = append(attrs, slog.String(k, v))
		}
		attrs = append(attrs, slog.String("outcome", a.Kind.String()), slog.Any("code", a.Code()), slog.Duration("duration", time.Since(start)))
		if err != nil {
			attrs = append(attrs, slog.Any("error", err))
		}
		l.LogAttrs(ctx, level, "bridge request", attrs...)
		return err
	}
}

// target returns ("channel", ch) or ("method", m) for requests that have
// one.
func target(req bridge.Request) (string, string) {
	switch r := req.(type) {
	case *bridge.SubscribeRequest:
		return "channel", r.Channel
	case *bridge.PublishRequest:
		return "channel", r.Channel
	case *bridge.SubRefreshRequest:
		return "channel", r.Channel
	case *bridge.RPCRequest:
		return "method", r.Method
	}
	return "", ""
}
