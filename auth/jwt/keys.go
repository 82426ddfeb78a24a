package jwt

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// keySet is a parsed KeyConfig.
type keySet struct {
	hmac          []byte
	hmacPrev      []byte
	hmacPrevUntil time.Time
	rsa           *rsa.PublicKey
	ecdsa         *ecdsa.PublicKey
	jwksURL       string // template; may contain {{var}} placeholders
	audience      string
	audienceRe    *regexp.Regexp
	issuer        string
	issuerRe      *regexp.Regexp
	userIDClaim   string
}

var (
	userIDClaimRe = regexp.MustCompile(`^[a-zA-Z_]+$`)
	placeholderRe = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)
	// safeVarRe limits what a token-controlled issuer or audience may place
	// into the JWKS URL, so that it cannot change the host or path shape.
	safeVarRe = regexp.MustCompile(`^[A-Za-z0-9_.\-]+$`)
)

// parseKeySet validates kc; prefix names the config section in errors
// ("client.token.").
func parseKeySet(prefix string, kc KeyConfig) (*keySet, error) {
	ks := &keySet{
		audience:    kc.Audience,
		issuer:      kc.Issuer,
		userIDClaim: kc.UserIDClaim,
		jwksURL:     strings.TrimSpace(kc.JWKSPublicEndpoint),
	}
	fail := func(key string, format string, args ...any) error {
		return fmt.Errorf("%s%s: %s", prefix, key, fmt.Sprintf(format, args...))
	}
	if kc.HMACSecretKey != "" {
		ks.hmac = []byte(kc.HMACSecretKey)
	}
	if kc.HMACPreviousSecretKey != "" {
		if kc.HMACSecretKey == "" {
			return nil, fail("hmac_previous_secret_key", "set without hmac_secret_key")
		}
		if kc.HMACPreviousSecretKeyValidUntil <= 0 {
			return nil, fail("hmac_previous_secret_key_valid_until", "must be set (unix seconds) when hmac_previous_secret_key is set")
		}
		ks.hmacPrev = []byte(kc.HMACPreviousSecretKey)
		ks.hmacPrevUntil = time.Unix(kc.HMACPreviousSecretKeyValidUntil, 0)
	}
	if kc.RSAPublicKey != "" {
		k, err := parsePublicKey(kc.RSAPublicKey)
		if err != nil {
			return nil, fail("rsa_public_key", "%v", err)
		}
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fail("rsa_public_key", "not an RSA public key (%T)", k)
		}
		ks.rsa = rk
	}
	if kc.ECDSAPublicKey != "" {
		k, err := parsePublicKey(kc.ECDSAPublicKey)
		if err != nil {
			return nil, fail("ecdsa_public_key", "%v", err)
		}
		ek, ok := k.(*ecdsa.PublicKey)
		if !ok {
			return nil, fail("ecdsa_public_key", "not an ECDSA public key (%T)", k)
		}
		switch ek.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			return nil, fail("ecdsa_public_key", "unsupported curve %s", ek.Curve.Params().Name)
		}
		ks.ecdsa = ek
	}
	if kc.Audience != "" && kc.AudienceRegex != "" {
		return nil, fail("audience_regex", "cannot be set together with audience")
	}
	if kc.Issuer != "" && kc.IssuerRegex != "" {
		return nil, fail("issuer_regex", "cannot be set together with issuer")
	}
	var err error
	if ks.audienceRe, err = compileAnchored(kc.AudienceRegex); err != nil {
		return nil, fail("audience_regex", "%v", err)
	}
	if ks.issuerRe, err = compileAnchored(kc.IssuerRegex); err != nil {
		return nil, fail("issuer_regex", "%v", err)
	}
	if kc.UserIDClaim != "" && !userIDClaimRe.MatchString(kc.UserIDClaim) {
		return nil, fail("user_id_claim", "must match %s", userIDClaimRe)
	}
	if ks.jwksURL != "" {
		if err := ks.checkJWKSURL(); err != nil {
			return nil, fail("jwks_public_endpoint", "%v", err)
		}
	}
	return ks, nil
}

// checkJWKSURL validates the endpoint template: an http(s) URL whose
// placeholders all name groups of issuer_regex or audience_regex.
func (ks *keySet) checkJWKSURL() error {
	groups := map[string]bool{}
	for _, re := range []*regexp.Regexp{ks.issuerRe, ks.audienceRe} {
		if re == nil {
			continue
		}
		for _, n := range re.SubexpNames() {
			if n != "" {
				groups[n] = true
			}
		}
	}
	for _, m := range placeholderRe.FindAllStringSubmatch(ks.jwksURL, -1) {
		if !groups[m[1]] {
			return fmt.Errorf("placeholder {{%s}} is not a named group of issuer_regex or audience_regex", m[1])
		}
	}
	u, err := url.Parse(placeholderRe.ReplaceAllString(ks.jwksURL, "x"))
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New("scheme must be http or https")
	}
	if u.Host == "" {
		return errors.New("missing host")
	}
	return nil
}

// compileAnchored compiles expr so that it must match a whole string.
func compileAnchored(expr string) (*regexp.Regexp, error) {
	if expr == "" {
		return nil, nil
	}
	return regexp.Compile(`^(?:` + expr + `)$`)
}

// parsePublicKey reads a PEM public key (PKIX, PKCS#1 RSA, or certificate),
// or the base64 encoding of such a PEM.
func parsePublicKey(s string) (any, error) {
	data := []byte(strings.TrimSpace(s))
	if !strings.Contains(s, "-----BEGIN") {
		dec, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
		if err != nil {
			return nil, errors.New("not PEM and not base64-encoded PEM")
		}
		data = dec
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse PKIX public key: %w", err)
		}
		return k, nil
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse PKCS#1 public key: %w", err)
		}
		return k, nil
	case "CERTIFICATE":
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate: %w", err)
		}
		return c.PublicKey, nil
	default:
		return nil, fmt.Errorf("unexpected PEM block type %q", block.Type)
	}
}

// hmacKeys returns the HMAC secrets to try at now, current first.
func (ks *keySet) hmacKeys(now time.Time) [][]byte {
	if ks.hmac == nil {
		return nil
	}
	keys := [][]byte{ks.hmac}
	if ks.hmacPrev != nil && now.Before(ks.hmacPrevUntil) {
		keys = append(keys, ks.hmacPrev)
	}
	return keys
}

// checkAudIss checks aud and iss as configured and returns the named
// groups captured by the regex forms, for JWKS URL placeholders.
func (ks *keySet) checkAudIss(c *tokenClaims) (map[string]string, error) {
	vars := map[string]string{}
	switch {
	case ks.audience != "":
		found := false
		for _, a := range c.Audience {
			if a == ks.audience {
				found = true
				break
			}
		}
		if !found {
			return nil, invalid("audience mismatch")
		}
	case ks.audienceRe != nil:
		found := false
		for _, a := range c.Audience {
			if m := ks.audienceRe.FindStringSubmatch(a); m != nil {
				addGroups(vars, ks.audienceRe, m)
				found = true
				break
			}
		}
		if !found {
			return nil, invalid("audience mismatch")
		}
	}
	switch {
	case ks.issuer != "":
		if c.Issuer != ks.issuer {
			return nil, invalid("issuer mismatch")
		}
	case ks.issuerRe != nil:
		m := ks.issuerRe.FindStringSubmatch(c.Issuer)
		if m == nil {
			return nil, invalid("issuer mismatch")
		}
		addGroups(vars, ks.issuerRe, m)
	}
	return vars, nil
}

func addGroups(vars map[string]string, re *regexp.Regexp, m []string) {
	for i, n := range re.SubexpNames() {
		if n != "" && m[i] != "" {
			vars[n] = m[i]
		}
	}
}

// endpoint fills the JWKS URL template with vars.
func (ks *keySet) endpoint(vars map[string]string) (string, error) {
	var bad error
	u := placeholderRe.ReplaceAllStringFunc(ks.jwksURL, func(p string) string {
		name := placeholderRe.FindStringSubmatch(p)[1]
		v, ok := vars[name]
		if !ok {
			bad = invalid("no value for JWKS endpoint placeholder " + name)
			return ""
		}
		if !safeVarRe.MatchString(v) || strings.Trim(v, ".") == "" {
			bad = invalid("unsafe value for JWKS endpoint placeholder " + name)
			return ""
		}
		return v
	})
	return u, bad
}
