package config

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"

	"github.com/gyrehq/gyre"
)

// nodeKind tells how a key's value is shaped.
type nodeKind int

const (
	kindLeaf   nodeKind = iota // a scalar, a duration or a list of strings
	kindObject                 // a nested object with known keys
	kindList                   // a list of objects (channel.namespaces)
)

// node is one key of the configuration schema, derived from the struct
// types by reflection.
type node struct {
	key       string
	kind      nodeKind
	typ       reflect.Type // field type; element type for kindList
	index     []int        // field index from the parent struct (FieldByIndex)
	doc       string
	extension bool
	children  []*node // for kindObject and kindList elements
}

func (n *node) child(key string) *node {
	for _, c := range n.children {
		if c.key == key {
			return c
		}
	}
	return nil
}

var durationType = reflect.TypeFor[gyre.Duration]()

// schema returns the root node describing Config.
var schema = sync.OnceValue(func() *node {
	return &node{kind: kindObject, typ: reflect.TypeFor[Config](), children: fields(reflect.TypeFor[Config](), nil)}
})

// fields lists the keys of struct type t; anonymous fields without a json
// tag are flattened, as encoding/json does.
func fields(t reflect.Type, prefix []int) []*node {
	var out []*node
	for i := range t.NumField() {
		f := t.Field(i)
		index := append(append([]int(nil), prefix...), i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" {
			out = append(out, fields(f.Type, index)...)
			continue
		}
		if !f.IsExported() || name == "-" || name == "" {
			continue
		}
		n := &node{key: name, typ: f.Type, index: index, doc: f.Tag.Get("doc"), extension: f.Tag.Get("gyre") == "extension"}
		if n.doc == "" {
			// Fields of gyre.ChannelOptions carry no doc tag: the root package
			// is not ours to tag, so their meanings live in channelOptionDocs.
			n.doc = channelOptionDocs[name]
		}
		switch {
		case f.Type.Kind() == reflect.Struct && f.Type != durationType:
			n.kind = kindObject
			n.children = fields(f.Type, nil)
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct:
			n.kind = kindList
			n.typ = f.Type.Elem()
			n.children = fields(f.Type.Elem(), nil)
		default:
			n.kind = kindLeaf
		}
		out = append(out, n)
	}
	return out
}

// typeName is the user-facing name of a key's type, used in docs and in
// type errors.
func typeName(n *node) string {
	switch n.kind {
	case kindObject:
		return "object"
	case kindList:
		return "list of objects"
	}
	if n.typ == durationType {
		return "duration"
	}
	switch n.typ.Kind() {
	case reflect.Map:
		return "object of strings"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "integer"
	case reflect.Slice:
		if n.typ.Elem().Kind() == reflect.String {
			return "list of strings"
		}
	}
	return n.typ.String()
}

// channelOptionDocs holds the one-line meanings of gyre.ChannelOptions keys,
// whose type lives in the root package.
var channelOptionDocs = map[string]string{
	"presence":                      "Keep a list of who is subscribed to the channel.",
	"join_leave":                    "Publish an event when a client subscribes or unsubscribes.",
	"force_push_join_leave":         "Send join and leave events to every subscriber without them asking.",
	"history_size":                  "How many recent publications to keep per channel; 0 keeps none (set together with history_ttl).",
	"history_ttl":                   "How long kept publications live; whole seconds, set together with history_size.",
	"history_meta_ttl":              "How long the stream position is kept; 0 uses channel.history_meta_ttl.",
	"force_positioning":             "Make every subscriber track its stream position (needs history).",
	"allow_positioning":             "Let clients ask for position tracking.",
	"force_recovery":                "Make every subscriber recover missed publications on resubscribe (needs history).",
	"allow_recovery":                "Let clients ask to recover missed publications.",
	"force_recovery_mode":           "How forced recovery works: stream (default, all missed publications) or cache (only the latest).",
	"allow_subscribe_for_client":    "Let any authenticated client subscribe without a subscription token.",
	"allow_subscribe_for_anonymous": "Let anonymous clients subscribe without a subscription token.",
	"allow_publish_for_client":      "Let any authenticated client publish from the client side.",
	"allow_publish_for_subscriber":  "Let subscribers of the channel publish from the client side.",
	"allow_publish_for_anonymous":   "Let anonymous clients publish from the client side.",
	"allow_presence_for_client":     "Let any authenticated client read presence.",
	"allow_presence_for_subscriber": "Let subscribers of the channel read presence.",
	"allow_presence_for_anonymous":  "Let anonymous clients read presence.",
	"allow_history_for_client":      "Let any authenticated client read history.",
	"allow_history_for_subscriber":  "Let subscribers of the channel read history.",
	"allow_history_for_anonymous":   "Let anonymous clients read history.",
	"allow_user_limited_channels":   "Let channels like chat#42,43 be subscribed only by the listed users.",
	"channel_regex":                 "Regular expression the channel name after the namespace must match.",
	"publication_data_format":       "Check of publication data: empty (channel.publication_data_format), json, json_object or binary.",
	"subscribe_proxy_enabled":       "Ask the application through the subscribe proxy whether a client may subscribe (not for subscriptions with a token).",
	"subscribe_proxy_name":          "Subscribe proxy: empty or default means channel.proxy.subscribe; any other name refers to the proxies list.",
	"publish_proxy_enabled":         "Send client publications through the publish proxy, which may reject or rewrite them.",
	"publish_proxy_name":            "Publish proxy: empty or default means channel.proxy.publish; any other name refers to the proxies list.",
	"sub_refresh_proxy_enabled":     "Extend expiring subscriptions through the sub_refresh proxy instead of client-side tokens.",
	"sub_refresh_proxy_name":        "Sub-refresh proxy: empty or default means channel.proxy.sub_refresh; any other name refers to the proxies list.",
}

// centrifugoOnly names Centrifugo v6 keys that Gyre does not implement yet,
// by schema path ("[]" stands for any list index). Such keys are ignored
// with a warning that says so, rather than "unknown key".
var centrifugoOnly = func() map[string]bool {
	m := map[string]bool{}
	add := func(prefix string, keys ...string) {
		for _, k := range keys {
			m[prefix+k] = true
		}
	}
	add("", "map_broker", "controller", "shared_poll",
		"consumers", "sse", "http_stream", "webtransport", "uni_sse", "uni_http_stream",
		"uni_websocket", "uni_grpc", "emulation", "admin", "swagger", "init",
		"opentelemetry", "graphite", "usage_stats", "enable_unreleased_features")
	add("http_server.", "tls_autocert", "tls_external", "internal_tls", "http3", "h2c_external")
	for _, r := range []string{"engine.redis.", "broker.redis.", "presence_manager.redis."} {
		add(r, "history_use_lists", "presence_hash_field_ttl", "presence_user_mapping", "force_resp2",
			"replica_client", "tls", "sentinel_client_name", "sentinel_tls", "route_by_latency", "route_randomly")
	}
	add("broker.nats.", "allow_wildcards", "raw_mode", "tls")
	add("broker.", "postgres")
	add("grpc_api.", "reflection")
	add("http_server.tls.", "server_ca_pem", "client_ca_pem", "insecure_skip_verify", "server_name")
	add("grpc_api.tls.", "server_ca_pem", "client_ca_pem", "insecure_skip_verify", "server_name")
	add("client.", "concurrency", "channel_position_max_time_lag",
		"connect_code_to_unidirectional_disconnect")
	add("client.token.", "insecure_skip_jwks_endpoint_safety_check")
	add("client.subscription_token.", "insecure_skip_jwks_endpoint_safety_check")
	add("channel.proxy.", "subscribe_stream", "map_publish", "map_remove", "shared_poll_refresh")
	for _, p := range []string{"client.proxy.connect.", "client.proxy.refresh.", "channel.proxy.subscribe.",
		"channel.proxy.publish.", "channel.proxy.sub_refresh.", "rpc.proxy.", "proxies[]."} {
		add(p, "emulated_headers")
		add(p+"http.", "tls")
		add(p+"grpc.", "tls")
	}
	add("websocket.", "read_buffer_size", "use_write_buffer_pool", "write_buffer_size")
	add("prometheus.", "instrument_http_handlers", "recovered_publications_histogram", "native_histograms")
	add("node.", "info_metrics_aggregate_interval")
	for _, p := range []string{"channel.without_namespace.", "channel.namespaces[]."} {
		add(p, "auto_cache_recover", "allowed_delta_types", "delta_publish", "allow_tags_filter",
			"subscribe_stream_proxy_enabled", "subscribe_stream_proxy_name",
			"subscribe_stream_proxy_bidirectional", "subscription_type", "map",
			"map_clients_presence_channel_prefix", "map_users_presence_channel_prefix", "shared_poll")
	}
	return m
}()

// suggest returns the known key closest to an unknown one, or "" when none
// is within two edits.
func suggest(n *node, key string) string {
	best, bestDist := "", 3
	for _, c := range n.children {
		if d := editDistance(strings.ToLower(key), c.key); d < bestDist {
			best, bestDist = c.key, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, counted in
// bytes; keys are ASCII.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64 // long garbage is never a typo of a key
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// listItemDefaults holds, by element type, the defaults of list items whose
// zero value is not their default: a key absent from an item (or null)
// takes the value from here. Only top-level keys of an item are filled.
var listItemDefaults = map[reflect.Type]func() any{
	reflect.TypeFor[NamedProxy](): func() any { return &NamedProxy{Proxy: defaultProxy()} },
}

// newItem returns the default value of one list item of type t.
func newItem(t reflect.Type) reflect.Value {
	if f, ok := listItemDefaults[t]; ok {
		return reflect.ValueOf(f()).Elem()
	}
	return reflect.New(t).Elem()
}

// itemDefaults fills the absent keys of list items in the decoded generic
// map m (shaped by the object node n) from listItemDefaults.
func itemDefaults(n *node, m map[string]any) {
	for _, c := range n.children {
		switch v := m[c.key].(type) {
		case map[string]any:
			if c.kind == kindObject {
				itemDefaults(c, v)
			}
		case []any:
			if c.kind != kindList {
				continue
			}
			var def map[string]any
			if f, ok := listItemDefaults[c.typ]; ok {
				b, err := json.Marshal(f())
				if err == nil {
					err = json.Unmarshal(b, &def)
				}
				if err != nil {
					panic("config: list item defaults: " + err.Error())
				}
			}
			for _, item := range v {
				im, ok := item.(map[string]any)
				if !ok {
					continue
				}
				for k, dv := range def {
					if _, ok := im[k]; !ok && dv != nil {
						im[k] = dv
					}
				}
				itemDefaults(c, im)
			}
		}
	}
}
