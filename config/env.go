package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gyrehq/gyre"
)

// Environment variable prefixes; EnvPrefix wins when both name a key.
const (
	EnvPrefix           = "GYRE_"
	CentrifugoEnvPrefix = "CENTRIFUGO_"
)

// envKey is one key that can be set from the environment.
type envKey struct {
	name string   // without prefix: HTTP_SERVER_PORT
	path []string // http_server, port
	node *node
}

// EnvName returns the environment variable name (with the GYRE_ prefix)
// for a dotted key path such as "client.token.hmac_secret_key".
func EnvName(path string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
}

// envKeys lists every key outside lists, objects included, shallowest first
// so that a JSON object from one variable is applied before the more
// specific variables inside it.
var envKeys = sync.OnceValue(func() []envKey {
	var out []envKey
	var walk func(n *node, path []string)
	walk = func(n *node, path []string) {
		for _, c := range n.children {
			p := append(slices.Clip(path), c.key)
			out = append(out, envKey{name: strings.TrimPrefix(EnvName(strings.Join(p, ".")), EnvPrefix), path: p, node: c})
			if c.kind == kindObject {
				walk(c, p)
			}
		}
	}
	walk(schema(), nil)
	slices.SortStableFunc(out, func(a, b envKey) int { return len(a.path) - len(b.path) })
	return out
})

// applyEnv sets values from environ into raw, recording where each came
// from. Empty values count as unset. Unparsable values become errors and
// unknown GYRE_/CENTRIFUGO_ variables become warnings.
func (d *decoder) applyEnv(raw map[string]any, environ []string) {
	env := make(map[string]string, len(environ))
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if _, seen := env[k]; ok && !seen {
			env[k] = v // the first entry wins, as with os.Getenv
		}
	}
	known := map[string]bool{}
	for _, k := range envKeys() {
		known[k.name] = true
		name := EnvPrefix + k.name
		val := env[name]
		if val == "" {
			name = CentrifugoEnvPrefix + k.name
			val = env[name]
		}
		if val == "" {
			continue
		}
		path := strings.Join(k.path, ".")
		v, err := parseEnv(k.node, val)
		if err != nil {
			d.fail(path, name, err.Error())
			continue
		}
		setPath(raw, k.path, v)
		d.origin[path] = name
	}
	var unknown []string
	for name, val := range env {
		for _, prefix := range []string{EnvPrefix, CentrifugoEnvPrefix} {
			if rest, ok := strings.CutPrefix(name, prefix); ok && val != "" && !known[rest] {
				unknown = append(unknown, name)
			}
		}
	}
	slices.Sort(unknown)
	for _, name := range unknown {
		d.warnings = append(d.warnings, Warning{Env: name, Message: "environment variable names no known key (ignored)"})
	}
}

// setPath stores v at path inside raw, creating (or replacing non-object
// values with) intermediate objects.
func setPath(raw map[string]any, path []string, v any) {
	m := raw
	for _, k := range path[:len(path)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}

// parseEnv turns an environment value into the generic value the file
// parsers would produce for the key's type.
func parseEnv(n *node, val string) (any, error) {
	switch n.kind {
	case kindObject, kindList:
		v, err := decodeJSON(val)
		if err != nil {
			return nil, fmt.Errorf("expected %s as JSON: %v", typeName(n), err)
		}
		return normalize(v), nil
	}
	s := strings.TrimSpace(val)
	switch {
	case n.typ == durationType:
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f, nil // seconds, as in a file
		}
		var dur gyre.Duration
		if err := dur.UnmarshalText([]byte(s)); err != nil {
			return nil, err
		}
		return s, nil
	case n.typ.Kind() == reflect.String:
		return val, nil
	case n.typ.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("expected boolean (true or false), got %q", val)
		}
		return b, nil
	case n.typ.Kind() == reflect.Int || n.typ.Kind() == reflect.Int64:
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("expected integer, got %q", val)
		}
		return i, nil
	case n.typ.Kind() == reflect.Map:
		v, err := decodeJSON(val)
		if err != nil {
			return nil, fmt.Errorf("expected %s as a JSON object: %v", typeName(n), err)
		}
		return normalize(v), nil
	case n.typ.Kind() == reflect.Slice && n.typ.Elem().Kind() == reflect.String:
		if strings.HasPrefix(s, "[") {
			var list []string
			if err := json.Unmarshal([]byte(s), &list); err != nil {
				return nil, fmt.Errorf("expected a JSON list of strings or a comma-separated list: %v", err)
			}
			out := make([]any, len(list))
			for i, e := range list {
				out[i] = e
			}
			return out, nil
		}
		out := []any{}
		for part := range strings.SplitSeq(s, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("type %s cannot be set from the environment", n.typ)
}

func decodeJSON(s string) (any, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("unexpected data after the JSON value")
	}
	return v, nil
}
