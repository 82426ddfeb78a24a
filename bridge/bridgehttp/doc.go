// Package bridgehttp serves a bridge.Bridge over Centrifugo's HTTP proxy
// contract (JSON over POST), which Gyre's proxy/httpproxy and Centrifugo's
// HTTP proxies speak.
//
// The server's HTTP proxy posts each event to the endpoint configured for
// it, so the handler serves one path per event and dispatches on the last
// path segment — it can be mounted under any prefix:
//
//	POST …/connect  …/refresh  …/subscribe  …/publish  …/rpc  …/sub_refresh (or …/subrefresh)
//
// with server configuration such as
//
//	"client":  {"proxy": {"connect": {"enabled": true, "endpoint": "http://app:9000/gyre/connect", "timeout": "1s"}}},
//	"channel": {"proxy": {"subscribe": {"endpoint": "http://app:9000/gyre/subscribe", "timeout": "1s"}}}
//
// Request payloads arrive as raw JSON in "data"/"meta" or, with the proxy's
// binary_encoding, base64 in "b64data"; either way services see decoded
// bytes. Answers are HTTP 200 with {"result":…}, {"error":…} or
// {"disconnect":…}; result payloads that are valid JSON (and not in binary
// mode) are embedded as raw JSON, others are sent in their b64 twin. A body
// that is not the contract gives HTTP 400, an unknown path 404, a method
// other than POST 405.
//
// HTTP carries no deadline, so the handler's context deadline is the
// configured timeout (WithTimeout, default 1s like the server's proxy
// timeout): set it to the proxy's "timeout". Request headers become the
// request's Headers (lower-case keys).
//
// # Concurrency
//
// The handler is safe for concurrent use; each request is dispatched on
// its net/http goroutine.
package bridgehttp
