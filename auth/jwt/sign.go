package jwt

import (
	"errors"

	jwtlib "github.com/golang-jwt/jwt/v5"
)

// SignHMAC returns an HS256 token carrying claims, signed with secret. It
// is meant for command-line helpers (gentoken, gensubtoken) and tests.
func SignHMAC(secret string, claims map[string]any) (string, error) {
	if secret == "" {
		return "", errors.New("jwt: empty HMAC secret")
	}
	if claims == nil {
		claims = map[string]any{}
	}
	return jwtlib.NewWithClaims(jwtlib.SigningMethodHS256, jwtlib.MapClaims(claims)).SignedString([]byte(secret))
}
