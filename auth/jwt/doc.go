// Package jwt verifies Centrifugo-compatible connection and subscription
// JWTs and implements gyre.TokenVerifier.
//
// Keys are configured per token kind (connection tokens, and optionally a
// separate set for subscription tokens) with [KeyConfig]. Each configured
// key enables one algorithm family and nothing else:
//
//   - an HMAC secret enables HS256, HS384 and HS512;
//   - an RSA public key enables RS256, RS384 and RS512;
//   - an ECDSA public key enables ES256, ES384 and ES512;
//   - a JWKS endpoint enables RS*, ES* and EdDSA (Ed25519) for keys it
//     publishes, selected by the token's kid header.
//
// When both a static RSA or ECDSA key and a JWKS endpoint are configured,
// the static key verifies its algorithm family and the JWKS endpoint serves
// the rest. JWKS responses are limited to 1 MiB; a failed fetch makes the
// token invalid (cached keys older than an hour are not used as a fallback).
//
// A token whose algorithm has no configured key is rejected as a "disabled
// JWT algorithm", and "alg": "none" is always rejected. HMAC tokens are
// only ever verified with the HMAC secret, so a token signed with a public
// key used as an HMAC secret is never accepted.
//
// Verification errors either are gyre.ErrTokenExpired (the exp claim has
// passed, beyond the configured leeway) or wrap gyre.ErrInvalidToken with a
// short reason. Error messages never contain the token.
//
// The claim set follows Centrifugo v6: sub, exp, nbf, aud, iss, info,
// b64info, channels, subs, meta and expire_at for connection tokens, and
// channel, client, info, b64info, data, b64data, override and expire_at for
// subscription tokens. A non-empty channel claim makes a connection token
// invalid, and subscription tokens must carry one. When expire_at is present it replaces exp as the
// expiration reported to the caller (0 meaning "never expires"); exp still
// decides whether the token itself is valid.
//
// [SignHMAC] creates HS256 tokens for command-line helpers and tests.
package jwt
