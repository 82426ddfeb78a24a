package bridge_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/gyrehq/gyre/bridge"
	"github.com/gyrehq/gyre/bridge/bridgetest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestRequestTypes(t *testing.T) {
	want := []string{"connect", "refresh", "subscribe", "publish", "rpc", "subrefresh"}
	for i, rt := range bridge.RequestTypes() {
		if string(rt) != want[i] {
			t.Errorf("type %d = %q, want %q", i, rt, want[i])
		}
		if got, err := bridge.ParseRequestType(want[i]); err != nil || got != rt {
			t.Errorf("ParseRequestType(%q) = %q, %v", want[i], got, err)
		}
	}
	if got, _ := bridge.ParseRequestType("sub_refresh"); got != bridge.SubRefresh {
		t.Errorf("sub_refresh alias = %q", got)
	}
	for _, bad := range []string{"", "invalid", "Connect", "notifycacheempty", "*"} {
		if _, err := bridge.ParseRequestType(bad); err == nil {
			t.Errorf("ParseRequestType(%q) succeeded", bad)
		}
	}
}

func TestNewRejectsBadConfiguration(t *testing.T) {
	ok := bridge.ServiceFunc(func(context.Context, bridge.Request) error { return nil })
	noop := func(ctx context.Context, req bridge.Request, next bridge.Handler) error { return next(ctx, req) }
	tests := []struct {
		name string
		opts []bridge.Option
	}{
		{"unknown service key", []bridge.Option{bridge.WithServiceMap(map[string]bridge.Service{"invalid": ok})}},
		{"unknown interceptor key", []bridge.Option{bridge.WithInterceptorMap(map[string][]bridge.Interceptor{"conect": {noop}})}},
		{"unknown interceptor key via option", []bridge.Option{bridge.WithInterceptors("all", noop)}},
		{"duplicate service", []bridge.Option{bridge.WithService(bridge.RPC, ok), bridge.WithService(bridge.RPC, ok)}},
		{"typed func on the wrong type", []bridge.Option{bridge.WithService(bridge.Subscribe, bridge.ConnectFunc(func(context.Context, *bridge.ConnectRequest) error { return nil }))}},
		{"nil service", []bridge.Option{bridge.WithService(bridge.Connect, nil)}},
		{"nil interceptor", []bridge.Option{bridge.WithInterceptors(bridge.AllTypes, nil)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if b, err := bridge.New(tt.opts...); err == nil || b != nil {
				t.Fatalf("New = %v, %v; want an error", b, err)
			}
		})
	}
	// The seed's map form with every valid key works.
	m := map[string]bridge.Service{}
	for _, rt := range bridge.RequestTypes() {
		m[string(rt)] = ok
	}
	if _, err := bridge.New(bridge.WithServiceMap(m), bridge.WithInterceptorMap(map[string][]bridge.Interceptor{"*": {noop}, "sub_refresh": {noop}})); err != nil {
		t.Fatal(err)
	}
}

// recorder returns an interceptor appending its name before and after next.
func recorder(mu *sync.Mutex, log *[]string, name string) bridge.Interceptor {
	return func(ctx context.Context, req bridge.Request, next bridge.Handler) error {
		mu.Lock()
		*log = append(*log, name)
		mu.Unlock()
		err := next(ctx, req)
		mu.Lock()
		*log = append(*log, "/"+name)
		mu.Unlock()
		return err
	}
}

func TestInterceptorOrder(t *testing.T) {
	var mu sync.Mutex
	var log []string
	r := func(n string) bridge.Interceptor { return recorder(&mu, &log, n) }
	b, err := bridge.New(
		// per-type declared before "*": "*" still runs first
		bridge.WithInterceptors(string(bridge.Connect), r("c1"), r("c2")),
		bridge.WithInterceptors(bridge.AllTypes, r("all1")),
		bridge.WithInterceptorMap(map[string][]bridge.Interceptor{"*": {r("all2")}, "connect": {r("c3")}, "rpc": {r("rpc1")}}),
		bridge.OnConnect(func(ctx context.Context, req *bridge.ConnectRequest) error {
			mu.Lock()
			log = append(log, "service")
			mu.Unlock()
			return req.Respond(bridge.ConnectResult{User: "1"})
		}),
	)
	if err != nil {
		t.Fatal(err)
	}
	a := b.Dispatch(context.Background(), bridgetest.Connect(nil))
	if a.Kind != bridge.AnswerResult {
		t.Fatalf("answer = %+v", a)
	}
	want := []string{"all1", "all2", "c1", "c2", "c3", "service", "/c3", "/c2", "/c1", "/all2", "/all1"}
	if !reflect.DeepEqual(log, want) {
		t.Fatalf("order = %v\nwant    %v", log, want)
	}
}

func TestInterceptorShortCircuitEnrichObserve(t *testing.T) {
	type actor struct{ ID string }
	var observed bridge.Answer
	var serviceRan bool
	b, err := bridge.New(bridge.WithLogger(quiet),
		bridge.WithInterceptors(bridge.AllTypes, func(ctx context.Context, req bridge.Request, next bridge.Handler) error {
			err := next(ctx, req)
			observed = req.Answer()
			return err
		}),
		bridge.WithInterceptors(string(bridge.RPC), func(ctx context.Context, req bridge.Request, next bridge.Handler) error {
			if req.(*bridge.RPCRequest).Method == "blocked" {
				return req.Error(403, "blocked", false) // answer and stop
			}
			return next(bridge.WithActor(ctx, actor{ID: "42"}), req)
		}),
		bridge.OnRPC(func(ctx context.Context, req *bridge.RPCRequest) error {
			serviceRan = true
			a, ok := bridge.ActorAs[actor](ctx)
			if !ok {
				return errors.New("no actor")
			}
			return req.RespondJSON(map[string]string{"actor": a.ID})
		}),
	)
	if err != nil {
		t.Fatal(err)
	}
	a := b.Dispatch(context.Background(), bridgetest.RPC("u", "blocked", nil))
	if a.Kind != bridge.AnswerError || a.Error.Code != 403 || serviceRan {
		t.Fatalf("short circuit: answer %+v, service ran %v", a, serviceRan)
	}
	if observed.Kind != bridge.AnswerError {
		t.Fatalf("outer interceptor observed %+v", observed)
	}
	a = b.Dispatch(context.Background(), bridgetest.RPC("u", "ok", nil))
	if a.Kind != bridge.AnswerResult || string(a.Result.(*bridge.RPCResult).Data) != `{"actor":"42"}` {
		t.Fatalf("enriched: answer %+v", a)
	}
	if _, ok := bridge.ActorFrom(context.Background()); ok {
		t.Fatal("ActorFrom of an empty context")
	}
}

func TestExactlyOnce(t *testing.T) {
	var second, third, late error
	var kept *bridge.ConnectRequest
	b, _ := bridge.New(bridge.OnConnect(func(ctx context.Context, req *bridge.ConnectRequest) error {
		kept = req
		if err := req.Respond(bridge.ConnectResult{User: "1"}); err != nil {
			return err
		}
		second = req.Disconnect(4000, "again") // the seed's README did this
		third = req.Error(400, "again", false)
		return nil
	}))
	a := b.Dispatch(context.Background(), bridgetest.Connect(nil))
	if a.Kind != bridge.AnswerResult || a.Result.(*bridge.ConnectResult).User != "1" {
		t.Fatalf("answer = %+v", a)
	}
	for i, err := range []error{second, third} {
		if !errors.Is(err, bridge.ErrAlreadyAnswered) {
			t.Errorf("answer %d: %v, want ErrAlreadyAnswered", i+2, err)
		}
	}
	// After dispatch, an (unanswered-then-sealed or answered) request refuses answers.
	late = kept.Respond(bridge.ConnectResult{})
	if !errors.Is(late, bridge.ErrAlreadyAnswered) {
		t.Errorf("late answer: %v", late)
	}
}

func TestConcurrentAnswersOnlyOneWins(t *testing.T) {
	req := bridgetest.RPC("u", "m", nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if req.Error(uint32(400+i), "x", false) == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d answers succeeded", wins)
	}
}

func TestFallbackAnswers(t *testing.T) {
	internal := bridge.Answer{Kind: bridge.AnswerError, Error: &bridge.ErrInternal}
	tests := []struct {
		name    string
		service bridge.Service
		want    bridge.Answer
	}{
		{"no answer", bridge.ServiceFunc(func(context.Context, bridge.Request) error { return nil }), internal},
		{"plain error", bridge.ServiceFunc(func(context.Context, bridge.Request) error { return errors.New("db down") }), internal},
		{"panic", bridge.ServiceFunc(func(context.Context, bridge.Request) error { panic("boom") }), internal},
		{"returned *Error", bridge.ServiceFunc(func(context.Context, bridge.Request) error { return bridge.NewError(404, "not found") }),
			bridge.Answer{Kind: bridge.AnswerError, Error: &bridge.Error{Code: 404, Message: "not found"}}},
		{"returned wrapped Error value", bridge.ServiceFunc(func(context.Context, bridge.Request) error {
			return fmt.Errorf("ctx: %w", bridge.Error{Code: 1999, Message: "x", Temporary: true})
		}), bridge.Answer{Kind: bridge.AnswerError, Error: &bridge.Error{Code: 1999, Message: "x", Temporary: true}}},
		{"returned *Disconnect", bridge.ServiceFunc(func(context.Context, bridge.Request) error { return &bridge.Disconnect{Code: 4500, Reason: "bye"} }),
			bridge.Answer{Kind: bridge.AnswerDisconnect, Disconnect: &bridge.Disconnect{Code: 4500, Reason: "bye"}}},
		{"returned out-of-range Error", bridge.ServiceFunc(func(context.Context, bridge.Request) error { return bridge.NewError(100, "x") }), internal},
		{"returned out-of-range Disconnect", bridge.ServiceFunc(func(context.Context, bridge.Request) error { return bridge.Disconnect{Code: 403, Reason: "x"} }), internal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := bridge.New(bridge.WithLogger(quiet), bridge.WithService(bridge.RPC, tt.service))
			if err != nil {
				t.Fatal(err)
			}
			got := b.Dispatch(context.Background(), bridgetest.RPC("u", "m", nil))
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("answer = %+v (%+v %+v), want %+v", got, got.Error, got.Disconnect, tt.want)
			}
		})
	}
	if c := bridge.ErrInternal; c.Code != 100 || c.Message != "internal server error" || !c.Temporary {
		t.Fatalf("ErrInternal = %+v", c)
	}
}

func TestNoServiceForType(t *testing.T) {
	b, _ := bridge.New(bridge.WithLogger(quiet))
	if b.HasService(bridge.Publish) {
		t.Fatal("HasService")
	}
	a := b.Dispatch(context.Background(), bridgetest.Publish("u", "ch", nil))
	if a.Kind != bridge.AnswerError || a.Error.Code != bridge.CodeInternal {
		t.Fatalf("answer = %+v", a)
	}
}

func TestCodeRanges(t *testing.T) {
	tests := []struct {
		kind   string
		code   uint32
		reason string
		ok     bool
	}{
		{"error", 399, "", false}, {"error", 400, "", true}, {"error", 1999, "", true}, {"error", 2000, "", false},
		{"error", 100, "", false}, {"error", 0, "", false},
		{"disconnect", 3999, "r", false}, {"disconnect", 4000, "r", true}, {"disconnect", 4999, "r", true},
		{"disconnect", 5000, "r", false}, {"disconnect", 403, "r", false},
		{"disconnect", 4000, "0123456789012345678901234567890123", false}, // > 32 bytes
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s_%d", tt.kind, tt.code), func(t *testing.T) {
			req := bridgetest.Subscribe("u", "ch", nil)
			var err error
			if tt.kind == "error" {
				err = req.Error(tt.code, "m", false)
			} else {
				err = req.Disconnect(tt.code, tt.reason)
			}
			if tt.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if !tt.ok && (!errors.Is(err, bridge.ErrCodeRange) || req.Answered()) {
				t.Fatalf("err = %v, answered %v", err, req.Answered())
			}
		})
	}
}

func TestTimeoutIsHandlerDeadline(t *testing.T) {
	var got time.Time
	b, _ := bridge.New(bridge.WithTimeout(time.Hour), bridge.OnRefresh(func(ctx context.Context, req *bridge.RefreshRequest) error {
		got, _ = ctx.Deadline()
		return req.Respond(bridge.RefreshResult{ExpireAt: 1})
	}))
	// The caller's earlier deadline wins.
	want := time.Now().Add(time.Minute)
	ctx, cancel := context.WithDeadline(context.Background(), want)
	defer cancel()
	b.Dispatch(ctx, bridgetest.Refresh("u"))
	if !got.Equal(want) {
		t.Fatalf("deadline = %v, want %v", got, want)
	}
	// Without one, WithTimeout applies.
	b.Dispatch(context.Background(), bridgetest.Refresh("u"))
	if d := time.Until(got); d < 59*time.Minute || d > time.Hour {
		t.Fatalf("deadline in %v, want ~1h", d)
	}
}
