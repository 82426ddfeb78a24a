package config

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	toml "github.com/pelletier/go-toml/v2"
	yaml "go.yaml.in/yaml/v3"
)

// SecretBytes is how many random bytes Generate draws for each secret; the
// secrets are written URL-safe base64 without padding.
const SecretBytes = 32

// generated is the minimal configuration Generate writes, in key order.
type generated struct {
	Client  generatedClient  `json:"client" yaml:"client" toml:"client"`
	HTTPAPI generatedHTTPAPI `json:"http_api" yaml:"http_api" toml:"http_api"`
}

type generatedClient struct {
	Token          generatedToken `json:"token" yaml:"token" toml:"token"`
	AllowedOrigins []string       `json:"allowed_origins" yaml:"allowed_origins" toml:"allowed_origins"`
}

type generatedToken struct {
	HMACSecretKey string `json:"hmac_secret_key" yaml:"hmac_secret_key" toml:"hmac_secret_key"`
}

type generatedHTTPAPI struct {
	Key string `json:"key" yaml:"key" toml:"key"`
}

// Generate returns a minimal working configuration in the given format
// ("json", "yaml", "yml" or "toml"; a leading dot is allowed): a fresh random
// client.token.hmac_secret_key and http_api.key, and an empty
// client.allowed_origins. Everything else keeps its default.
func Generate(format string) ([]byte, error) {
	f := strings.ToLower(strings.TrimPrefix(format, "."))
	secret, err := randomSecret()
	if err != nil {
		return nil, err
	}
	key, err := randomSecret()
	if err != nil {
		return nil, err
	}
	g := generated{
		Client:  generatedClient{Token: generatedToken{HMACSecretKey: secret}, AllowedOrigins: []string{}},
		HTTPAPI: generatedHTTPAPI{Key: key},
	}
	switch f {
	case "json":
		b, err := json.MarshalIndent(g, "", "  ")
		if err != nil {
			return nil, err
		}
		return append(b, '\n'), nil
	case "yaml", "yml":
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(g); err != nil {
			return nil, err
		}
		if err := enc.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	case "toml":
		return toml.Marshal(g)
	}
	return nil, fmt.Errorf("config: unsupported format %q (use json, yaml, yml or toml)", format)
}

func randomSecret() (string, error) {
	b := make([]byte, SecretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("config: random secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
