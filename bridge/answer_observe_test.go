package bridge_test

import (
	"context"
	"testing"

	"github.com/gyrehq/gyre/bridge"
	"github.com/gyrehq/gyre/bridge/bridgetest"
)

// TestInterceptorsObserveReturnedErrors: a service that returns an
// in-range *Error (instead of calling req.Error) is answered before the
// interceptors regain control, so they observe the answer.
func TestInterceptorsObserveReturnedErrors(t *testing.T) {
	var seen bridge.Answer
	b, err := bridge.New(
		bridge.WithInterceptors("*", func(ctx context.Context, req bridge.Request, next bridge.Handler) error {
			err := next(ctx, req)
			seen = req.Answer()
			return err
		}),
		bridge.OnRPC(func(context.Context, *bridge.RPCRequest) error { return bridge.NewError(1400, "nope") }),
	)
	if err != nil {
		t.Fatal(err)
	}
	a := b.Dispatch(t.Context(), bridgetest.RPC("u", "m", nil))
	if a.Kind != bridge.AnswerError || a.Error.Code != 1400 {
		t.Fatalf("answer %+v", a)
	}
	if seen.Kind != bridge.AnswerError || seen.Error == nil || seen.Error.Code != 1400 {
		t.Fatalf("interceptor saw %+v, want the 1400 error", seen)
	}
}
