package jwt

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	jwtlib "github.com/golang-jwt/jwt/v5"

	"github.com/gyrehq/gyre"
)

// boolValue is the {"value": bool} wrapper Centrifugo uses in overrides.
type boolValue struct {
	Value bool `json:"value"`
}

// overrideClaim is the "override" object of subs entries and subscription
// tokens.
type overrideClaim struct {
	Presence           *boolValue `json:"presence"`
	JoinLeave          *boolValue `json:"join_leave"`
	ForcePushJoinLeave *boolValue `json:"force_push_join_leave"`
	ForceRecovery      *boolValue `json:"force_recovery"`
	ForcePositioning   *boolValue `json:"force_positioning"`
}

// grantClaim holds the per-channel options shared by subs entries and
// subscription tokens.
type grantClaim struct {
	Info     json.RawMessage `json:"info"`
	B64Info  string          `json:"b64info"`
	Data     json.RawMessage `json:"data"`
	B64Data  string          `json:"b64data"`
	Override *overrideClaim  `json:"override"`
}

// claimFields is the union of connection and subscription token claims.
type claimFields struct {
	Subject   string                `json:"sub"`
	ExpiresAt *jwtlib.NumericDate   `json:"exp"`
	NotBefore *jwtlib.NumericDate   `json:"nbf"`
	IssuedAt  *jwtlib.NumericDate   `json:"iat"`
	ID        string                `json:"jti"`
	Issuer    string                `json:"iss"`
	Audience  jwtlib.ClaimStrings   `json:"aud"`
	ExpireAt  *int64                `json:"expire_at"`
	Channel   string                `json:"channel"`
	Client    string                `json:"client"`
	Channels  []string              `json:"channels"`
	Subs      map[string]grantClaim `json:"subs"`
	Meta      json.RawMessage       `json:"meta"`
	grantClaim
}

// tokenClaims decodes the payload and keeps its raw bytes so that a custom
// user ID claim can be read. It implements jwtlib.Claims.
type tokenClaims struct {
	claimFields
	raw []byte
}

// UnmarshalJSON keeps a copy of the payload and decodes the known claims.
func (c *tokenClaims) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &c.claimFields); err != nil {
		return err
	}
	c.raw = append([]byte(nil), b...)
	return nil
}

// The Get* methods implement jwtlib.Claims; validation is done by the
// Verifier itself, not by the library.

func (c *tokenClaims) GetExpirationTime() (*jwtlib.NumericDate, error) { return c.ExpiresAt, nil }
func (c *tokenClaims) GetIssuedAt() (*jwtlib.NumericDate, error)       { return c.IssuedAt, nil }
func (c *tokenClaims) GetNotBefore() (*jwtlib.NumericDate, error)      { return c.NotBefore, nil }
func (c *tokenClaims) GetIssuer() (string, error)                      { return c.Issuer, nil }
func (c *tokenClaims) GetSubject() (string, error)                     { return c.Subject, nil }
func (c *tokenClaims) GetAudience() (jwtlib.ClaimStrings, error)       { return c.Audience, nil }

// userID returns the user ID: the sub claim, or the configured custom claim.
// A missing custom claim means an anonymous user, like a missing sub.
func (c *tokenClaims) userID(claim string) (string, error) {
	if claim == "" {
		return c.Subject, nil
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(c.raw, &all); err != nil {
		return "", invalid("malformed claims")
	}
	raw, ok := all[claim]
	if !ok || isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", invalid("user ID claim is not a string")
	}
	return s, nil
}

// expireAt is the expiration reported to the caller: expire_at when present
// (0 = never), else exp, else 0.
func (c *tokenClaims) expireAt() int64 {
	if c.ExpireAt != nil {
		return *c.ExpireAt
	}
	if c.ExpiresAt != nil {
		return c.ExpiresAt.Unix()
	}
	return 0
}

// toGrant converts per-channel claims; what names the claim set for errors.
func (g *grantClaim) toGrant(what string) (gyre.SubscribeGrant, error) {
	var out gyre.SubscribeGrant
	var err error
	if out.Info, err = pickPayload(g.Info, g.B64Info); err != nil {
		return out, invalid(what + "b64info is not valid base64")
	}
	if out.Data, err = pickPayload(g.Data, g.B64Data); err != nil {
		return out, invalid(what + "b64data is not valid base64")
	}
	if o := g.Override; o != nil {
		out.Override = &gyre.SubscribeOverride{
			Presence:           o.Presence.ptr(),
			JoinLeave:          o.JoinLeave.ptr(),
			ForcePushJoinLeave: o.ForcePushJoinLeave.ptr(),
			ForceRecovery:      o.ForceRecovery.ptr(),
			ForcePositioning:   o.ForcePositioning.ptr(),
		}
	}
	return out, nil
}

func (b *boolValue) ptr() *bool {
	if b == nil {
		return nil
	}
	v := b.Value
	return &v
}

// pickPayload returns the base64 form decoded when set (it wins), else the
// raw JSON, else nil.
func pickPayload(raw json.RawMessage, b64 string) ([]byte, error) {
	if b64 != "" {
		return base64.StdEncoding.DecodeString(b64)
	}
	return rawJSON(raw), nil
}

// rawJSON returns a copy of raw, or nil when absent or JSON null.
func rawJSON(raw json.RawMessage) []byte {
	if len(raw) == 0 || isNull(raw) {
		return nil
	}
	return append([]byte(nil), raw...)
}

func isNull(raw []byte) bool {
	return bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// invalid wraps gyre.ErrInvalidToken with a short reason.
func invalid(reason string) error {
	return fmt.Errorf("%w: %s", gyre.ErrInvalidToken, reason)
}

// invalidErr wraps gyre.ErrInvalidToken with a reason and a cause.
func invalidErr(reason string, cause error) error {
	return fmt.Errorf("%w: %s: %w", gyre.ErrInvalidToken, reason, cause)
}

// isInvalid reports whether err already carries a verification outcome.
func isInvalid(err error) bool {
	return errors.Is(err, gyre.ErrInvalidToken) || errors.Is(err, gyre.ErrTokenExpired)
}
