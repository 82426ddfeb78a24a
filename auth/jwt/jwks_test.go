package jwt

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	jwtlib "github.com/golang-jwt/jwt/v5"

	"github.com/gyrehq/gyre"
)

// jwksVerifier builds a verifier whose connection tokens use srv.
func jwksVerifier(t *testing.T, srv *jwksServer, kc KeyConfig, now func() time.Time) *Verifier {
	t.Helper()
	if kc.JWKSPublicEndpoint == "" {
		kc.JWKSPublicEndpoint = srv.URL + "/jwks"
	}
	return newVerifier(t, Config{Token: kc, HTTPClient: srv.Client(), Now: now})
}

func TestJWKSAlgorithms(t *testing.T) {
	k := keys(t)
	srv := newJWKSServer(t,
		jwkFor("rsa1", &k.rsa.PublicKey, ""),
		jwkFor("rsa512", &k.rsa2.PublicKey, "RS512"),
		jwkFor("ec256", &k.ec256.PublicKey, ""),
		jwkFor("ec384", &k.ec384.PublicKey, "ES384"),
		jwkFor("ec521", &k.ec521.PublicKey, ""),
		jwkFor("ed", k.ed.Public(), "EdDSA"),
		map[string]any{"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
		map[string]any{"kty": "oct", "kid": "sym", "k": "c2VjcmV0"},
		map[string]any{"kty": "OKP", "kid": "x448", "crv": "X448", "x": "AA"},
	)
	v := jwksVerifier(t, srv, KeyConfig{}, fixedNow)
	claims := map[string]any{"sub": "j"}
	tests := []struct {
		name   string
		method jwtlib.SigningMethod
		key    any
		kid    string
		want   error
		substr string
	}{
		{"RS256", jwtlib.SigningMethodRS256, k.rsa, "rsa1", nil, ""},
		{"RS384", jwtlib.SigningMethodRS384, k.rsa, "rsa1", nil, ""},
		{"RS512 with JWK alg", jwtlib.SigningMethodRS512, k.rsa2, "rsa512", nil, ""},
		{"RS256 against JWK alg RS512", jwtlib.SigningMethodRS256, k.rsa2, "rsa512", gyre.ErrInvalidToken, "does not match"},
		{"ES256", jwtlib.SigningMethodES256, k.ec256, "ec256", nil, ""},
		{"ES384", jwtlib.SigningMethodES384, k.ec384, "ec384", nil, ""},
		{"ES512", jwtlib.SigningMethodES512, k.ec521, "ec521", nil, ""},
		{"EdDSA", jwtlib.SigningMethodEdDSA, k.ed, "ed", nil, ""},
		{"RS256 with EC kid", jwtlib.SigningMethodRS256, k.rsa, "ec256", gyre.ErrInvalidToken, "does not match"},
		{"ES384 with P-256 kid", jwtlib.SigningMethodES384, k.ec384, "ec256", gyre.ErrInvalidToken, "does not match"},
		{"wrong key for kid", jwtlib.SigningMethodRS256, k.rsa2, "rsa1", gyre.ErrInvalidToken, "invalid signature"},
		{"unknown kid", jwtlib.SigningMethodRS256, k.rsa, "nope", gyre.ErrInvalidToken, "unknown JWKS key id"},
		{"no kid", jwtlib.SigningMethodRS256, k.rsa, "", gyre.ErrInvalidToken, "unknown JWKS key id"},
		{"enc key ignored", jwtlib.SigningMethodRS256, k.rsa, "enc", gyre.ErrInvalidToken, "unknown JWKS key id"},
		{"HS256 not via JWKS", jwtlib.SigningMethodHS256, []byte("c2VjcmV0"), "sym", gyre.ErrInvalidToken, "disabled JWT algorithm"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]any{}
			if tc.kid != "" {
				hdr["kid"] = tc.kid
			}
			got, err := v.VerifyConnectToken(bg, sign(t, tc.method, tc.key, claims, hdr))
			checkErr(t, err, tc.want, tc.substr)
			if tc.want == nil && got.UserID != "j" {
				t.Fatalf("UserID = %q", got.UserID)
			}
		})
	}
	// One fetch served all lookups: unknown kids within a minute of the
	// fetch do not refetch.
	if n := srv.hits.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times, want 1", n)
	}
}

func TestJWKSStaticKeyTakesPrecedence(t *testing.T) {
	k := keys(t)
	srv := newJWKSServer(t, jwkFor("ed", k.ed.Public(), ""))
	v := jwksVerifier(t, srv, KeyConfig{RSAPublicKey: pemPublic(t, &k.rsa.PublicKey)}, fixedNow)
	if _, err := v.VerifyConnectToken(bg, sign(t, jwtlib.SigningMethodRS256, k.rsa, nil, map[string]any{"kid": "whatever"})); err != nil {
		t.Fatal(err)
	}
	if srv.hits.Load() != 0 {
		t.Fatal("static RSA key should not fetch JWKS")
	}
	if _, err := v.VerifyConnectToken(bg, sign(t, jwtlib.SigningMethodEdDSA, k.ed, nil, map[string]any{"kid": "ed"})); err != nil {
		t.Fatal(err)
	}
}

func TestJWKSCaching(t *testing.T) {
	k := keys(t)
	clk := newClock(testNow)
	srv := newJWKSServer(t, jwkFor("a", &k.rsa.PublicKey, ""))
	v := jwksVerifier(t, srv, KeyConfig{}, clk.Now)
	// exp far ahead so that advancing the clock does not expire tokens.
	claims := map[string]any{"exp": testNow.Add(48 * time.Hour).Unix()}
	tokA := sign(t, jwtlib.SigningMethodRS256, k.rsa, claims, map[string]any{"kid": "a"})
	tokB := sign(t, jwtlib.SigningMethodRS256, k.rsa2, claims, map[string]any{"kid": "b"})
	step := func(name string, tok string, want error, hits int64) {
		t.Helper()
		_, err := v.VerifyConnectToken(bg, tok)
		checkErr(t, err, want, "")
		if got := srv.hits.Load(); got != hits {
			t.Fatalf("%s: %d fetches, want %d", name, got, hits)
		}
	}
	step("first use fetches", tokA, nil, 1)
	step("cached", tokA, nil, 1)
	srv.setKeys(jwkFor("a", &k.rsa.PublicKey, ""), jwkFor("b", &k.rsa2.PublicKey, ""))
	step("unknown kid within a minute: no refetch", tokB, gyre.ErrInvalidToken, 1)
	clk.Advance(30 * time.Second)
	step("still rate limited", tokB, gyre.ErrInvalidToken, 1)
	clk.Advance(31 * time.Second)
	step("unknown kid after a minute refetches", tokB, nil, 2)
	step("new key cached", tokB, nil, 2)
	clk.Advance(59 * time.Minute)
	step("within the hour", tokA, nil, 2)
	srv.setKeys(jwkFor("b", &k.rsa2.PublicKey, ""))
	clk.Advance(2 * time.Minute)
	step("after an hour the set is refetched", tokA, gyre.ErrInvalidToken, 3)
	step("removed key stays unknown (rate limited)", tokA, gyre.ErrInvalidToken, 3)
	step("remaining key works", tokB, nil, 3)
}

func TestJWKSFetchFailures(t *testing.T) {
	k := keys(t)
	tok := sign(t, jwtlib.SigningMethodRS256, k.rsa, nil, map[string]any{"kid": "a"})

	t.Run("status 500", func(t *testing.T) {
		srv := newJWKSServer(t)
		srv.set(func() { srv.status = http.StatusInternalServerError })
		v := jwksVerifier(t, srv, KeyConfig{}, fixedNow)
		_, err := v.VerifyConnectToken(bg, tok)
		checkErr(t, err, gyre.ErrInvalidToken, "JWKS fetch failed")
		// Failures are not cached as key sets: the next call retries.
		_, err = v.VerifyConnectToken(bg, tok)
		checkErr(t, err, gyre.ErrInvalidToken, "status 500")
		if srv.hits.Load() != 2 {
			t.Fatalf("hits = %d", srv.hits.Load())
		}
	})
	t.Run("not JSON", func(t *testing.T) {
		srv := newJWKSServer(t)
		srv.set(func() { srv.body = []byte("<html>") })
		v := jwksVerifier(t, srv, KeyConfig{}, fixedNow)
		_, err := v.VerifyConnectToken(bg, tok)
		checkErr(t, err, gyre.ErrInvalidToken, "JWKS fetch failed")
	})
	t.Run("no usable keys", func(t *testing.T) {
		srv := newJWKSServer(t, map[string]any{"kty": "RSA", "kid": "a", "n": "", "e": "AQAB"})
		v := jwksVerifier(t, srv, KeyConfig{}, fixedNow)
		_, err := v.VerifyConnectToken(bg, tok)
		checkErr(t, err, gyre.ErrInvalidToken, "no usable signing keys")
	})
	t.Run("response too large", func(t *testing.T) {
		srv := newJWKSServer(t)
		srv.set(func() { srv.body = []byte(`{"keys":[],"pad":"` + strings.Repeat("x", jwksMaxBody) + `"}`) })
		v := jwksVerifier(t, srv, KeyConfig{}, fixedNow)
		_, err := v.VerifyConnectToken(bg, tok)
		checkErr(t, err, gyre.ErrInvalidToken, "larger than")
	})
	t.Run("connection refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		_ = ln.Close()
		tr := &http.Transport{}
		t.Cleanup(tr.CloseIdleConnections)
		v := newVerifier(t, Config{
			Token:      KeyConfig{JWKSPublicEndpoint: "http://" + addr + "/jwks"},
			HTTPClient: &http.Client{Transport: tr},
		})
		_, err = v.VerifyConnectToken(bg, tok)
		checkErr(t, err, gyre.ErrInvalidToken, "JWKS fetch failed")
	})
	t.Run("stale set is not used when refetch fails", func(t *testing.T) {
		clk := newClock(testNow)
		srv := newJWKSServer(t, jwkFor("a", &k.rsa.PublicKey, ""))
		v := jwksVerifier(t, srv, KeyConfig{}, clk.Now)
		if _, err := v.VerifyConnectToken(bg, tok); err != nil {
			t.Fatal(err)
		}
		srv.set(func() { srv.status = http.StatusBadGateway })
		clk.Advance(time.Hour)
		_, err := v.VerifyConnectToken(bg, tok)
		checkErr(t, err, gyre.ErrInvalidToken, "status 502")
	})
}

func TestJWKSPlaceholders(t *testing.T) {
	k := keys(t)
	srv := newJWKSServer(t, jwkFor("a", &k.rsa.PublicKey, ""))
	tests := []struct {
		name     string
		kc       KeyConfig
		claims   map[string]any
		want     error
		substr   string
		wantPath string
	}{
		{
			name:     "issuer group",
			kc:       KeyConfig{IssuerRegex: `https://auth\.example\.com/(?P<tenant>[a-z]+)`, JWKSPublicEndpoint: srv.URL + "/{{tenant}}/jwks"},
			claims:   map[string]any{"iss": "https://auth.example.com/acme"},
			wantPath: "/acme/jwks",
		},
		{
			name:     "audience and issuer groups",
			kc:       KeyConfig{IssuerRegex: `(?P<realm>[a-z]+)\.idp`, AudienceRegex: `app-(?P<app>[0-9]+)`, JWKSPublicEndpoint: srv.URL + "/{{ realm }}/{{app}}/certs"},
			claims:   map[string]any{"iss": "corp.idp", "aud": []string{"other", "app-77"}},
			wantPath: "/corp/77/certs",
		},
		{
			name:   "issuer mismatch never fetches",
			kc:     KeyConfig{IssuerRegex: `https://auth\.example\.com/(?P<tenant>[a-z]+)`, JWKSPublicEndpoint: srv.URL + "/{{tenant}}/jwks"},
			claims: map[string]any{"iss": "https://evil.example.com/acme"},
			want:   gyre.ErrInvalidToken, substr: "issuer mismatch",
		},
		{
			name:   "unsafe value rejected",
			kc:     KeyConfig{IssuerRegex: `iss:(?P<tenant>.+)`, JWKSPublicEndpoint: srv.URL + "/{{tenant}}/jwks"},
			claims: map[string]any{"iss": "iss:../../admin?x="},
			want:   gyre.ErrInvalidToken, substr: "unsafe value",
		},
		{
			name:   "dot-only value rejected",
			kc:     KeyConfig{IssuerRegex: `iss:(?P<tenant>.+)`, JWKSPublicEndpoint: srv.URL + "/{{tenant}}/jwks"},
			claims: map[string]any{"iss": "iss:.."},
			want:   gyre.ErrInvalidToken, substr: "unsafe value",
		},
		{
			name:   "optional group not matched",
			kc:     KeyConfig{IssuerRegex: `iss(?:-(?P<tenant>[a-z]+))?`, JWKSPublicEndpoint: srv.URL + "/{{tenant}}/jwks"},
			claims: map[string]any{"iss": "iss"},
			want:   gyre.ErrInvalidToken, substr: "no value for JWKS endpoint placeholder",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := jwksVerifier(t, srv, tc.kc, fixedNow)
			before := srv.hits.Load()
			_, err := v.VerifyConnectToken(bg, sign(t, jwtlib.SigningMethodRS256, k.rsa, tc.claims, map[string]any{"kid": "a"}))
			checkErr(t, err, tc.want, tc.substr)
			if tc.wantPath != "" {
				if got := srv.lastPath(); got != tc.wantPath {
					t.Fatalf("fetched %q, want %q", got, tc.wantPath)
				}
			} else if srv.hits.Load() != before {
				t.Fatal("rejected token caused a JWKS fetch")
			}
		})
	}
}

func TestJWKSConcurrentFetchShared(t *testing.T) {
	k := keys(t)
	srv := newJWKSServer(t, jwkFor("a", &k.rsa.PublicKey, ""))
	block := make(chan struct{})
	entered := make(chan struct{}, 1)
	srv.set(func() { srv.block, srv.entered = block, entered })
	v := jwksVerifier(t, srv, KeyConfig{}, fixedNow)
	tok := sign(t, jwtlib.SigningMethodRS256, k.rsa, map[string]any{"sub": "c"}, map[string]any{"kid": "a"})

	const n = 8
	errs := make(chan error, n)
	go func() {
		_, err := v.VerifyConnectToken(bg, tok)
		errs <- err
	}()
	<-entered // the leader's request is in flight

	// A waiter whose context ends gives up without waiting for the fetch.
	ctx, cancel := context.WithCancel(bg)
	cancel()
	_, err := v.VerifyConnectToken(ctx, tok)
	checkErr(t, err, gyre.ErrInvalidToken, "JWKS fetch failed")

	var wg sync.WaitGroup
	for i := 1; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := v.VerifyConnectToken(bg, tok)
			errs <- err
		}()
	}
	close(block)
	wg.Wait()
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Fatalf("verify: %v", err)
		}
	}
	if got := srv.hits.Load(); got != 1 {
		t.Fatalf("%d fetches, want 1", got)
	}
}

func TestParseJWK(t *testing.T) {
	k := keys(t)
	ok := []map[string]any{
		jwkFor("r", &k.rsa.PublicKey, "RS256"),
		jwkFor("e", &k.ec521.PublicKey, "ES512"),
		jwkFor("o", k.ed.Public(), ""),
	}
	for _, m := range ok {
		if _, err := parseJWK(toJWK(m)); err != nil {
			t.Fatalf("%v: %v", m["kid"], err)
		}
	}
	bad := map[string]jwk{
		"rsa alg ES256":   {Kty: "RSA", Alg: "ES256", N: "AQAB", E: "AQAB"},
		"rsa even e":      {Kty: "RSA", N: "AQAB", E: "Ag"},
		"rsa huge e":      {Kty: "RSA", N: "AQAB", E: "AQIDBAU"},
		"ec bad curve":    {Kty: "EC", Crv: "P-192", X: "AA", Y: "AA"},
		"ec alg mismatch": {Kty: "EC", Crv: "P-256", Alg: "ES384", X: "AA", Y: "AA"},
		"ec not on curve": {Kty: "EC", Crv: "P-256", X: "AQ", Y: "AQ"},
		"ec x too long":   {Kty: "EC", Crv: "P-256", X: b64(make([]byte, 33)), Y: "AQ"},
		"okp short x":     {Kty: "OKP", Crv: "Ed25519", X: "AQ"},
		"okp alg":         {Kty: "OKP", Crv: "Ed25519", Alg: "RS256", X: b64(make([]byte, 32))},
		"oct":             {Kty: "oct"},
	}
	for name, j := range bad {
		if _, err := parseJWK(j); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func toJWK(m map[string]any) jwk {
	s := func(k string) string { v, _ := m[k].(string); return v }
	return jwk{Kty: s("kty"), Kid: s("kid"), Alg: s("alg"), Use: s("use"), Crv: s("crv"), N: s("n"), E: s("e"), X: s("x"), Y: s("y")}
}
