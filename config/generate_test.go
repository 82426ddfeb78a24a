package config

import (
	"regexp"
	"strings"
	"testing"
)

var urlSafeSecret = regexp.MustCompile(`^[A-Za-z0-9_-]{43,}$`)

func TestGenerateRoundTrips(t *testing.T) {
	for _, format := range []string{"json", "yaml", "yml", "toml", ".JSON"} {
		t.Run(format, func(t *testing.T) {
			first, err := Generate(format)
			if err != nil {
				t.Fatalf("Generate(%q) = %v", format, err)
			}
			second, err := Generate(format)
			if err != nil {
				t.Fatal(err)
			}
			ext := strings.ToLower(strings.TrimPrefix(format, "."))
			cfg, warnings := loadString(t, "config."+ext, string(first))
			if len(warnings) > 0 {
				t.Errorf("warnings: %v", warnings)
			}
			if err := cfg.Validate(); err != nil {
				t.Errorf("Validate() = %v", err)
			}
			secret, key := cfg.Client.Token.HMACSecretKey, cfg.HTTPAPI.Key
			for name, s := range map[string]string{"client.token.hmac_secret_key": secret, "http_api.key": key} {
				if !urlSafeSecret.MatchString(s) {
					t.Errorf("%s = %q, want 43+ URL-safe characters", name, s)
				}
			}
			if secret == key {
				t.Error("hmac_secret_key and http_api.key are equal")
			}
			if cfg.Client.AllowedOrigins == nil || len(cfg.Client.AllowedOrigins) != 0 {
				t.Errorf("allowed_origins = %#v, want empty", cfg.Client.AllowedOrigins)
			}
			if !strings.Contains(string(first), "allowed_origins") {
				t.Errorf("output does not spell out allowed_origins:\n%s", first)
			}
			again, _ := loadString(t, "config."+ext, string(second))
			if again.Client.Token.HMACSecretKey == secret || again.HTTPAPI.Key == key {
				t.Error("two calls produced the same secrets")
			}
		})
	}
	if _, err := Generate("ini"); err == nil || !strings.Contains(err.Error(), `unsupported format "ini"`) {
		t.Errorf("Generate(ini) error = %v", err)
	}
}
