// Package bridge is the application side of Gyre's proxy: a registry of one
// service per client event (connect, refresh, subscribe, publish, rpc,
// subrefresh) wrapped in interceptors, answering the proxy calls a Gyre (or
// Centrifugo v6) server makes.
//
// It is the Go counterpart of the Spiral/RoadRunner Centrifugo bridge
// (RoadRunner's centrifuge plugin + roadrunner-php/centrifugo +
// spiral/roadrunner-bridge) with its sharp edges removed:
//
//   - every request is answered exactly once: Respond, Error or Disconnect;
//     a second answer returns [ErrAlreadyAnswered]; a service that returns
//     without answering, returns an unknown error or panics gets
//     [ErrInternal] (code 100 "internal server error", temporary) sent for
//     it, and the cause is logged;
//   - error codes are checked when the application answers (errors
//     400–1999, disconnects 4000–4999), not when a client misbehaves;
//   - the caller's deadline (gRPC deadline, HTTP proxy timeout, or
//     [WithTimeout]) is the handler's context deadline;
//   - the event type is never taken from the user-controlled header map;
//   - subrefresh works from day one and b64data is decoded, so services only
//     see bytes.
//
// A [Bridge] is built once with [New] from options that mirror the seed's
// app/config/centrifugo.php: services per type ([WithService],
// [WithServiceMap], [OnConnect] …) and interceptors per type or for all
// types ("*", [WithInterceptors], [WithInterceptorMap]). The "*" list runs
// first (outermost), then the type's list, each in declaration order, then
// the service. Unknown keys are configuration errors returned by [New].
//
// The bridge is served over gRPC by package bridgegrpc, over HTTP by
// package bridgehttp, or in-process through [Bridge.ProxyServer] (embedded
// mode). Package apiclient calls the server API back.
//
// # Concurrency
//
// A Bridge is immutable after New and safe for concurrent use; every proxy
// call is dispatched on the caller's goroutine (the gRPC or HTTP handler
// goroutine) and the bridge starts no goroutines of its own. A request value
// belongs to one dispatch: its answer methods are safe to call from several
// goroutines (the first wins), but the answer must be given before the
// service returns — answers given later are refused with
// ErrAlreadyAnswered because the internal error was already sent.
// Services and interceptors are called concurrently for different requests
// and must be safe for that.
package bridge
