// Package rpcroute routes RPC requests: by exact method name to functions,
// and — the seed's RPC → HTTP bridge — methods of the form "verb:uri"
// (get:news/1, post:news, delete:news/1) to any net/http handler.
//
// A name route's function returns a value that is JSON-encoded as the RPC
// result ([]byte and json.RawMessage are sent as they are). It may return
// a *bridge.Error or *bridge.Disconnect, or answer the request itself.
//
// A "verb:uri" method is split at the first ":"; the verb is upper-cased
// and must be GET, HEAD, POST, PUT, PATCH or DELETE. The handler gets a
// request for "/"+uri (leading slashes trimmed; a query in the uri is
// kept) with the RPC's context (actor included), header Content-Type and
// Accept: application/json, and X-Gyre-User / X-Gyre-Client set from the
// request. For GET and HEAD the RPC data (a JSON object) becomes query
// parameters (strings, numbers and booleans as text, arrays as repeated
// parameters, objects and null as their JSON); for the other verbs it is
// the JSON body. The answer is always a result — HTTP errors are in-band
// data, as in the seed — with this exact shape:
//
//	{"status": <HTTP status>, "body": <the body as JSON when it is valid JSON, else as a string; null when empty>}
//
// (The seed merged "code": status into the decoded body; the wrapper keeps
// non-object bodies representable.)
//
// Errors: an unknown method (or a "verb:uri" method without a handler)
// gets Error(404, "method not found"); a bad verb, empty uri, or data that
// is not a JSON object for GET/HEAD gets Error(400, …).
//
// # Concurrency
//
// Register routes before serving; a Router is then safe for concurrent
// use (registration is also safe, guarded by a lock).
package rpcroute
