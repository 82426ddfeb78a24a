package main

import (
	"context"
	"fmt"
	"time"

	"github.com/gyrehq/gyre"
)

// reportToken verifies a token and prints what it grants.
func reportToken(ctx context.Context, env *runEnv, v gyre.TokenVerifier, token string, sub bool) error {
	expiry := func(at int64) string {
		if at == 0 {
			return "never"
		}
		return time.Unix(at, 0).UTC().Format(time.RFC3339)
	}
	if sub {
		t, err := v.VerifySubscribeToken(ctx, token)
		if err != nil {
			return &exitError{code: 1, err: fmt.Errorf("token is not valid: %w", err)}
		}
		fmt.Fprintf(env.stdout, "valid subscription token: user %q, channel %q, expires %s\n", t.UserID, t.Channel, expiry(t.ExpireAt))
		return nil
	}
	t, err := v.VerifyConnectToken(ctx, token)
	if err != nil {
		return &exitError{code: 1, err: fmt.Errorf("token is not valid: %w", err)}
	}
	fmt.Fprintf(env.stdout, "valid connection token: user %q, expires %s\n", t.UserID, expiry(t.ExpireAt))
	return nil
}
