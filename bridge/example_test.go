package bridge_test

import (
	"context"
	"fmt"

	"github.com/gyrehq/gyre/bridge"
	"github.com/gyrehq/gyre/bridge/bridgetest"
)

// A bridge with one service and an interceptor for every type.
func Example() {
	logType := func(ctx context.Context, req bridge.Request, next bridge.Handler) error {
		fmt.Println("->", req.Type())
		err := next(ctx, req)
		fmt.Println("<-", req.Answer().Kind)
		return err
	}
	b, err := bridge.New(
		bridge.WithInterceptors(bridge.AllTypes, logType),
		bridge.OnConnect(func(ctx context.Context, req *bridge.ConnectRequest) error {
			return req.Respond(bridge.ConnectResult{User: "42", Channels: []string{"user.42"}})
		}),
	)
	if err != nil {
		panic(err)
	}
	a := b.Dispatch(context.Background(), bridgetest.Connect(map[string]string{"authToken": "t"}))
	fmt.Println(a.Result.(*bridge.ConnectResult).User)
	a = b.Dispatch(context.Background(), bridgetest.RPC("42", "ping", nil)) // no rpc service
	fmt.Println(a.Error.Code, a.Error.Message)
	// Output:
	// -> connect
	// <- result
	// 42
	// -> rpc
	// <- none
	// 100 internal server error
}
