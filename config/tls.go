package config

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
)

// LoadPEM returns PEM bytes from a value that is PEM text, base64 of PEM
// text, or the path of a PEM file.
func LoadPEM(v string) ([]byte, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, errors.New("is empty")
	}
	if strings.HasPrefix(v, "-----BEGIN") {
		return []byte(v), nil
	}
	if b, err := base64.StdEncoding.DecodeString(v); err == nil && strings.Contains(string(b), "-----BEGIN") {
		return b, nil
	}
	b, err := os.ReadFile(v)
	if err != nil {
		return nil, fmt.Errorf("is neither PEM text, base64 PEM, nor a readable file: %w", err)
	}
	return b, nil
}

// Certificate loads the TLS certificate the section describes.
func (t TLS) Certificate() (tls.Certificate, error) {
	cert, err := LoadPEM(t.CertPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("cert_pem %w", err)
	}
	key, err := LoadPEM(t.KeyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("key_pem %w", err)
	}
	c, err := tls.X509KeyPair(cert, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("certificate and key do not form a pair: %w", err)
	}
	return c, nil
}

// ServerConfig returns a tls.Config serving the certificate, or nil when TLS
// is off.
func (t TLS) ServerConfig() (*tls.Config, error) {
	if !t.Enabled {
		return nil, nil
	}
	c, err := t.Certificate()
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{c}, MinVersion: tls.VersionTLS12}, nil
}

func validateTLS(v *validator, key string, t TLS) {
	if !t.Enabled {
		return
	}
	if _, err := t.Certificate(); err != nil {
		v.add(key, "%v", err)
	}
}
