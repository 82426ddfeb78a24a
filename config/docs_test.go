package config

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite docs/config.md from Describe")

var docsPath = filepath.Join("..", "docs", "config.md")

func TestDocs(t *testing.T) {
	want := Markdown()
	if *update {
		if err := os.MkdirAll(filepath.Dir(docsPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(docsPath, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatalf("%v (run: go test ./config -run TestDocs -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date; run: go test ./config -run TestDocs -update", docsPath)
	}
	// Independently of the generator: every key and its default is on a
	// line of the document.
	lines := strings.Split(string(got), "\n")
	for _, k := range Describe() {
		found := false
		for _, line := range lines {
			if strings.Contains(line, "`"+k.Path+"`") && strings.Contains(line, "`"+k.Default+"`") {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("%s: no line documents %s with default %s", docsPath, k.Path, k.Default)
		}
	}
}

func TestDescribe(t *testing.T) {
	docs := Describe()
	byPath := map[string]KeyDoc{}
	for _, k := range docs {
		if _, dup := byPath[k.Path]; dup {
			t.Errorf("%s listed twice", k.Path)
		}
		byPath[k.Path] = k
		if k.Description == "" || k.Type == "" || k.Default == "" {
			t.Errorf("%s is missing a description, type or default: %+v", k.Path, k)
		}
		if !strings.HasSuffix(k.Description, ".") {
			t.Errorf("%s: description %q is not a sentence", k.Path, k.Description)
		}
	}
	tests := []KeyDoc{
		{Path: "http_server.port", Type: "integer", Default: "8000", Env: "GYRE_HTTP_SERVER_PORT"},
		{Path: "log.level", Type: "string", Default: `"info"`, Env: "GYRE_LOG_LEVEL"},
		{Path: "client.token.hmac_secret_key", Type: "string", Default: `""`, Env: "GYRE_CLIENT_TOKEN_HMAC_SECRET_KEY"},
		{Path: "client.subscription_token.enabled", Type: "boolean", Default: "false", Env: "GYRE_CLIENT_SUBSCRIPTION_TOKEN_ENABLED"},
		{Path: "client.subscription_token.user_id_claim", Type: "string", Default: `""`, Env: "GYRE_CLIENT_SUBSCRIPTION_TOKEN_USER_ID_CLAIM"},
		{Path: "client.token.hmac_previous_secret_key_valid_until", Type: "integer", Default: "0", Env: "GYRE_CLIENT_TOKEN_HMAC_PREVIOUS_SECRET_KEY_VALID_UNTIL"},
		{Path: "client.allowed_origins", Type: "list of strings", Default: "[]", Env: "GYRE_CLIENT_ALLOWED_ORIGINS"},
		{Path: "client.ping_interval", Type: "duration", Default: `"25s"`, Env: "GYRE_CLIENT_PING_INTERVAL"},
		{Path: "channel.history_meta_ttl", Type: "duration", Default: `"720h"`, Env: "GYRE_CHANNEL_HISTORY_META_TTL"},
		{Path: "channel.private_prefix", Type: "string", Default: `"$"`, Env: "GYRE_CHANNEL_PRIVATE_PREFIX"},
		{Path: "channel.without_namespace.presence", Type: "boolean", Default: "false", Env: "GYRE_CHANNEL_WITHOUT_NAMESPACE_PRESENCE"},
		{Path: "channel.namespaces", Type: "list of objects", Default: "[]", Env: "GYRE_CHANNEL_NAMESPACES"},
		{Path: "channel.namespaces[].name", Type: "string", Default: `""`},
		{Path: "channel.namespaces[].history_ttl", Type: "duration", Default: `"0s"`},
		{Path: "websocket.write_timeout", Type: "duration", Default: `"1s"`, Env: "GYRE_WEBSOCKET_WRITE_TIMEOUT"},
		{Path: "http_api.max_request_body_size", Type: "integer", Default: "1048576", Env: "GYRE_HTTP_API_MAX_REQUEST_BODY_SIZE", Extension: true},
		{Path: "shutdown.timeout", Type: "duration", Default: `"30s"`, Env: "GYRE_SHUTDOWN_TIMEOUT"},
		{Path: "pid_file", Type: "string", Default: `""`, Env: "GYRE_PID_FILE"},
	}
	for _, want := range tests {
		got, ok := byPath[want.Path]
		if !ok {
			t.Errorf("%s missing from Describe()", want.Path)
			continue
		}
		got.Description = ""
		if got != want {
			t.Errorf("Describe()[%s] = %+v, want %+v", want.Path, got, want)
		}
	}
	// Every channel option is listed both for channels without a namespace
	// and for namespaces.
	for _, k := range docs {
		if rest, ok := strings.CutPrefix(k.Path, "channel.without_namespace."); ok {
			if _, ok := byPath["channel.namespaces[]."+rest]; !ok {
				t.Errorf("channel.namespaces[].%s missing", rest)
			}
		}
	}
	if n := len(docs); n < 100 {
		t.Errorf("Describe() lists only %d keys", n)
	}
}

func TestFormatDuration(t *testing.T) {
	for in, want := range map[string]string{"720h": "720h", "1h30m": "1h30m", "1m": "1m", "90s": "1m30s", "1.5s": "1.5s", "0s": "0s", "-1s": "-1s", "2h0m5s": "2h0m5s"} {
		d, err := time.ParseDuration(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%s) = %q, want %q", in, got, want)
		}
	}
}

// TestDocsExamples loads the example files shown in the docs: each must
// load without warnings, validate, and mean the same in every format.
func TestDocsExamples(t *testing.T) {
	var first *Config
	for _, format := range []string{"json", "yaml", "toml"} {
		_, rest, ok := strings.Cut(docsTemplate, "```"+format+"\n")
		if !ok {
			t.Fatalf("no %s example in the docs", format)
		}
		example, _, _ := strings.Cut(rest, "```")
		cfg, warnings := loadString(t, "example."+format, example)
		if len(warnings) > 0 {
			t.Errorf("%s example: warnings %v", format, warnings)
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s example: %v", format, err)
		}
		if first == nil {
			first = cfg
		} else if diff := cmp.Diff(first, cfg); diff != "" {
			t.Errorf("%s example differs from the json one:\n%s", format, diff)
		}
	}
}
