// Package interceptors holds the built-in bridge interceptors, the Go
// counterparts of the seed's AuthInterceptor, TelemetryInterceptor and
// ExceptionHandlerInterceptor, plus request logging:
//
//   - [Auth] reads a token from the request data ("authToken" by default),
//     verifies it with a pluggable function and puts the actor into the
//     context (bridge.ActorFrom); a missing or invalid token is refused
//     with Error(401, "unauthorized") — CodeUnauthorized — and the service
//     never runs;
//   - [Telemetry] opens an OpenTelemetry span per request and records a
//     counter and a latency histogram;
//   - [Recover] turns a panic of the inner chain into the bridge's internal
//     error and logs it with the stack (the Bridge also recovers; Recover
//     lets outer interceptors such as Telemetry and Logging see the
//     outcome);
//   - [Logging] writes one log/slog record per request.
//
// Register them like the seed's centrifugo.php, e.g.
//
//	bridge.WithInterceptors(bridge.AllTypes, interceptors.Telemetry(interceptors.TelemetryConfig{}), interceptors.Logging(nil)),
//	bridge.WithInterceptors(string(bridge.Connect), interceptors.Auth(interceptors.AuthConfig{Verify: verify})),
//
// # Concurrency
//
// Every interceptor returned here is safe for concurrent use and keeps no
// per-request state outside the call.
package interceptors
