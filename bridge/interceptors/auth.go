package interceptors

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/gyrehq/gyre/bridge"
)

// CodeUnauthorized is the error code Auth answers with when the token is
// missing or invalid: Error(401, "unauthorized", false).
const CodeUnauthorized = 401

// DefaultTokenKey is the key of the token in the request's JSON data, as
// in the seed (client: new Centrifuge(url, {data: {authToken: "…"}})).
const DefaultTokenKey = "authToken"

// AuthConfig configures Auth.
type AuthConfig struct {
	// Verify checks a token and returns the actor; it is required. An
	// error that is a *bridge.Error or *bridge.Disconnect in range is sent
	// as is; any other error refuses with CodeUnauthorized.
	Verify func(ctx context.Context, token string, req bridge.Request) (actor any, err error)
	// TokenKey is the JSON key of the token in the request data (default
	// DefaultTokenKey). Ignored when Token is set.
	TokenKey string
	// Token extracts the token itself (for example from a header:
	// req.Info().Header("authorization")).
	Token func(req bridge.Request) (string, bool)
	// Optional lets requests without a token through without an actor
	// (the ticket-booking variant); an invalid token is still refused.
	Optional bool
}

// Auth returns the authentication interceptor. Each proxied event carries
// only its own data, so clients put the token into every payload the
// interceptor guards (connect data, subscription data, RPC data); for
// later events you may instead trust the request's User, which the server
// fills from the authenticated connection.
func Auth(cfg AuthConfig) bridge.Interceptor {
	if cfg.Verify == nil {
		panic("interceptors.Auth: AuthConfig.Verify is required")
	}
	key := cfg.TokenKey
	if key == "" {
		key = DefaultTokenKey
	}
	extract := cfg.Token
	if extract == nil {
		extract = func(req bridge.Request) (string, bool) { return tokenFromData(req.Payload(), key) }
	}
	return func(ctx context.Context, req bridge.Request, next bridge.Handler) error {
		token, ok := extract(req)
		if !ok || token == "" {
			if cfg.Optional {
				return next(ctx, req)
			}
			return refuse(req)
		}
		actor, err := cfg.Verify(ctx, token, req)
		if err != nil {
			var e *bridge.Error
			var d *bridge.Disconnect
			switch {
			case errors.As(err, &e) && e != nil:
				if req.Error(e.Code, e.Message, e.Temporary) == nil {
					return nil
				}
			case errors.As(err, &d) && d != nil:
				if req.Disconnect(d.Code, d.Reason) == nil {
					return nil
				}
			}
			return refuse(req)
		}
		if actor == nil {
			return refuse(req)
		}
		return next(bridge.WithActor(ctx, actor), req)
	}
}

func refuse(req bridge.Request) error {
	return req.Error(CodeUnauthorized, "unauthorized", false)
}

// tokenFromData returns data[key] when data is a JSON object holding a
// string there.
func tokenFromData(data []byte, key string) (string, bool) {
	if len(data) == 0 {
		return "", false
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(data, &obj) != nil {
		return "", false
	}
	var s string
	if raw, ok := obj[key]; !ok || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}
