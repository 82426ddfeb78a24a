package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRedisAddressStringOrList(t *testing.T) {
	for _, tc := range []struct {
		name, content string
		env           []string
		want          StringList
	}{
		{"one string", `{"engine":{"type":"redis","redis":{"address":"redis://10.0.0.1:6379"}}}`, nil, StringList{"redis://10.0.0.1:6379"}},
		{"a list", `{"engine":{"type":"redis","redis":{"address":["a:6379","b:6379"]}}}`, nil, StringList{"a:6379", "b:6379"}},
		{"env list", `{"engine":{"type":"redis"}}`, []string{"GYRE_ENGINE_REDIS_ADDRESS=a:1,b:2"}, StringList{"a:1", "b:2"}},
		{"default", `{"engine":{"type":"redis"}}`, nil, StringList{"redis://127.0.0.1:6379"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "c.json")
			if err := os.WriteFile(p, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, warnings, err := Load(p, tc.env)
			if err != nil || len(warnings) > 0 {
				t.Fatalf("Load: %v %v", err, warnings)
			}
			if diff := cmp.Diff(tc.want, cfg.Engine.Redis.Address); diff != "" {
				t.Fatal(diff)
			}
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
