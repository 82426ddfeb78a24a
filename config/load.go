package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	toml "github.com/pelletier/go-toml/v2"
	yaml "go.yaml.in/yaml/v3"
)

// Load reads the configuration file at path (JSON, YAML or TOML, chosen by
// the extension .json, .yaml, .yml or .toml), applies overrides from environ
// (a list of "NAME=value" strings, as os.Environ returns), and decodes the
// result on top of Default. An empty path means defaults plus environment.
//
// Unknown keys and unknown GYRE_/CENTRIFUGO_ variables are returned as
// warnings. Values of the wrong type and unparsable environment variables
// make Load fail with an Errors list naming every key. Load does not
// validate; call Config.Validate on the result.
func Load(path string, environ []string) (*Config, []Warning, error) {
	if path == "" {
		return load(nil, "", environ)
	}
	format, err := formatOf(path)
	if err != nil {
		return nil, nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	cfg, warnings, err := load(data, format, environ)
	if err != nil {
		var list Errors
		if !errors.As(err, &list) {
			err = fmt.Errorf("config: %s: %w", path, err)
		}
	}
	return cfg, warnings, err
}

// FromEnv builds a configuration from the defaults and the environment
// only; it is Load with an empty path.
func FromEnv(environ []string) (*Config, []Warning, error) {
	return Load("", environ)
}

// formatOf maps a file name's extension to "json", "yaml" or "toml".
func formatOf(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".json":
		return "json", nil
	case ".yaml", ".yml":
		return "yaml", nil
	case ".toml":
		return "toml", nil
	default:
		return "", fmt.Errorf("config: %s: unsupported file extension %q (use .json, .yaml, .yml or .toml)", path, ext)
	}
}

// load does the work of Load on the file's bytes; format "" means no file.
func load(data []byte, format string, environ []string) (*Config, []Warning, error) {
	raw := map[string]any{}
	if format != "" {
		var err error
		if raw, err = parse(data, format); err != nil {
			return nil, nil, err
		}
	}
	d := &decoder{origin: map[string]string{}}
	d.applyEnv(raw, environ)
	clean := d.object(schema(), raw, "", "", "")
	itemDefaults(schema(), clean)
	if len(d.errs) > 0 {
		return nil, d.warnings, d.errs
	}
	b, err := json.Marshal(clean)
	if err != nil {
		return nil, d.warnings, fmt.Errorf("config: re-encode: %w", err)
	}
	cfg := Default()
	if err := json.Unmarshal(b, cfg); err != nil {
		// Every leaf was checked against its type already.
		return nil, d.warnings, fmt.Errorf("config: decode: %w", err)
	}
	return cfg, d.warnings, nil
}

// parse reads a file's content into a generic map with string keys.
func parse(data []byte, format string) (map[string]any, error) {
	var v any
	switch format {
	case "json":
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return nil, jsonError(data, dec, err)
		}
		if _, err := dec.Token(); err != io.EOF {
			return nil, fmt.Errorf("invalid JSON: unexpected data after the top-level object at %s", position(data, dec.InputOffset()))
		}
	case "yaml":
		if err := yaml.Unmarshal(data, &v); err != nil {
			return nil, fmt.Errorf("invalid YAML: %w", err)
		}
	case "toml":
		var m map[string]any
		if err := toml.Unmarshal(data, &m); err != nil {
			var de *toml.DecodeError
			if errors.As(err, &de) {
				row, col := de.Position()
				return nil, fmt.Errorf("invalid TOML at line %d, column %d: %w", row, col, err)
			}
			return nil, fmt.Errorf("invalid TOML: %w", err)
		}
		v = m
	default:
		return nil, fmt.Errorf("unsupported format %q", format)
	}
	v = normalize(v)
	if v == nil {
		return map[string]any{}, nil // an empty YAML document
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the top level must be an object of sections, got %s", describe(v))
	}
	return m, nil
}

func jsonError(data []byte, dec *json.Decoder, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at %s: %s", position(data, se.Offset-1), se.Error())
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("invalid JSON: unexpected end of file")
	}
	return fmt.Errorf("invalid JSON at %s: %w", position(data, dec.InputOffset()), err)
}

// position gives the line and column (both from 1) of the byte at offset.
func position(data []byte, offset int64) string {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(offset) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}

// normalize turns YAML's map[any]any into map[string]any and typed slices
// into []any, recursively.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = normalize(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
		return x
	case []map[string]any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	}
	return v
}

// decoder checks a generic map against the schema, collecting warnings and
// type errors and keeping only known, well-typed keys.
type decoder struct {
	warnings []Warning
	errs     Errors
	origin   map[string]string // dotted path → environment variable that set it
}

func (d *decoder) fail(key, env, reason string) {
	d.errs = append(d.errs, &FieldError{Key: key, Env: env, Reason: reason})
}

// object walks m against the object node n. path is the dotted path of m,
// schemaPath the same with list indices replaced by "[]", env the variable
// m came from.
func (d *decoder) object(n *node, m map[string]any, path, schemaPath, env string) map[string]any {
	out := make(map[string]any, len(m))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p, sp, e := join(path, segment(k)), join(schemaPath, segment(k)), env
		if o, ok := d.origin[p]; ok {
			e = o
		}
		c := n.child(k)
		if c == nil {
			msg := "unknown key (ignored)"
			if centrifugoOnly[sp] {
				msg = "Centrifugo key not supported by Gyre yet (ignored)"
			} else if s := suggest(n, k); s != "" {
				msg = fmt.Sprintf("unknown key (ignored); did you mean %q?", s)
			}
			d.warnings = append(d.warnings, Warning{Key: p, Env: e, Message: msg})
			continue
		}
		v := m[k]
		if v == nil {
			continue // "key:" with no value in YAML, or null: keep the default
		}
		switch c.kind {
		case kindObject:
			mm, ok := v.(map[string]any)
			if !ok {
				d.fail(p, e, "expected object, got "+describe(v))
				continue
			}
			out[k] = d.object(c, mm, p, sp, e)
		case kindList:
			list, ok := v.([]any)
			if !ok {
				d.fail(p, e, "expected list of objects, got "+describe(v))
				continue
			}
			items := make([]any, 0, len(list))
			for i, item := range list {
				ip := p + "[" + strconv.Itoa(i) + "]"
				mm, ok := item.(map[string]any)
				if !ok {
					d.fail(ip, e, "expected object, got "+describe(item))
					continue
				}
				items = append(items, d.object(c, mm, ip, sp+"[]", e))
			}
			out[k] = items
		default:
			if d.leaf(c, v, p, e) {
				out[k] = v
			}
		}
	}
	return out
}

// leaf checks that v decodes into the type of n, reporting a type error
// otherwise.
func (d *decoder) leaf(n *node, v any, path, env string) bool {
	if _, ok := v.(string); ok && n.typ == stringListType {
		return true // one string where a list is allowed
	}
	if n.typ.Kind() == reflect.Slice && n.typ.Elem().Kind() == reflect.String {
		list, ok := v.([]any)
		if !ok {
			d.fail(path, env, "expected list of strings, got "+describe(v))
			return false
		}
		good := true
		for i, item := range list {
			if _, ok := item.(string); !ok {
				d.fail(path+"["+strconv.Itoa(i)+"]", env, "expected string, got "+describe(item))
				good = false
			}
		}
		return good
	}
	expected := typeName(n)
	if n.typ == durationType {
		expected = `duration (a string like "25s" or a number of seconds)`
	}
	b, err := json.Marshal(v)
	if err == nil {
		err = json.Unmarshal(b, reflect.New(n.typ).Interface())
	}
	if err != nil {
		d.fail(path, env, "expected "+expected+", got "+describe(v))
		return false
	}
	return true
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// segment writes a key as part of a dotted path: as it is when it is made
// of letters, digits, "_" and "-", quoted otherwise (an empty key, a key
// with dots, spaces or control characters).
func segment(k string) string {
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return strconv.Quote(k)
		}
	}
	if k == "" {
		return `""`
	}
	return k
}

// describe names the type (and, for scalars, the value) of a generic value
// in type errors.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		if len(x) > 40 {
			x = x[:40] + "..."
		}
		return "string " + strconv.Quote(x)
	case bool:
		return "boolean " + strconv.FormatBool(x)
	case json.Number, int, int64, uint64, float64:
		return fmt.Sprintf("number %v", x)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

var stringListType = reflect.TypeOf(StringList(nil))
