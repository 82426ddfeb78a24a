package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gyrehq/gyre"
)

func TestEnvOverrides(t *testing.T) {
	const file = `{"http_server": {"port": 9000}, "log": {"level": "warn"}, "client": {"token": {"audience": "file", "issuer": "file"}}}`
	tests := []struct {
		name  string
		env   []string
		check func(c *Config) (got, want any)
	}{
		{"GYRE_ overrides the file", []string{"GYRE_HTTP_SERVER_PORT=9100"},
			func(c *Config) (any, any) { return c.HTTPServer.Port, 9100 }},
		{"CENTRIFUGO_ is accepted", []string{"CENTRIFUGO_HTTP_SERVER_PORT=9200"},
			func(c *Config) (any, any) { return c.HTTPServer.Port, 9200 }},
		{"GYRE_ wins over CENTRIFUGO_", []string{"CENTRIFUGO_HTTP_SERVER_PORT=9200", "GYRE_HTTP_SERVER_PORT=9100"},
			func(c *Config) (any, any) { return c.HTTPServer.Port, 9100 }},
		{"GYRE_ wins whatever the order", []string{"GYRE_LOG_LEVEL=debug", "CENTRIFUGO_LOG_LEVEL=error"},
			func(c *Config) (any, any) { return c.Log.Level, "debug" }},
		{"empty GYRE_ counts as unset", []string{"GYRE_LOG_LEVEL=", "CENTRIFUGO_LOG_LEVEL=error"},
			func(c *Config) (any, any) { return c.Log.Level, "error" }},
		{"empty means unset", []string{"GYRE_LOG_LEVEL="},
			func(c *Config) (any, any) { return c.Log.Level, "warn" }},
		{"first duplicate wins", []string{"GYRE_LOG_LEVEL=trace", "GYRE_LOG_LEVEL=error"},
			func(c *Config) (any, any) { return c.Log.Level, "trace" }},
		{"nested key with underscores", []string{"GYRE_CLIENT_TOKEN_HMAC_SECRET_KEY=abc"},
			func(c *Config) (any, any) { return c.Client.Token.HMACSecretKey, "abc" }},
		{"string keeps spaces", []string{"GYRE_NODE_NAME= node 1 "},
			func(c *Config) (any, any) { return c.Node.Name, " node 1 " }},
		{"boolean", []string{"GYRE_CLIENT_INSECURE=true"},
			func(c *Config) (any, any) { return c.Client.Insecure, true }},
		{"boolean 1", []string{"CENTRIFUGO_PROMETHEUS_ENABLED=1"},
			func(c *Config) (any, any) { return c.Prometheus.Enabled, true }},
		{"duration string", []string{"GYRE_CLIENT_PING_INTERVAL=30s"},
			func(c *Config) (any, any) { return c.Client.PingInterval.D(), 30 * time.Second }},
		{"duration seconds", []string{"GYRE_SHUTDOWN_TIMEOUT=2.5"},
			func(c *Config) (any, any) { return c.Shutdown.Timeout.D(), 2500 * time.Millisecond }},
		{"negative duration disables", []string{"GYRE_CLIENT_PING_INTERVAL=-1"},
			func(c *Config) (any, any) { return c.Client.PingInterval.D(), -time.Second }},
		{"int64", []string{"GYRE_CLIENT_SUBSCRIPTION_TOKEN_HMAC_PREVIOUS_SECRET_KEY_VALID_UNTIL=1767225600"},
			func(c *Config) (any, any) {
				return c.Client.SubscriptionToken.HMACPreviousSecretKeyValidUntil, int64(1767225600)
			}},
		{"list as commas", []string{"GYRE_CLIENT_ALLOWED_ORIGINS=https://a.example, https://*.b.example ,"},
			func(c *Config) (any, any) {
				return c.Client.AllowedOrigins, []string{"https://a.example", "https://*.b.example"}
			}},
		{"list as JSON", []string{`GYRE_CLIENT_ALLOWED_ORIGINS=["https://a.example","x,y"]`},
			func(c *Config) (any, any) { return c.Client.AllowedOrigins, []string{"https://a.example", "x,y"} }},
		{"empty list as JSON", []string{`GYRE_CLIENT_ALLOWED_ORIGINS=[]`},
			func(c *Config) (any, any) { return c.Client.AllowedOrigins, []string{} }},
		{"namespaces as JSON", []string{`GYRE_CHANNEL_NAMESPACES=[{"name":"chat","presence":true,"history_ttl":"60s","history_size":5}]`},
			func(c *Config) (any, any) {
				return c.Channel.Namespaces, []Namespace{{Name: "chat", ChannelOptions: gyre.ChannelOptions{Presence: true, HistorySize: 5, HistoryTTL: seconds(60)}}}
			}},
		{"object as JSON", []string{`GYRE_CHANNEL_WITHOUT_NAMESPACE={"presence":true,"join_leave":true}`},
			func(c *Config) (any, any) {
				return c.Channel.WithoutNamespace, gyre.ChannelOptions{Presence: true, JoinLeave: true}
			}},
		{"leaf inside object", []string{"GYRE_CHANNEL_WITHOUT_NAMESPACE_ALLOW_SUBSCRIBE_FOR_CLIENT=true"},
			func(c *Config) (any, any) { return c.Channel.WithoutNamespace.AllowSubscribeForClient, true }},
		{"object replaces the file's object", []string{`GYRE_CLIENT_TOKEN={"audience":"env"}`},
			func(c *Config) (any, any) {
				return [2]string{c.Client.Token.Audience, c.Client.Token.Issuer}, [2]string{"env", ""}
			}},
		{"leaf wins over its object", []string{`GYRE_CLIENT_TOKEN_AUDIENCE=leaf`, `GYRE_CLIENT_TOKEN={"audience":"object","issuer":"object"}`},
			func(c *Config) (any, any) {
				return [2]string{c.Client.Token.Audience, c.Client.Token.Issuer}, [2]string{"leaf", "object"}
			}},
		{"leaf via CENTRIFUGO_ wins over GYRE_ object", []string{`CENTRIFUGO_CLIENT_TOKEN_AUDIENCE=leaf`, `GYRE_CLIENT_TOKEN={"audience":"object"}`},
			func(c *Config) (any, any) { return c.Client.Token.Audience, "leaf" }},
		{"other variables are ignored", []string{"HOME=/root", "GYREX=1", "PATH"},
			func(c *Config) (any, any) { return c.HTTPServer.Port, 9000 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, warnings := loadString(t, "c.json", file, tt.env...)
			if len(warnings) > 0 {
				t.Errorf("warnings: %v", warnings)
			}
			got, want := tt.check(cfg)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFromEnv(t *testing.T) {
	cfg, warnings, err := FromEnv([]string{"GYRE_HTTP_SERVER_PORT=8100", "CENTRIFUGO_ENGINE_TYPE=memory"})
	if err != nil || len(warnings) > 0 {
		t.Fatalf("FromEnv() = %v, %v", warnings, err)
	}
	want := Default()
	want.HTTPServer.Port = 8100
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestEnvErrors(t *testing.T) {
	tests := []struct {
		env  []string
		want []string
	}{
		{[]string{"GYRE_HTTP_SERVER_PORT=80a"},
			[]string{`GYRE_HTTP_SERVER_PORT (http_server.port): expected integer, got "80a"`}},
		{[]string{"CENTRIFUGO_HTTP_SERVER_PORT=80a"},
			[]string{`CENTRIFUGO_HTTP_SERVER_PORT (http_server.port): expected integer, got "80a"`}},
		{[]string{"GYRE_CLIENT_INSECURE=maybe"},
			[]string{`GYRE_CLIENT_INSECURE (client.insecure): expected boolean (true or false), got "maybe"`}},
		{[]string{"GYRE_CLIENT_PING_INTERVAL=5 parsecs"},
			[]string{`GYRE_CLIENT_PING_INTERVAL (client.ping_interval): invalid duration "5 parsecs": use a number with a unit, like "25s" or "720h"`}},
		{[]string{"GYRE_CLIENT_ALLOWED_ORIGINS=[\"a\""},
			[]string{`GYRE_CLIENT_ALLOWED_ORIGINS (client.allowed_origins): expected a JSON list of strings or a comma-separated list: unexpected end of JSON input`}},
		{[]string{"GYRE_CHANNEL_NAMESPACES=chat"},
			[]string{`GYRE_CHANNEL_NAMESPACES (channel.namespaces): expected list of objects as JSON: invalid character 'c' looking for beginning of value`}},
		{[]string{`GYRE_CHANNEL_NAMESPACES={"name":"chat"}`},
			[]string{`GYRE_CHANNEL_NAMESPACES (channel.namespaces): expected list of objects, got an object`}},
		{[]string{`GYRE_CHANNEL_NAMESPACES=[{"name":"chat"}] x`},
			[]string{`GYRE_CHANNEL_NAMESPACES (channel.namespaces): expected list of objects as JSON: unexpected data after the JSON value`}},
		{[]string{`GYRE_CHANNEL_NAMESPACES=[{"name":"chat","history_size":"10"}]`},
			[]string{`GYRE_CHANNEL_NAMESPACES (channel.namespaces[0].history_size): expected integer, got string "10"`}},
		{[]string{`GYRE_CLIENT_TOKEN={"audience":1}`},
			[]string{`GYRE_CLIENT_TOKEN (client.token.audience): expected string, got number 1`}},
		{[]string{"GYRE_HTTP_SERVER_PORT=x", "GYRE_LOG_LEVEL=debug", "GYRE_HTTP_API_MAX_REQUEST_BODY_SIZE=1e6"},
			[]string{
				`GYRE_HTTP_SERVER_PORT (http_server.port): expected integer, got "x"`,
				`GYRE_HTTP_API_MAX_REQUEST_BODY_SIZE (http_api.max_request_body_size): expected integer, got "1e6"`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.env[0], func(t *testing.T) {
			_, _, err := Load("", tt.env)
			var list Errors
			if !errors.As(err, &list) {
				t.Fatalf("Load() error = %v, want Errors", err)
			}
			var got []string
			for _, fe := range list {
				got = append(got, fe.Error())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors differ (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEnvUnknownWarns(t *testing.T) {
	_, warnings, err := Load("", []string{
		"GYRE_HTTP_SERVER_PROT=1",
		"CENTRIFUGO_ADMIN_ENABLED=true",
		"GYRE_EMPTY=",
		"OTHER_THING=1",
		`GYRE_CHANNEL_NAMESPACES=[{"name":"chat","presense":true}]`,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []Warning{
		{Env: "CENTRIFUGO_ADMIN_ENABLED", Message: "environment variable names no known key (ignored)"},
		{Env: "GYRE_HTTP_SERVER_PROT", Message: "environment variable names no known key (ignored)"},
		{Key: "channel.namespaces[0].presense", Env: "GYRE_CHANNEL_NAMESPACES", Message: `unknown key (ignored); did you mean "presence"?`},
	}
	if diff := cmp.Diff(want, warnings); diff != "" {
		t.Errorf("warnings differ (-want +got):\n%s", diff)
	}
	if got := warnings[2].String(); !strings.HasPrefix(got, "GYRE_CHANNEL_NAMESPACES (channel.namespaces[0].presense): ") {
		t.Errorf("String() = %q", got)
	}
}

func TestEnvNames(t *testing.T) {
	seen := map[string]string{}
	for _, k := range envKeys() {
		path := strings.Join(k.path, ".")
		if other, dup := seen[k.name]; dup {
			t.Errorf("%s and %s share the variable %s", other, path, k.name)
		}
		seen[k.name] = path
	}
	for path, want := range map[string]string{
		"client.token.hmac_secret_key": "GYRE_CLIENT_TOKEN_HMAC_SECRET_KEY",
		"http_server.port":             "GYRE_HTTP_SERVER_PORT",
		"channel.namespaces":           "GYRE_CHANNEL_NAMESPACES",
		"pid_file":                     "GYRE_PID_FILE",
	} {
		if got := EnvName(path); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", path, got, want)
		}
		if _, ok := seen[strings.TrimPrefix(want, EnvPrefix)]; !ok {
			t.Errorf("%s is not settable from the environment", want)
		}
	}
	if _, ok := seen["CHANNEL_NAMESPACES_NAME"]; ok {
		t.Error("keys inside list items must not have variables")
	}
}
