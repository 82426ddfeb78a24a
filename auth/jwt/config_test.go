package jwt

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	jwtlib "github.com/golang-jwt/jwt/v5"

	"github.com/gyrehq/gyre"
)

func TestNewErrors(t *testing.T) {
	k := keys(t)
	rsaPEM := pemPublic(t, &k.rsa.PublicKey)
	ecPEM := pemPublic(t, &k.ec256.PublicKey)
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(k.ec256)
	if err != nil {
		t.Fatal(err)
	}
	privPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}))
	brokenPEM := "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"

	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"malformed RSA PEM", Config{Token: KeyConfig{RSAPublicKey: brokenPEM}}, "client.token.rsa_public_key: parse PKIX"},
		{"RSA key not PEM", Config{Token: KeyConfig{RSAPublicKey: "not a key"}}, "client.token.rsa_public_key: not PEM"},
		{"base64 without PEM", Config{Token: KeyConfig{RSAPublicKey: base64.StdEncoding.EncodeToString([]byte("hello"))}}, "client.token.rsa_public_key: no PEM block"},
		{"EC PEM as RSA", Config{Token: KeyConfig{RSAPublicKey: ecPEM}}, "client.token.rsa_public_key: not an RSA public key"},
		{"Ed25519 PEM as RSA", Config{Token: KeyConfig{RSAPublicKey: pemPublic(t, k.ed.Public())}}, "client.token.rsa_public_key: not an RSA"},
		{"RSA PEM as ECDSA", Config{Token: KeyConfig{ECDSAPublicKey: rsaPEM}}, "client.token.ecdsa_public_key: not an ECDSA public key"},
		{"private key PEM", Config{Token: KeyConfig{ECDSAPublicKey: privPEM}}, `client.token.ecdsa_public_key: unexpected PEM block type "PRIVATE KEY"`},
		{"P-224 ECDSA", Config{Token: KeyConfig{ECDSAPublicKey: pemPublic(t, &p224.PublicKey)}}, "client.token.ecdsa_public_key: unsupported curve P-224"},
		{"subscription section named", Config{SubscriptionToken: &KeyConfig{ECDSAPublicKey: brokenPEM}}, "client.subscription_token.ecdsa_public_key"},
		{"audience and regex", Config{Token: KeyConfig{Audience: "a", AudienceRegex: "a"}}, "client.token.audience_regex: cannot be set together"},
		{"issuer and regex", Config{Token: KeyConfig{Issuer: "a", IssuerRegex: "a"}}, "client.token.issuer_regex: cannot be set together"},
		{"bad audience regex", Config{Token: KeyConfig{AudienceRegex: "("}}, "client.token.audience_regex: error parsing regexp"},
		{"bad issuer regex", Config{Token: KeyConfig{IssuerRegex: "[z-a]"}}, "client.token.issuer_regex: error parsing regexp"},
		{"bad user_id_claim", Config{Token: KeyConfig{UserIDClaim: "user-id"}}, "client.token.user_id_claim"},
		{"previous key without valid_until", Config{Token: KeyConfig{HMACSecretKey: "a", HMACPreviousSecretKey: "b"}}, "client.token.hmac_previous_secret_key_valid_until"},
		{"previous key without current", Config{Token: KeyConfig{HMACPreviousSecretKey: "b", HMACPreviousSecretKeyValidUntil: 1}}, "client.token.hmac_previous_secret_key: set without hmac_secret_key"},
		{"jwks unknown placeholder", Config{Token: KeyConfig{JWKSPublicEndpoint: "https://x/{{tenant}}/jwks"}}, "client.token.jwks_public_endpoint: placeholder {{tenant}}"},
		{"jwks bad scheme", Config{Token: KeyConfig{JWKSPublicEndpoint: "ftp://x/jwks"}}, "client.token.jwks_public_endpoint: scheme"},
		{"jwks no host", Config{Token: KeyConfig{JWKSPublicEndpoint: "https:///jwks"}}, "client.token.jwks_public_endpoint: missing host"},
		{"jwks unparsable", Config{Token: KeyConfig{JWKSPublicEndpoint: "http://[::1/"}}, "client.token.jwks_public_endpoint:"},
		{"negative leeway", Config{Leeway: -time.Second}, "leeway"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := New(tc.cfg)
			if err == nil {
				t.Fatalf("New accepted config: %+v", v)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestKeyFormats(t *testing.T) {
	k := keys(t)
	rsaPEM := pemPublic(t, &k.rsa.PublicKey)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "gyre test"},
		NotBefore:    testNow.Add(-time.Hour),
		NotAfter:     testNow.Add(time.Hour),
	}
	rsaCert, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.rsa.PublicKey, k.rsa)
	if err != nil {
		t.Fatal(err)
	}
	ecCert, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.ec384.PublicKey, k.ec384)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := func(der []byte) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	}
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey)}))
	b64PEM := base64.StdEncoding.EncodeToString([]byte(rsaPEM))
	wrapped := ""
	for i := 0; i < len(b64PEM); i += 64 {
		wrapped += b64PEM[i:min(i+64, len(b64PEM))] + "\n"
	}

	rsaTok := sign(t, jwtlib.SigningMethodRS256, k.rsa, map[string]any{"sub": "r"}, nil)
	ecTok := sign(t, jwtlib.SigningMethodES384, k.ec384, map[string]any{"sub": "e"}, nil)
	tests := []struct {
		name string
		kc   KeyConfig
		tok  string
	}{
		{"PKIX PEM", KeyConfig{RSAPublicKey: rsaPEM}, rsaTok},
		{"PEM with surrounding space", KeyConfig{RSAPublicKey: "\n  " + rsaPEM + "  \n"}, rsaTok},
		{"PKCS1 PEM", KeyConfig{RSAPublicKey: pkcs1}, rsaTok},
		{"RSA certificate", KeyConfig{RSAPublicKey: certPEM(rsaCert)}, rsaTok},
		{"base64 of PEM", KeyConfig{RSAPublicKey: b64PEM}, rsaTok},
		{"wrapped base64 of PEM", KeyConfig{RSAPublicKey: wrapped}, rsaTok},
		{"ECDSA PKIX PEM", KeyConfig{ECDSAPublicKey: pemPublic(t, &k.ec384.PublicKey)}, ecTok},
		{"ECDSA certificate", KeyConfig{ECDSAPublicKey: certPEM(ecCert)}, ecTok},
		{"ECDSA base64 of PEM", KeyConfig{ECDSAPublicKey: base64.StdEncoding.EncodeToString([]byte(pemPublic(t, &k.ec384.PublicKey)))}, ecTok},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := newVerifier(t, Config{Token: tc.kc})
			if _, err := v.VerifyConnectToken(bg, tc.tok); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	v, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if v.now == nil || v.jwks.client == nil || v.jwks.client.Timeout != defaultHTTPTimeout {
		t.Fatal("defaults not applied")
	}
	if v.sub != v.conn {
		t.Fatal("subscription tokens should share the connection key set")
	}
	// A token with no keys configured is rejected but does not panic.
	tok, err := SignHMAC("x", map[string]any{"exp": time.Now().Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.VerifyConnectToken(bg, tok)
	checkErr(t, err, gyre.ErrInvalidToken, "disabled JWT algorithm")
}
