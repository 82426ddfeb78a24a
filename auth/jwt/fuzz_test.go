package jwt

import (
	"errors"
	"testing"

	jwtlib "github.com/golang-jwt/jwt/v5"

	"github.com/gyrehq/gyre"
)

// FuzzVerifyConnectToken checks that arbitrary input never panics and
// always yields either a token or a classified error.
func FuzzVerifyConnectToken(f *testing.F) {
	k := keys(f)
	now := testNow.Unix()
	f.Add("")
	f.Add("a.b.c")
	f.Add("....")
	f.Add(hs256(f, map[string]any{"sub": "1", "exp": now + 60, "info": map[string]any{"a": 1}}))
	f.Add(hs256(f, map[string]any{"sub": "1", "subs": map[string]any{"c": map[string]any{"b64data": "AA==", "override": map[string]any{"presence": map[string]any{"value": true}}}}}))
	f.Add(hs256(f, map[string]any{"expire_at": 0, "channels": []string{"x"}, "meta": []int{1}}))
	f.Add(hs256(f, map[string]any{"exp": now - 1}))
	f.Add(noneToken(f, map[string]any{"sub": "1"}))
	f.Add(sign(f, jwtlib.SigningMethodRS256, k.rsa, map[string]any{"sub": "r", "aud": []string{"a", "gyre"}}, nil))
	f.Add(sign(f, jwtlib.SigningMethodES256, k.ec256, map[string]any{"sub": "e", "iss": "issuer"}, nil))
	f.Add(`eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjF9.AAAA`)
	f.Add(`eyJhbGciOiJIUzI1NiJ9.bnVsbA.AAAA`)

	strict := newVerifier(f, Config{Token: KeyConfig{
		HMACSecretKey:  testSecret,
		RSAPublicKey:   pemPublic(f, &k.rsa.PublicKey),
		ECDSAPublicKey: pemPublic(f, &k.ec256.PublicKey),
		AudienceRegex:  `(gyre|a)`,
		UserIDClaim:    "sub",
	}})
	// Skipping signatures lets mutated payloads reach claim decoding.
	loose := newVerifier(f, Config{SkipSignatureVerify: true})
	f.Fuzz(func(t *testing.T, token string) {
		for _, v := range []*Verifier{strict, loose} {
			if _, err := v.VerifyConnectToken(bg, token); err != nil {
				if !errors.Is(err, gyre.ErrInvalidToken) && !errors.Is(err, gyre.ErrTokenExpired) {
					t.Fatalf("unclassified error: %v", err)
				}
			}
			if _, err := v.VerifySubscribeToken(bg, token); err != nil {
				if !errors.Is(err, gyre.ErrInvalidToken) && !errors.Is(err, gyre.ErrTokenExpired) {
					t.Fatalf("unclassified error: %v", err)
				}
			}
		}
	})
}
