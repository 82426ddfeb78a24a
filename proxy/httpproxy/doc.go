// Package httpproxy calls the application over HTTP for client events,
// following Centrifugo v6's HTTP proxy contract (PROTOCOL.md §6.2).
//
// A [Proxy] implements every proxy interface of the root package
// ([gyre.ConnectProxy], [gyre.RefreshProxy], [gyre.SubscribeProxy],
// [gyre.PublishProxy], [gyre.SubRefreshProxy] and [gyre.RPCProxy]); the
// endpoint decides which events it serves. Each call is one
// "POST <endpoint>" with Content-Type: application/json, the forwarded
// headers, and the JSON of the request message as the body:
//
//	{"client":"…","transport":"websocket","protocol":"json","encoding":"json","data":{"k":1},"name":"js"}
//
// Payloads (data, meta) are embedded as raw JSON; with BinaryEncoding the
// request carries base64 in b64data and says "encoding":"binary".
//
// The response must be HTTP 200 with a JSON object holding "result",
// "error" or "disconnect" (disconnect wins over error, which wins over
// result). An error becomes a [gyre.Error] and a disconnect a
// [gyre.Disconnect], both returned as is so that the server passes them to
// the client. Everything else that goes wrong — the network, the timeout, a
// status other than 200 (unless a [StatusTransform] maps it), a body that is
// not the contract — is returned as an error wrapping [ErrProxyFailed] that
// names the proxy, the event and the reason, never the request body.
package httpproxy
