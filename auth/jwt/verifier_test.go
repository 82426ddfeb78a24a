package jwt

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	jwtlib "github.com/golang-jwt/jwt/v5"

	"github.com/gyrehq/gyre"
)

func TestAlgorithms(t *testing.T) {
	k := keys(t)
	hmacCfg := KeyConfig{HMACSecretKey: testSecret}
	rsaCfg := KeyConfig{RSAPublicKey: pemPublic(t, &k.rsa.PublicKey)}
	ec256Cfg := KeyConfig{ECDSAPublicKey: pemPublic(t, &k.ec256.PublicKey)}
	ec384Cfg := KeyConfig{ECDSAPublicKey: pemPublic(t, &k.ec384.PublicKey)}
	ec521Cfg := KeyConfig{ECDSAPublicKey: pemPublic(t, &k.ec521.PublicKey)}
	allCfg := KeyConfig{
		HMACSecretKey:  testSecret,
		RSAPublicKey:   rsaCfg.RSAPublicKey,
		ECDSAPublicKey: ec256Cfg.ECDSAPublicKey,
	}
	claims := map[string]any{"sub": "42"}

	tests := []struct {
		name   string
		method jwtlib.SigningMethod
		key    any
		cfg    KeyConfig
		want   error
		substr string
	}{
		{"HS256", jwtlib.SigningMethodHS256, []byte(testSecret), hmacCfg, nil, ""},
		{"HS384", jwtlib.SigningMethodHS384, []byte(testSecret), hmacCfg, nil, ""},
		{"HS512", jwtlib.SigningMethodHS512, []byte(testSecret), hmacCfg, nil, ""},
		{"HS256 all keys", jwtlib.SigningMethodHS256, []byte(testSecret), allCfg, nil, ""},
		{"HS256 without HMAC key", jwtlib.SigningMethodHS256, []byte(testSecret), rsaCfg, gyre.ErrInvalidToken, "disabled JWT algorithm"},
		{"RS256", jwtlib.SigningMethodRS256, k.rsa, rsaCfg, nil, ""},
		{"RS384", jwtlib.SigningMethodRS384, k.rsa, rsaCfg, nil, ""},
		{"RS512", jwtlib.SigningMethodRS512, k.rsa, rsaCfg, nil, ""},
		{"RS256 all keys", jwtlib.SigningMethodRS256, k.rsa, allCfg, nil, ""},
		{"RS256 without RSA key", jwtlib.SigningMethodRS256, k.rsa, hmacCfg, gyre.ErrInvalidToken, "disabled JWT algorithm"},
		{"RS256 other RSA key", jwtlib.SigningMethodRS256, k.rsa2, rsaCfg, gyre.ErrInvalidToken, "invalid signature"},
		{"ES256", jwtlib.SigningMethodES256, k.ec256, ec256Cfg, nil, ""},
		{"ES384", jwtlib.SigningMethodES384, k.ec384, ec384Cfg, nil, ""},
		{"ES512", jwtlib.SigningMethodES512, k.ec521, ec521Cfg, nil, ""},
		{"ES256 all keys", jwtlib.SigningMethodES256, k.ec256, allCfg, nil, ""},
		{"ES256 without ECDSA key", jwtlib.SigningMethodES256, k.ec256, hmacCfg, gyre.ErrInvalidToken, "disabled JWT algorithm"},
		{"ES384 with P-256 key", jwtlib.SigningMethodES384, k.ec384, ec256Cfg, gyre.ErrInvalidToken, "curve"},
		{"ES256 other ECDSA key", jwtlib.SigningMethodES256, k.ec256, KeyConfig{ECDSAPublicKey: pemPublic(t, &mustEC(t).PublicKey)}, gyre.ErrInvalidToken, "invalid signature"},
		{"EdDSA without JWKS", jwtlib.SigningMethodEdDSA, k.ed, allCfg, gyre.ErrInvalidToken, "disabled JWT algorithm"},
		{"PS256 unsupported", jwtlib.SigningMethodPS256, k.rsa, allCfg, gyre.ErrInvalidToken, "unsupported JWT algorithm"},
		{"no keys at all", jwtlib.SigningMethodHS256, []byte(testSecret), KeyConfig{}, gyre.ErrInvalidToken, "disabled JWT algorithm"},
		{"HS256 wrong secret", jwtlib.SigningMethodHS256, []byte("other"), hmacCfg, gyre.ErrInvalidToken, "invalid signature"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := newVerifier(t, Config{Token: tc.cfg})
			tok := sign(t, tc.method, tc.key, claims, nil)
			got, err := v.VerifyConnectToken(bg, tok)
			checkErr(t, err, tc.want, tc.substr)
			if tc.want == nil && got.UserID != "42" {
				t.Fatalf("UserID = %q", got.UserID)
			}
			// Subscription tokens share the same keys when no separate
			// section is configured.
			stok := sign(t, tc.method, tc.key, map[string]any{"sub": "42", "channel": "ch"}, nil)
			_, err = v.VerifySubscribeToken(bg, stok)
			checkErr(t, err, tc.want, tc.substr)
		})
	}
}

func mustEC(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestAlgNoneAlwaysRejected(t *testing.T) {
	k := keys(t)
	cfgs := map[string]Config{
		"hmac": hmacConfig(),
		"all": {Token: KeyConfig{
			HMACSecretKey:  testSecret,
			RSAPublicKey:   pemPublic(t, &k.rsa.PublicKey),
			ECDSAPublicKey: pemPublic(t, &k.ec256.PublicKey),
		}},
		"skip signature verify": {SkipSignatureVerify: true},
	}
	tok := noneToken(t, map[string]any{"sub": "42"})
	for name, cfg := range cfgs {
		t.Run(name, func(t *testing.T) {
			v := newVerifier(t, cfg)
			_, err := v.VerifyConnectToken(bg, tok)
			checkErr(t, err, gyre.ErrInvalidToken, "alg none")
			_, err = v.VerifySubscribeToken(bg, noneToken(t, map[string]any{"channel": "x"}))
			checkErr(t, err, gyre.ErrInvalidToken, "alg none")
		})
	}
}

func TestKeyConfusion(t *testing.T) {
	k := keys(t)
	rsaPEM := pemPublic(t, &k.rsa.PublicKey)
	// An attacker signs HS256 with the (public) RSA key PEM as the secret.
	tok := sign(t, jwtlib.SigningMethodHS256, []byte(rsaPEM), map[string]any{"sub": "admin"}, nil)

	t.Run("RSA only", func(t *testing.T) {
		v := newVerifier(t, Config{Token: KeyConfig{RSAPublicKey: rsaPEM}})
		_, err := v.VerifyConnectToken(bg, tok)
		checkErr(t, err, gyre.ErrInvalidToken, "disabled JWT algorithm")
	})
	t.Run("RSA and other HMAC secret", func(t *testing.T) {
		v := newVerifier(t, Config{Token: KeyConfig{RSAPublicKey: rsaPEM, HMACSecretKey: testSecret}})
		_, err := v.VerifyConnectToken(bg, tok)
		checkErr(t, err, gyre.ErrInvalidToken, "invalid signature")
	})
	t.Run("RS256 token with HMAC config", func(t *testing.T) {
		// The reverse: an RS256 token is never checked with the HMAC secret.
		v := newVerifier(t, Config{Token: KeyConfig{HMACSecretKey: rsaPEM}})
		_, err := v.VerifyConnectToken(bg, sign(t, jwtlib.SigningMethodRS256, k.rsa, map[string]any{"sub": "x"}, nil))
		checkErr(t, err, gyre.ErrInvalidToken, "disabled JWT algorithm")
	})
}

func TestMalformedAndTampered(t *testing.T) {
	v := newVerifier(t, hmacConfig())
	good := hs256(t, map[string]any{"sub": "42"})
	parts := strings.Split(good, ".")
	otherPayload := strings.Split(hs256(t, map[string]any{"sub": "admin"}), ".")[1]
	nullPayload := b64([]byte("null"))
	tests := map[string]string{
		"empty":            "",
		"garbage":          "not a token",
		"two parts":        parts[0] + "." + parts[1],
		"four parts":       good + ".x",
		"tampered payload": parts[0] + "." + otherPayload + "." + parts[2],
		"bad signature":    parts[0] + "." + parts[1] + "." + b64([]byte("nope")),
		"bad base64":       parts[0] + ".!!!." + parts[2],
		"null payload":     parts[0] + "." + nullPayload + "." + parts[2],
		"array payload":    parts[0] + "." + b64([]byte("[1]")) + "." + parts[2],
		"unknown alg":      b64([]byte(`{"alg":"XX1","typ":"JWT"}`)) + "." + parts[1] + "." + parts[2],
		"exp is a string":  hs256(t, map[string]any{"exp": "tomorrow"}),
		"aud is a number":  hs256(t, map[string]any{"aud": 5}),
	}
	for name, tok := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := v.VerifyConnectToken(bg, tok)
			checkErr(t, err, gyre.ErrInvalidToken, "")
			if tok != "" && strings.Contains(err.Error(), tok) {
				t.Fatalf("error contains the token: %v", err)
			}
		})
	}
}

func TestExpiryAndNotBefore(t *testing.T) {
	now := testNow.Unix()
	tests := []struct {
		name   string
		claims map[string]any
		leeway time.Duration
		bad    string // key signing; "" = testSecret
		want   error
		substr string
	}{
		{"no exp", map[string]any{}, 0, "", nil, ""},
		{"exp in future", map[string]any{"exp": now + 60}, 0, "", nil, ""},
		{"exp passed", map[string]any{"exp": now - 1}, 0, "", gyre.ErrTokenExpired, ""},
		{"exp equals now", map[string]any{"exp": now}, 0, "", gyre.ErrTokenExpired, ""},
		{"exp passed within leeway", map[string]any{"exp": now - 5}, 10 * time.Second, "", nil, ""},
		{"exp passed beyond leeway", map[string]any{"exp": now - 11}, 10 * time.Second, "", gyre.ErrTokenExpired, ""},
		{"expired with bad signature is invalid", map[string]any{"exp": now - 100}, 0, "wrong", gyre.ErrInvalidToken, "invalid signature"},
		{"nbf in future", map[string]any{"nbf": now + 60}, 0, "", gyre.ErrInvalidToken, "not valid yet"},
		{"nbf in future within leeway", map[string]any{"nbf": now + 5}, 10 * time.Second, "", nil, ""},
		{"nbf in past", map[string]any{"nbf": now - 5}, 0, "", nil, ""},
		{"iat in future not checked", map[string]any{"iat": now + 3600, "jti": "x"}, 0, "", nil, ""},
		{"expired but expire_at in future", map[string]any{"exp": now - 1, "expire_at": now + 3600}, 0, "", gyre.ErrTokenExpired, ""},
		{"exp valid but expire_at passed", map[string]any{"exp": now + 60, "expire_at": now - 10}, 0, "", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := hmacConfig()
			cfg.Leeway = tc.leeway
			v := newVerifier(t, cfg)
			secret := testSecret
			if tc.bad != "" {
				secret = tc.bad
			}
			tok := sign(t, jwtlib.SigningMethodHS256, []byte(secret), tc.claims, nil)
			_, err := v.VerifyConnectToken(bg, tok)
			checkErr(t, err, tc.want, tc.substr)
			sc := map[string]any{"channel": "ch"}
			for k, val := range tc.claims {
				sc[k] = val
			}
			_, err = v.VerifySubscribeToken(bg, sign(t, jwtlib.SigningMethodHS256, []byte(secret), sc, nil))
			checkErr(t, err, tc.want, tc.substr)
		})
	}
}

func TestAudienceIssuer(t *testing.T) {
	tests := []struct {
		name   string
		cfg    KeyConfig
		claims map[string]any
		want   error
		substr string
	}{
		{"not configured ignores claims", KeyConfig{}, map[string]any{"aud": "x", "iss": "y"}, nil, ""},
		{"aud match", KeyConfig{Audience: "gyre"}, map[string]any{"aud": "gyre"}, nil, ""},
		{"aud array match", KeyConfig{Audience: "gyre"}, map[string]any{"aud": []string{"other", "gyre"}}, nil, ""},
		{"aud mismatch", KeyConfig{Audience: "gyre"}, map[string]any{"aud": "other"}, gyre.ErrInvalidToken, "audience mismatch"},
		{"aud array mismatch", KeyConfig{Audience: "gyre"}, map[string]any{"aud": []string{"a", "b"}}, gyre.ErrInvalidToken, "audience mismatch"},
		{"aud missing", KeyConfig{Audience: "gyre"}, map[string]any{}, gyre.ErrInvalidToken, "audience mismatch"},
		{"aud regex match", KeyConfig{AudienceRegex: `gyre-[a-z]+`}, map[string]any{"aud": "gyre-prod"}, nil, ""},
		{"aud regex array match", KeyConfig{AudienceRegex: `gyre-[a-z]+`}, map[string]any{"aud": []string{"x", "gyre-dev"}}, nil, ""},
		{"aud regex is anchored", KeyConfig{AudienceRegex: `gyre-[a-z]+`}, map[string]any{"aud": "xgyre-prod1"}, gyre.ErrInvalidToken, "audience mismatch"},
		{"aud regex alternation is anchored", KeyConfig{AudienceRegex: `a|b`}, map[string]any{"aud": "ab"}, gyre.ErrInvalidToken, "audience mismatch"},
		{"iss match", KeyConfig{Issuer: "https://auth"}, map[string]any{"iss": "https://auth"}, nil, ""},
		{"iss mismatch", KeyConfig{Issuer: "https://auth"}, map[string]any{"iss": "https://evil"}, gyre.ErrInvalidToken, "issuer mismatch"},
		{"iss missing", KeyConfig{Issuer: "https://auth"}, map[string]any{}, gyre.ErrInvalidToken, "issuer mismatch"},
		{"iss regex match", KeyConfig{IssuerRegex: `https://[a-z]+\.example\.com`}, map[string]any{"iss": "https://acme.example.com"}, nil, ""},
		{"iss regex is anchored", KeyConfig{IssuerRegex: `https://[a-z]+\.example\.com`}, map[string]any{"iss": "https://acme.example.com.evil"}, gyre.ErrInvalidToken, "issuer mismatch"},
		{"both match", KeyConfig{Audience: "a", Issuer: "i"}, map[string]any{"aud": "a", "iss": "i"}, nil, ""},
		{"aud ok iss bad", KeyConfig{Audience: "a", Issuer: "i"}, map[string]any{"aud": "a", "iss": "j"}, gyre.ErrInvalidToken, "issuer mismatch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.HMACSecretKey = testSecret
			v := newVerifier(t, Config{Token: tc.cfg})
			_, err := v.VerifyConnectToken(bg, hs256(t, tc.claims))
			checkErr(t, err, tc.want, tc.substr)
		})
	}
}

func TestSkipSignatureVerify(t *testing.T) {
	k := keys(t)
	now := testNow.Unix()
	v := newVerifier(t, Config{SkipSignatureVerify: true, Token: KeyConfig{Audience: "gyre"}})
	tests := []struct {
		name string
		tok  string
		want error
	}{
		{"unknown HMAC secret", sign(t, jwtlib.SigningMethodHS256, []byte("whatever"), map[string]any{"sub": "1", "aud": "gyre"}, nil), nil},
		{"RS256 without key", sign(t, jwtlib.SigningMethodRS256, k.rsa, map[string]any{"sub": "1", "aud": "gyre"}, nil), nil},
		{"EdDSA without JWKS", sign(t, jwtlib.SigningMethodEdDSA, k.ed, map[string]any{"sub": "1", "aud": "gyre"}, nil), nil},
		{"claims still checked: aud", hs256(t, map[string]any{"sub": "1", "aud": "x"}), gyre.ErrInvalidToken},
		{"claims still checked: exp", hs256(t, map[string]any{"sub": "1", "aud": "gyre", "exp": now - 1}), gyre.ErrTokenExpired},
		{"malformed", "a.b.c", gyre.ErrInvalidToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := v.VerifyConnectToken(bg, tc.tok)
			checkErr(t, err, tc.want, "")
			if tc.want == nil && got.UserID != "1" {
				t.Fatalf("UserID = %q", got.UserID)
			}
		})
	}
}

func TestPreviousHMACKey(t *testing.T) {
	now := testNow.Unix()
	tests := []struct {
		name       string
		validUntil int64
		secret     string
		want       error
	}{
		{"current key", now + 60, testSecret, nil},
		{"previous key before valid_until", now + 60, "old-secret", nil},
		{"previous key at valid_until", now, "old-secret", gyre.ErrInvalidToken},
		{"previous key after valid_until", now - 60, "old-secret", gyre.ErrInvalidToken},
		{"current key after valid_until", now - 60, testSecret, nil},
		{"unrelated key", now + 60, "nope", gyre.ErrInvalidToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := newVerifier(t, Config{Token: KeyConfig{
				HMACSecretKey:                   testSecret,
				HMACPreviousSecretKey:           "old-secret",
				HMACPreviousSecretKeyValidUntil: tc.validUntil,
			}})
			tok := sign(t, jwtlib.SigningMethodHS384, []byte(tc.secret), map[string]any{"sub": "u"}, nil)
			_, err := v.VerifyConnectToken(bg, tok)
			checkErr(t, err, tc.want, "")
		})
	}
}

func TestSeparateSubscriptionKeys(t *testing.T) {
	v := newVerifier(t, Config{
		Token:             KeyConfig{HMACSecretKey: testSecret},
		SubscriptionToken: &KeyConfig{HMACSecretKey: "sub-secret", Audience: "subs"},
	})
	subTok := sign(t, jwtlib.SigningMethodHS256, []byte("sub-secret"), map[string]any{"channel": "c", "aud": "subs"}, nil)
	connKeyed := hs256(t, map[string]any{"channel": "c", "aud": "subs"})

	if _, err := v.VerifySubscribeToken(bg, subTok); err != nil {
		t.Fatalf("subscription key: %v", err)
	}
	_, err := v.VerifySubscribeToken(bg, connKeyed)
	checkErr(t, err, gyre.ErrInvalidToken, "invalid signature")
	_, err = v.VerifySubscribeToken(bg, sign(t, jwtlib.SigningMethodHS256, []byte("sub-secret"), map[string]any{"channel": "c"}, nil))
	checkErr(t, err, gyre.ErrInvalidToken, "audience mismatch")
	_, err = v.VerifyConnectToken(bg, sign(t, jwtlib.SigningMethodHS256, []byte("sub-secret"), map[string]any{"sub": "u"}, nil))
	checkErr(t, err, gyre.ErrInvalidToken, "invalid signature")
}

func TestSignHMAC(t *testing.T) {
	tok, err := SignHMAC(testSecret, map[string]any{"sub": "7", "info": map[string]any{"a": 1}})
	if err != nil {
		t.Fatal(err)
	}
	v := newVerifier(t, hmacConfig())
	got, err := v.VerifyConnectToken(bg, tok)
	if err != nil {
		t.Fatal(err)
	}
	if got.UserID != "7" || string(got.Info) != `{"a":1}` {
		t.Fatalf("got %+v", got)
	}
	if _, err := SignHMAC("", nil); err == nil {
		t.Fatal("empty secret accepted")
	}
	if tok, err := SignHMAC(testSecret, nil); err != nil || tok == "" {
		t.Fatalf("nil claims: %q %v", tok, err)
	}
}
