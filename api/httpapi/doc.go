// Package httpapi serves Gyre's server API (package api) over HTTP with
// Centrifugo v6's wire contract (PROTOCOL.md §5.1).
//
// NewHandler answers POST <prefix>/<method> for every API method, with the
// method's request JSON as body and {"result":{...}} or
// {"error":{"code":N,"message":"..."}} as answer (HTTP 200 even for API
// errors), and the legacy POST <prefix> endpoint that takes newline-delimited
// {"id","method","params"} commands. The handler is a thin adapter: each
// route decodes JSON, calls the api.Service method and encodes the result;
// the methods are listed once in a table.
//
// The handler serves absolute request paths (do not strip the prefix) and
// answers any other path with the plain-text 404 of net/http, as the
// Centrifugo mux does for unknown routes. Mount it on both <prefix> and
// <prefix>/ of a server mux.
//
// Checks run in this order: route (404), method POST (405 with Allow:
// POST), API key unless Config.Insecure (401 with an empty body), body size
// (413), body JSON (400 with plain text "Bad Request"). API errors are
// written with HTTP 200 unless transport error mode is on (Config or header
// X-Centrifugo-Error-Mode: transport); then the HTTP status follows the
// API error code (100→500, 102→404, 104→404, 107→400, 108→400, 112→416,
// 113→409, others 500) and the body is the bare {"code","message"} object.
// Transport error mode does not apply to /batch, whose answer is the bare
// {"replies":[...]} object, nor to the legacy endpoint.
package httpapi
