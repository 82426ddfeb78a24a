package jwt

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"net/http"
	"strings"
	"time"

	jwtlib "github.com/golang-jwt/jwt/v5"

	"github.com/gyrehq/gyre"
)

// KeyConfig holds the keys and claim checks for one kind of token. It
// mirrors Centrifugo's client.token (and client.subscription_token)
// configuration section.
type KeyConfig struct {
	// HMACSecretKey enables HS256, HS384 and HS512.
	HMACSecretKey string
	// HMACPreviousSecretKey is also accepted for HMAC tokens until
	// HMACPreviousSecretKeyValidUntil (Unix seconds), for key rotation.
	HMACPreviousSecretKey           string
	HMACPreviousSecretKeyValidUntil int64
	// RSAPublicKey enables RS256, RS384 and RS512. PEM: a PKIX public key,
	// a PKCS#1 RSA public key or a certificate; or base64 of such a PEM.
	RSAPublicKey string
	// ECDSAPublicKey enables ES256, ES384 and ES512. PEM: a PKIX public key
	// or a certificate; or base64 of such a PEM.
	ECDSAPublicKey string
	// JWKSPublicEndpoint is a URL serving a JSON Web Key Set. Keys are
	// picked by the token's kid header and cached for an hour. The URL may
	// contain {{name}} placeholders, filled from the named groups of
	// IssuerRegex and AudienceRegex matched against the token's iss and aud
	// (values are limited to letters, digits, '_', '.' and '-').
	JWKSPublicEndpoint string
	// Audience, when set, must be one of the token's aud values;
	// AudienceRegex, when set, must fully match one of them. Set at most one.
	Audience, AudienceRegex string
	// Issuer, when set, must equal the token's iss; IssuerRegex, when set,
	// must fully match it. Set at most one.
	Issuer, IssuerRegex string
	// UserIDClaim names a string claim holding the user ID, read instead of
	// sub. It must match ^[a-zA-Z_]+$.
	UserIDClaim string
}

// Config configures a Verifier.
type Config struct {
	// Token verifies connection tokens, and subscription tokens when
	// SubscriptionToken is nil.
	Token KeyConfig
	// SubscriptionToken, when non-nil, verifies subscription tokens.
	SubscriptionToken *KeyConfig
	// SkipSignatureVerify accepts tokens without checking their signature
	// (client.insecure_skip_token_signature_verify). For testing only:
	// claims are still checked, and alg none is still rejected.
	SkipSignatureVerify bool
	// Leeway is the clock skew allowed when checking exp and nbf.
	Leeway time.Duration
	// HTTPClient fetches JWKS; nil means a client with a 5s timeout.
	HTTPClient *http.Client
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Verifier verifies connection and subscription tokens. It is safe for
// concurrent use.
type Verifier struct {
	conn       *keySet
	sub        *keySet
	skipVerify bool
	leeway     time.Duration
	now        func() time.Time
	jwks       *jwksCache
	parser     *jwtlib.Parser
}

var _ gyre.TokenVerifier = (*Verifier)(nil)

// New parses and validates the keys in cfg. Errors name the bad setting,
// for example "client.token.rsa_public_key: no PEM block found".
func New(cfg Config) (*Verifier, error) {
	v := &Verifier{
		skipVerify: cfg.SkipSignatureVerify,
		leeway:     cfg.Leeway,
		now:        cfg.Now,
		parser:     jwtlib.NewParser(),
	}
	if cfg.Leeway < 0 {
		return nil, errors.New("jwt: leeway must not be negative")
	}
	if v.now == nil {
		v.now = time.Now
	}
	var err error
	if v.conn, err = parseKeySet("client.token.", cfg.Token); err != nil {
		return nil, err
	}
	v.sub = v.conn
	if cfg.SubscriptionToken != nil {
		if v.sub, err = parseKeySet("client.subscription_token.", *cfg.SubscriptionToken); err != nil {
			return nil, err
		}
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: defaultHTTPTimeout}
	}
	v.jwks = newJWKSCache(client, v.now)
	return v, nil
}

// VerifyConnectToken verifies a connection token and returns its claims.
// Expired tokens give gyre.ErrTokenExpired; all other failures wrap
// gyre.ErrInvalidToken.
func (v *Verifier) VerifyConnectToken(ctx context.Context, token string) (gyre.ConnectToken, error) {
	c, err := v.verify(ctx, v.conn, token)
	if err != nil {
		return gyre.ConnectToken{}, err
	}
	if c.Channel != "" {
		return gyre.ConnectToken{}, invalid("channel claim is not allowed in a connection token")
	}
	out := gyre.ConnectToken{
		ExpireAt: c.expireAt(),
		Channels: c.Channels,
		Meta:     rawJSON(c.Meta),
	}
	if out.UserID, err = c.userID(v.conn.userIDClaim); err != nil {
		return gyre.ConnectToken{}, err
	}
	if out.Info, err = pickPayload(c.Info, c.B64Info); err != nil {
		return gyre.ConnectToken{}, invalid("b64info is not valid base64")
	}
	if len(c.Subs) > 0 {
		out.Subs = make(map[string]gyre.SubscribeGrant, len(c.Subs))
		for ch, g := range c.Subs {
			if ch == "" {
				return gyre.ConnectToken{}, invalid("empty channel in subs")
			}
			grant, err := g.toGrant("subs: ")
			if err != nil {
				return gyre.ConnectToken{}, err
			}
			out.Subs[ch] = grant
		}
	}
	return out, nil
}

// VerifySubscribeToken verifies a subscription token and returns its
// claims. The channel claim is required. Expired tokens give
// gyre.ErrTokenExpired; all other failures wrap gyre.ErrInvalidToken.
func (v *Verifier) VerifySubscribeToken(ctx context.Context, token string) (gyre.SubscribeToken, error) {
	c, err := v.verify(ctx, v.sub, token)
	if err != nil {
		return gyre.SubscribeToken{}, err
	}
	if c.Channel == "" {
		return gyre.SubscribeToken{}, invalid("channel claim is required in a subscription token")
	}
	out := gyre.SubscribeToken{Channel: c.Channel, Client: c.Client}
	if out.UserID, err = c.userID(v.sub.userIDClaim); err != nil {
		return gyre.SubscribeToken{}, err
	}
	if out.SubscribeGrant, err = c.grantClaim.toGrant(""); err != nil {
		return gyre.SubscribeToken{}, err
	}
	out.ExpireAt = c.expireAt()
	return out, nil
}

// verify parses token, checks aud and iss, the signature, then exp and nbf.
// The signature is checked before exp so that a forged token is reported
// invalid rather than expired.
func (v *Verifier) verify(ctx context.Context, ks *keySet, token string) (*tokenClaims, error) {
	claims := &tokenClaims{}
	tok, parts, err := v.parser.ParseUnverified(token, claims)
	if err != nil {
		return nil, invalidErr("malformed token", err)
	}
	if len(claims.raw) == 0 || claims.raw[0] != '{' {
		return nil, invalid("malformed claims")
	}
	alg := tok.Method.Alg()
	if !supportedAlg(alg) {
		if alg == jwtlib.SigningMethodNone.Alg() {
			return nil, invalid("alg none is not allowed")
		}
		return nil, invalid("unsupported JWT algorithm")
	}
	vars, err := ks.checkAudIss(claims)
	if err != nil {
		return nil, err
	}
	if !v.skipVerify {
		kid, _ := tok.Header["kid"].(string)
		signing := parts[0] + "." + parts[1]
		if err := v.checkSignature(ctx, ks, tok.Method, kid, signing, tok.Signature, vars); err != nil {
			return nil, err
		}
	}
	now := v.now()
	if claims.ExpiresAt != nil && !now.Before(claims.ExpiresAt.Add(v.leeway)) {
		return nil, gyre.ErrTokenExpired
	}
	if claims.NotBefore != nil && now.Add(v.leeway).Before(claims.NotBefore.Time) {
		return nil, invalid("token is not valid yet")
	}
	return claims, nil
}

// supportedAlg reports whether alg is one Centrifugo accepts.
func supportedAlg(alg string) bool {
	switch alg {
	case "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "EdDSA":
		return true
	}
	return false
}

// checkSignature verifies sig over signing with the key configured for the
// token's algorithm family.
func (v *Verifier) checkSignature(ctx context.Context, ks *keySet, m jwtlib.SigningMethod, kid, signing string, sig []byte, vars map[string]string) error {
	alg := m.Alg()
	var key any
	switch {
	case strings.HasPrefix(alg, "HS"):
		keys := ks.hmacKeys(v.now())
		if len(keys) == 0 {
			return invalid("disabled JWT algorithm " + alg)
		}
		for _, k := range keys {
			if m.Verify(signing, sig, k) == nil {
				return nil
			}
		}
		return invalid("invalid signature")
	case strings.HasPrefix(alg, "RS") && ks.rsa != nil:
		key = ks.rsa
	case strings.HasPrefix(alg, "ES") && ks.ecdsa != nil:
		if ecdsaAlg(ks.ecdsa.Curve) != alg {
			return invalid("algorithm " + alg + " does not match the ECDSA key curve")
		}
		key = ks.ecdsa
	case ks.jwksURL != "":
		url, err := ks.endpoint(vars)
		if err != nil {
			return err
		}
		k, err := v.jwks.key(ctx, url, kid)
		if err != nil {
			return err
		}
		if !jwkFitsAlg(k, alg) {
			return invalid("JWKS key does not match algorithm " + alg)
		}
		key = k.key
	default:
		return invalid("disabled JWT algorithm " + alg)
	}
	if err := m.Verify(signing, sig, key); err != nil {
		return invalid("invalid signature")
	}
	return nil
}

// jwkFitsAlg reports whether a JWKS key may verify alg.
func jwkFitsAlg(k jwksKey, alg string) bool {
	if k.alg != "" && k.alg != alg {
		return false
	}
	switch key := k.key.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS")
	case *ecdsa.PublicKey:
		return ecdsaAlg(key.Curve) == alg
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}
