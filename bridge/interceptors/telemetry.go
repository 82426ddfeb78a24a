package interceptors

import (
	"context"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/gyrehq/gyre/bridge"
)

// Span and metric attribute keys used by Telemetry.
const (
	AttrType      = attribute.Key("gyre.request.type")
	AttrClient    = attribute.Key("gyre.client")
	AttrTransport = attribute.Key("gyre.transport")
	AttrUser      = attribute.Key("gyre.user")
	AttrChannel   = attribute.Key("gyre.channel")
	AttrMethod    = attribute.Key("gyre.rpc.method")
	AttrOutcome   = attribute.Key("gyre.outcome")
	AttrCode      = attribute.Key("gyre.code")
)

// Metric names recorded by Telemetry.
const (
	MetricRequests = "gyre.bridge.requests"
	MetricDuration = "gyre.bridge.duration"
)

// instrumentationName names the tracer and meter.
const instrumentationName = "github.com/gyrehq/gyre/bridge/interceptors"

// Observation is what Telemetry reports per request to
// TelemetryConfig.Observe.
type Observation struct {
	Type bridge.RequestType
	// Outcome is "result", "error", "disconnect" or "none" (the Bridge
	// will send its internal error).
	Outcome  string
	Code     uint32
	Duration time.Duration
}

// TelemetryConfig configures Telemetry; the zero value uses the global
// OpenTelemetry providers and propagator.
type TelemetryConfig struct {
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
	// Propagator extracts a parent span context from the request headers
	// (e.g. traceparent forwarded by the server's http_headers).
	Propagator propagation.TextMapPropagator
	// Observe, when set, is called after each request (a small metrics
	// hook for apps without an OpenTelemetry meter).
	Observe func(Observation)
}

// Telemetry returns an interceptor that wraps each request in a server
// span named "bridge <type>" with attributes gyre.request.type,
// gyre.client, gyre.transport, gyre.user, gyre.channel or gyre.rpc.method,
// gyre.outcome and gyre.code (application errors are outcomes, not span
// errors; a missing answer, an internal error or a returned error set the
// span status to Error). It records the counter gyre.bridge.requests and
// the histogram gyre.bridge.duration (seconds), both with gyre.request.type
// and gyre.outcome. Register it first ("*") so that it sees the whole
// chain.
func Telemetry(cfg TelemetryConfig) bridge.Interceptor {
	tp := cfg.TracerProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	mp := cfg.MeterProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	prop := cfg.Propagator
	if prop == nil {
		prop = otel.GetTextMapPropagator()
	}
	tracer := tp.Tracer(instrumentationName)
	meter := mp.Meter(instrumentationName)
	// Instrument creation only fails for invalid names; ours are valid, and
	// the returned instruments are usable no-ops on error.
	counter, _ := meter.Int64Counter(MetricRequests, metric.WithDescription("Proxy requests handled by the bridge."))
	hist, _ := meter.Float64Histogram(MetricDuration, metric.WithUnit("s"), metric.WithDescription("Time to answer a proxy request."))
	return func(ctx context.Context, req bridge.Request, next bridge.Handler) error {
		start := time.Now()
		info := req.Info()
		ctx = prop.Extract(ctx, headerCarrier(info.Headers))
		attrs := []attribute.KeyValue{
			AttrType.String(string(req.Type())),
			AttrClient.String(info.Client),
			AttrTransport.String(info.Transport),
			AttrUser.String(info.User),
		}
		switch k, v := target(req); k {
		case "channel":
			attrs = append(attrs, AttrChannel.String(v))
		case "method":
			attrs = append(attrs, AttrMethod.String(v))
		}
		ctx, span := tracer.Start(ctx, "bridge "+string(req.Type()), trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
		defer span.End()
		err := next(ctx, req)
		a := req.Answer()
		outcome := a.Kind.String()
		span.SetAttributes(AttrOutcome.String(outcome), AttrCode.Int64(int64(a.Code())))
		switch {
		case err != nil:
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		case a.Kind == bridge.Unanswered:
			span.SetStatus(codes.Error, "no answer")
		case a.Error != nil && a.Error.Code == bridge.CodeInternal:
			span.SetStatus(codes.Error, a.Error.Message)
		}
		d := time.Since(start)
		set := metric.WithAttributes(AttrType.String(string(req.Type())), AttrOutcome.String(outcome))
		counter.Add(ctx, 1, set)
		hist.Record(ctx, d.Seconds(), set)
		if cfg.Observe != nil {
			cfg.Observe(Observation{Type: req.Type(), Outcome: outcome, Code: a.Code(), Duration: d})
		}
		return err
	}
}

// headerCarrier adapts lower-case header maps to propagation.TextMapCarrier.
type headerCarrier map[string][]string

func (h headerCarrier) Get(key string) string {
	if v := h[strings.ToLower(key)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (h headerCarrier) Set(key, value string) { h[strings.ToLower(key)] = []string{value} }

func (h headerCarrier) Keys() []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	return keys
}
