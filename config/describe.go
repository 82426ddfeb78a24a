package config

import (
	_ "embed"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// KeyDoc describes one configuration key.
type KeyDoc struct {
	// Path is the dotted key path. Keys of list items use "[]", as in
	// "channel.namespaces[].presence".
	Path string
	// Type is the user-facing type: string, boolean, integer, duration,
	// list of strings or list of objects.
	Type string
	// Default is the default value as it would be written in a JSON
	// configuration, such as 8000, "info", "25s", [] or false.
	Default string
	// Description is the one-line meaning of the key.
	Description string
	// Env is the GYRE_ environment variable that sets the key; empty for
	// keys inside list items.
	Env string
	// Extension is true for keys Centrifugo v6 does not have.
	Extension bool
}

// Describe lists every key Gyre understands, in struct order: every scalar,
// duration and string-list key, and every list of objects together with
// the keys of its items.
func Describe() []KeyDoc {
	var out []KeyDoc
	var walk func(n *node, val reflect.Value, path string, inList bool)
	walk = func(n *node, val reflect.Value, path string, inList bool) {
		for _, c := range n.children {
			p := join(path, c.key)
			v := val.FieldByIndex(c.index)
			doc := KeyDoc{Path: p, Type: typeName(c), Description: c.doc, Extension: c.extension}
			if !inList {
				doc.Env = EnvName(p)
			}
			switch c.kind {
			case kindObject:
				walk(c, v, p, inList)
				continue
			case kindList:
				doc.Default = formatDefault(v)
				out = append(out, doc)
				walk(c, newItem(c.typ), p+"[]", true)
				continue
			}
			doc.Default = formatDefault(v)
			out = append(out, doc)
		}
	}
	walk(schema(), reflect.ValueOf(Default()).Elem(), "", false)
	return out
}

// formatDefault writes a default value as it would appear in a JSON file.
func formatDefault(v reflect.Value) string {
	if v.Type() == durationType {
		return strconv.Quote(formatDuration(time.Duration(v.Int())))
	}
	switch v.Kind() {
	case reflect.String:
		return strconv.Quote(v.String())
	case reflect.Slice:
		if v.Len() == 0 {
			return "[]"
		}
	case reflect.Map:
		if v.Len() == 0 {
			return "{}"
		}
	}
	return fmt.Sprint(v.Interface())
}

// formatDuration prints a duration without the zero units time.Duration
// adds: 720h, 1m30s, 25s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

//go:embed docs_template.md
var docsTemplate string

// Markdown returns the configuration reference (docs/config.md): the rules
// for files, environment variables, warnings and validation, followed by a
// table of every key from Describe.
func Markdown() []byte {
	var order []string
	groups := map[string][]KeyDoc{}
	for _, k := range Describe() {
		g := groupOf(k.Path)
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] = append(groups[g], k)
	}
	var b strings.Builder
	for _, g := range order {
		title := "Top level"
		if g != "" {
			title = "`" + g + "`"
		}
		fmt.Fprintf(&b, "\n### %s\n\n", title)
		if intro := sectionDocs[g]; intro != "" {
			b.WriteString(intro + "\n\n")
		}
		b.WriteString("| Key | Type | Default | Environment variable | Meaning |\n")
		b.WriteString("|---|---|---|---|---|\n")
		for _, k := range groups[g] {
			env := "`" + k.Env + "`"
			if list, _, ok := strings.Cut(k.Path, "[]"); ok {
				env = "inside `" + EnvName(list) + "`"
			}
			desc := k.Description
			if k.Extension {
				desc = "**Gyre addition.** " + desc
			}
			fmt.Fprintf(&b, "| `%s` | %s | `%s` | %s | %s |\n", k.Path, k.Type, k.Default, env, escapeCell(desc))
		}
	}
	return []byte(strings.Replace(docsTemplate, "{{KEYS}}\n", strings.TrimPrefix(b.String(), "\n"), 1))
}

// sectionDocs introduces the tables of Markdown, by group.
var sectionDocs = map[string]string{
	"http_server":               "Where Gyre listens. Clients connect on `port`; the HTTP API, metrics and health check are served on `internal_port`, which by default is the same port.",
	"client.token":              "How connection tokens (JWT) are verified. Configure at least one key (HMAC secret, RSA or ECDSA public key, or JWKS endpoint) unless clients connect without tokens.",
	"client.subscription_token": "How subscription tokens are verified. While `enabled` is false, subscription tokens are verified with `client.token`.",
	"client":                    "Settings of client connections. Durations follow the rules above; limits of 0 mean no limit where noted.",
	"channel.without_namespace": "Options of channels whose name has no namespace (no `:`). Every boolean defaults to false, so by default clients can subscribe only with a subscription token.",
	"channel":                   "Channel naming rules and defaults shared by all namespaces.",
	"channel.namespaces[]":      "Each item of `channel.namespaces` is a `name` plus the same options as `channel.without_namespace`, and applies to channels named `<name>:<rest>`. Namespaces are set from the environment only as a whole, with JSON in `GYRE_CHANNEL_NAMESPACES`.",
	"client.proxy.connect":      "The connect proxy. When `enabled`, a client that connects without a token is authenticated by your application: Gyre sends the connect request to `endpoint` (HTTP or gRPC) and applies the returned user, expiration, info, data, channels and meta. The keys of this proxy object are the same in every proxy object below.",
	"client.proxy.refresh":      "The refresh proxy. When `enabled`, connections that expire are extended on the server side by asking your application, instead of by the client with a new token.",
	"channel.proxy.subscribe":   "The subscribe proxy used by namespaces with `subscribe_proxy_enabled` and `subscribe_proxy_name` empty or `default`.",
	"channel.proxy.publish":     "The publish proxy used by namespaces with `publish_proxy_enabled` and `publish_proxy_name` empty or `default`.",
	"channel.proxy.sub_refresh": "The sub-refresh proxy used by namespaces with `sub_refresh_proxy_enabled` and `sub_refresh_proxy_name` empty or `default`.",
	"rpc.proxy":                 "The RPC proxy used by `rpc.without_namespace` and RPC namespaces with `proxy_enabled` and `proxy_name` empty or `default`.",
	"rpc.namespaces[]":          "Each item of `rpc.namespaces` applies to RPC methods named `<name>:<rest>`.",
	"proxies[]":                 "Each item of `proxies` is a `name` plus the keys of a proxy object; namespaces refer to it by name. `timeout` defaults to 1s as in the other proxy objects.",
	"http_api":                  "The server HTTP API used by your backend to publish, disconnect and query. Keep `key` secret.",
}

// proxyTables are the proxy objects; every key inside one (http.*, grpc.*,
// status transforms) is listed in that object's table.
var proxyTables = []string{"client.proxy.connect", "client.proxy.refresh", "channel.proxy.subscribe",
	"channel.proxy.publish", "channel.proxy.sub_refresh", "rpc.proxy", "proxies[]"}

// groupOf is the table a key is listed in: its parent object's path, or
// the proxy object it belongs to.
func groupOf(path string) string {
	for _, t := range proxyTables {
		if strings.HasPrefix(path, t+".") {
			return t
		}
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}

func escapeCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
