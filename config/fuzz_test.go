package config

import (
	"errors"
	"testing"
)

func FuzzLoadJSON(f *testing.F) {
	for _, content := range sameConfig {
		f.Add([]byte(content))
	}
	seeds := []string{
		``,
		`{}`,
		`null`,
		`[]`,
		`{"http_server": {"port": "x"}}`,
		`{"client": {"ping_interval": 1e400}}`,
		`{"client": {"ping_interval": -1e300, "pong_timeout": "-1h"}}`,
		`{"channel": {"namespaces": [{"name": "a", "channel_regex": "(?P<x"}, null, 5, []]}}`,
		`{"channel": {"namespaces": [{"name": "chat", "history_size": 9223372036854775807, "history_ttl": "2562047h"}]}}`,
		`{"client": {"allowed_origins": ["{a,b", "[", "\\"]}}`,
		`{"log": {"level": {"nested": [[[[]]]]}}}`,
		"{\"a\u00e9\": 1, \"\xff\": 2}",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	env := []string{"GYRE_LOG_LEVEL=debug"}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, warnings, err := load(data, "json", env)
		if err != nil {
			if cfg != nil {
				t.Fatalf("config %+v returned with error %v", cfg, err)
			}
			var list Errors
			if errors.As(err, &list) {
				for _, fe := range list {
					if fe.Key == "" {
						t.Fatalf("error without a key: %v", fe)
					}
				}
			}
			return
		}
		for _, w := range warnings {
			if w.Key == "" {
				t.Fatalf("warning without a key: %v", w)
			}
		}
		_ = cfg.Validate()
		_, _ = cfg.Namespace("chat")
	})
}
