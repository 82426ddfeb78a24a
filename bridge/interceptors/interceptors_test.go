package interceptors_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/goleak"

	"github.com/gyrehq/gyre/bridge"
	"github.com/gyrehq/gyre/bridge/bridgetest"
	"github.com/gyrehq/gyre/bridge/interceptors"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type user struct{ ID string }

func verify(_ context.Context, token string, _ bridge.Request) (any, error) {
	switch token {
	case "good":
		return user{ID: "42"}, nil
	case "banned":
		return nil, &bridge.Disconnect{Code: 4501, Reason: "banned"}
	case "expired":
		return nil, bridge.NewError(409, "token expired")
	}
	return nil, errors.New("invalid token")
}

func TestAuth(t *testing.T) {
	connect := bridge.ConnectFunc(func(ctx context.Context, req *bridge.ConnectRequest) error {
		u, ok := bridge.ActorAs[user](ctx)
		if !ok {
			return req.Respond(bridge.ConnectResult{User: ""})
		}
		return req.Respond(bridge.ConnectResult{User: u.ID})
	})
	tests := []struct {
		name     string
		cfg      interceptors.AuthConfig
		data     any
		wantUser string
		wantCode uint32 // 0: result
	}{
		{"valid token", interceptors.AuthConfig{Verify: verify}, map[string]string{"authToken": "good"}, "42", 0},
		{"missing token", interceptors.AuthConfig{Verify: verify}, map[string]string{}, "", 401},
		{"no data", interceptors.AuthConfig{Verify: verify}, nil, "", 401},
		{"not JSON object", interceptors.AuthConfig{Verify: verify}, []byte(`"x"`), "", 401},
		{"token not a string", interceptors.AuthConfig{Verify: verify}, map[string]int{"authToken": 1}, "", 401},
		{"invalid token", interceptors.AuthConfig{Verify: verify}, map[string]string{"authToken": "bad"}, "", 401},
		{"verifier's error", interceptors.AuthConfig{Verify: verify}, map[string]string{"authToken": "expired"}, "", 409},
		{"verifier's disconnect", interceptors.AuthConfig{Verify: verify}, map[string]string{"authToken": "banned"}, "", 4501},
		{"custom key", interceptors.AuthConfig{Verify: verify, TokenKey: "t"}, map[string]string{"t": "good"}, "42", 0},
		{"optional without token", interceptors.AuthConfig{Verify: verify, Optional: true}, nil, "", 0},
		{"optional with invalid token", interceptors.AuthConfig{Verify: verify, Optional: true}, map[string]string{"authToken": "bad"}, "", 401},
		{"custom extractor", interceptors.AuthConfig{Verify: verify, Token: func(bridge.Request) (string, bool) { return "good", true }}, nil, "42", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := bridgetest.Run(t, connect, bridgetest.Connect(tt.data), interceptors.Auth(tt.cfg))
			if a.Code() != tt.wantCode {
				t.Fatalf("answer = %+v (%+v %+v), want code %d", a, a.Error, a.Disconnect, tt.wantCode)
			}
			if tt.wantCode == 0 && a.Result.(*bridge.ConnectResult).User != tt.wantUser {
				t.Fatalf("user = %q", a.Result.(*bridge.ConnectResult).User)
			}
			if tt.wantCode == 401 && (a.Error.Message != "unauthorized" || a.Error.Temporary) {
				t.Fatalf("refusal = %+v", a.Error)
			}
		})
	}
}

func TestTelemetrySpans(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	var mu sync.Mutex
	var obs []interceptors.Observation
	tel := interceptors.Telemetry(interceptors.TelemetryConfig{
		TracerProvider: tp,
		Propagator:     propagation.TraceContext{},
		Observe: func(o interceptors.Observation) {
			mu.Lock()
			obs = append(obs, o)
			mu.Unlock()
		},
	})
	b, err := bridge.New(bridge.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		bridge.WithInterceptors(bridge.AllTypes, tel, interceptors.Recover(slog.New(slog.NewTextHandler(io.Discard, nil)))),
		bridge.OnSubscribe(func(ctx context.Context, req *bridge.SubscribeRequest) error {
			return req.Error(403, "permission denied", false)
		}),
		bridge.OnRPC(func(ctx context.Context, req *bridge.RPCRequest) error {
			if req.Method == "panic" {
				panic("boom")
			}
			return req.RespondJSON("ok")
		}),
	)
	if err != nil {
		t.Fatal(err)
	}
	sub := bridgetest.Subscribe("u1", "chat.1", nil)
	sub.Headers = map[string][]string{"traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}
	b.Dispatch(context.Background(), sub)
	b.Dispatch(context.Background(), bridgetest.RPC("u2", "sum", nil))
	a := b.Dispatch(context.Background(), bridgetest.RPC("u2", "panic", nil))
	if a.Error == nil || a.Error.Code != bridge.CodeInternal {
		t.Fatalf("panic answer = %+v", a)
	}
	spans := exp.GetSpans()
	if len(spans) != 3 {
		t.Fatalf("%d spans", len(spans))
	}
	attrs := func(i int) map[attribute.Key]attribute.Value {
		m := map[attribute.Key]attribute.Value{}
		for _, kv := range spans[i].Attributes {
			m[kv.Key] = kv.Value
		}
		return m
	}
	s0 := attrs(0)
	if spans[0].Name != "bridge subscribe" || s0[interceptors.AttrType].AsString() != "subscribe" || s0[interceptors.AttrClient].AsString() != "test-client" ||
		s0[interceptors.AttrUser].AsString() != "u1" || s0[interceptors.AttrChannel].AsString() != "chat.1" ||
		s0[interceptors.AttrOutcome].AsString() != "error" || s0[interceptors.AttrCode].AsInt64() != 403 || spans[0].Status.Code == codes.Error {
		t.Fatalf("subscribe span %q %v status %v", spans[0].Name, s0, spans[0].Status)
	}
	if spans[0].Parent.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Fatalf("parent not extracted from traceparent: %v", spans[0].Parent)
	}
	s1 := attrs(1)
	if s1[interceptors.AttrMethod].AsString() != "sum" || s1[interceptors.AttrOutcome].AsString() != "result" {
		t.Fatalf("rpc span %v", s1)
	}
	if s2 := attrs(2); s2[interceptors.AttrCode].AsInt64() != 100 || spans[2].Status.Code != codes.Error {
		t.Fatalf("panic span %v %v", s2, spans[2].Status)
	}
	if len(obs) != 3 || obs[0].Outcome != "error" || obs[0].Code != 403 || obs[1].Type != bridge.RPC || obs[2].Code != 100 {
		t.Fatalf("observations %+v", obs)
	}
}

func TestLogging(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a := bridgetest.Run(t, bridge.PublishFunc(func(ctx context.Context, req *bridge.PublishRequest) error {
		return req.Error(400, "bad", false)
	}), bridgetest.Publish("u9", "news", nil), interceptors.Logging(l))
	if a.Code() != 400 {
		t.Fatal(a)
	}
	out := buf.String()
	for _, want := range []string{"level=INFO", `msg="bridge request"`, "type=publish", "user=u9", "channel=news", "outcome=error", "code=400", "duration="} {
		if !strings.Contains(out, want) {
			t.Errorf("log %q lacks %q", out, want)
		}
	}
}
