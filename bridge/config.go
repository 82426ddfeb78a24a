package bridge

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// TLS names a certificate and its key (PEM files), like the seed's
// centrifuge.tls section.
type TLS struct {
	Key  string `yaml:"key" json:"key"`
	Cert string `yaml:"cert" json:"cert"`
}

// Config mirrors the seed's .rr.yaml "centrifuge:" section plus what the
// seed lacked (API key, HTTP API, timeouts). The zero value of a field
// means its default (DefaultConfig).
type Config struct {
	// ProxyAddress is where bridgegrpc listens and the server's gRPC proxy
	// endpoint points: tcp://host:port, host:port or unix:///path.
	ProxyAddress string `yaml:"proxy_address" json:"proxy_address"`
	// HTTPProxyAddress, when set, is a host:port where the application
	// serves bridgehttp.
	HTTPProxyAddress string `yaml:"http_proxy_address" json:"http_proxy_address"`
	// GRPCAPIAddress is the server's gRPC API (host:port; a leading tcp://
	// is stripped).
	GRPCAPIAddress string `yaml:"grpc_api_address" json:"grpc_api_address"`
	// HTTPAPIAddress is the server's HTTP API base URL, e.g.
	// http://127.0.0.1:8000/api; apiclient.FromConfig uses it when
	// GRPCAPIAddress is empty.
	HTTPAPIAddress string `yaml:"http_api_address" json:"http_api_address"`
	// APIKey is sent with every API call (grpc_api.key / http_api.key).
	APIKey string `yaml:"api_key" json:"api_key"`
	// UseCompressor gzips outgoing API calls (as in the seed).
	UseCompressor bool `yaml:"use_compressor" json:"use_compressor"`
	// TLS is the client certificate of the API client (as in the seed) and
	// the server certificate of bridgegrpc (which the seed lacked).
	TLS *TLS `yaml:"tls" json:"tls,omitempty"`
	// ProxyTimeout caps each dispatch (WithTimeout) and is the bridgehttp
	// handler deadline; default 10s (set it to the server's proxy timeout).
	ProxyTimeout time.Duration `yaml:"proxy_timeout" json:"proxy_timeout"`
	// APITimeout bounds each API call; default 10s.
	APITimeout time.Duration `yaml:"api_timeout" json:"api_timeout"`
	// Name and Version are accepted for compatibility with the seed and
	// unused (as in the seed).
	Name    string `yaml:"name" json:"name,omitempty"`
	Version string `yaml:"version" json:"version,omitempty"`
}

// Defaults of Config (the seed's where it had one).
const (
	DefaultProxyAddress   = "tcp://127.0.0.1:30000"
	DefaultGRPCAPIAddress = "127.0.0.1:10000"
	DefaultProxyTimeout   = 10 * time.Second
	DefaultAPITimeout     = 10 * time.Second
)

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		ProxyAddress:   DefaultProxyAddress,
		GRPCAPIAddress: DefaultGRPCAPIAddress,
		ProxyTimeout:   DefaultProxyTimeout,
		APITimeout:     DefaultAPITimeout,
	}
}

// LoadConfig reads a YAML or JSON file (JSON is YAML) — for example the
// seed's .rr.yaml — and returns its configuration with defaults applied
// and validated. When the document has a top-level "centrifuge" key, that
// section is read; otherwise the whole document is the section.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("bridge: failed to read config: %w", err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseConfig parses a YAML or JSON document like LoadConfig. Unknown keys
// are errors (the seed's schema has additionalProperties: false). Durations
// are strings such as "10s".
func ParseConfig(data []byte) (Config, error) {
	var probe map[string]yaml.Node
	if err := yaml.Unmarshal(data, &probe); err != nil {
		return Config{}, fmt.Errorf("bridge: invalid config: %w", err)
	}
	c := DefaultConfig()
	if n, ok := probe["centrifuge"]; ok {
		if err := decodeStrict(&n, &c); err != nil {
			return Config{}, err
		}
	} else if len(probe) > 0 {
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return Config{}, fmt.Errorf("bridge: invalid config: %w", err)
		}
		if err := decodeStrict(&doc, &c); err != nil {
			return Config{}, err
		}
	}
	c.applyDefaults()
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

func decodeStrict(n *yaml.Node, c *Config) error {
	// yaml.Node.Decode has no KnownFields; re-encode and decode strictly.
	raw, err := yaml.Marshal(n)
	if err != nil {
		return fmt.Errorf("bridge: invalid config: %w", err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		return fmt.Errorf("bridge: invalid config: %w", err)
	}
	return nil
}

func (c *Config) applyDefaults() {
	d := DefaultConfig()
	if c.ProxyAddress == "" {
		c.ProxyAddress = d.ProxyAddress
	}
	if c.ProxyTimeout == 0 {
		c.ProxyTimeout = d.ProxyTimeout
	}
	if c.APITimeout == 0 {
		c.APITimeout = d.APITimeout
	}
}

// Validate reports every problem of c, each prefixed with its key.
func (c Config) Validate() error {
	var errs []error
	if err := ValidateAddress(c.ProxyAddress); err != nil {
		errs = append(errs, fmt.Errorf("proxy_address: %w", err))
	}
	if c.HTTPAPIAddress != "" && !strings.HasPrefix(c.HTTPAPIAddress, "http://") && !strings.HasPrefix(c.HTTPAPIAddress, "https://") {
		errs = append(errs, errors.New("http_api_address: must be an http:// or https:// URL"))
	}
	if c.TLS != nil {
		if c.TLS.Key == "" || c.TLS.Cert == "" {
			errs = append(errs, errors.New("tls: both key and cert are required"))
		}
		for k, f := range map[string]string{"tls.key": c.TLS.Key, "tls.cert": c.TLS.Cert} {
			if f == "" {
				continue
			}
			if _, err := os.Stat(f); err != nil {
				errs = append(errs, fmt.Errorf("%s: file %q does not exist", k, f))
			}
		}
	}
	if c.ProxyTimeout < 0 {
		errs = append(errs, errors.New("proxy_timeout: must not be negative"))
	}
	if c.APITimeout < 0 {
		errs = append(errs, errors.New("api_timeout: must not be negative"))
	}
	return errors.Join(errs...)
}

// ParseAddress splits a listen address into a network and an address for
// net.Listen: "tcp://host:port" and "host:port" give ("tcp", "host:port");
// "unix:///path" gives ("unix", "/path").
func ParseAddress(address string) (network, addr string, err error) {
	switch {
	case strings.HasPrefix(address, "unix://"):
		p := strings.TrimPrefix(address, "unix://")
		if p == "" {
			return "", "", fmt.Errorf("address %q: empty socket path", address)
		}
		return "unix", p, nil
	case strings.HasPrefix(address, "tcp://"):
		address = strings.TrimPrefix(address, "tcp://")
	case strings.Contains(address, "://"):
		return "", "", fmt.Errorf("address %q: scheme must be tcp:// or unix://", address)
	}
	if i := strings.LastIndex(address, ":"); i < 0 || address[i+1:] == "" {
		return "", "", fmt.Errorf("address %q: must be host:port", address)
	}
	return "tcp", address, nil
}

// ValidateAddress checks a listen address (see ParseAddress).
func ValidateAddress(address string) error {
	_, _, err := ParseAddress(address)
	return err
}
