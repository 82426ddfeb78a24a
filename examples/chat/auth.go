package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/gyrehq/gyre/bridge"
	"github.com/gyrehq/gyre/bridge/interceptors"
)

// Actor is the logged-in user the Auth interceptor puts into the handler
// context (bridge.ActorAs[*Actor]).
type Actor struct {
	Name  string
	Token string
}

// validName is what /login accepts as a name; it is also the user ID, so it
// must be safe inside channel names (personal:#<name>).
var validName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// Tokens is the demo token scheme: token = "<name>.<hex HMAC-SHA256(secret, name)>".
// A real application would use its session store or JWTs here.
type Tokens struct{ secret []byte }

func (t Tokens) sign(name string) string {
	m := hmac.New(sha256.New, t.secret)
	m.Write([]byte(name))
	return hex.EncodeToString(m.Sum(nil))
}

// Issue returns a token for name.
func (t Tokens) Issue(name string) string { return name + "." + t.sign(name) }

// Verify returns the name a token was issued for.
func (t Tokens) Verify(token string) (string, bool) {
	name, sig, ok := strings.Cut(token, ".")
	if !ok || !validName.MatchString(name) {
		return "", false
	}
	want := t.sign(name)
	return name, hmac.Equal([]byte(sig), []byte(want))
}

// loginHandler is POST /login {"name": "Alice"} → {"user": "Alice", "token": "…"}.
func (t Tokens) loginHandler(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body must be {\"name\": \"…\"}"})
		return
	}
	name := strings.TrimSpace(in.Name)
	if !validName.MatchString(name) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "name: 1 to 32 letters, digits, - or _"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"user": name, "token": t.Issue(name)})
}

// connectData is what the page sends with connect: {"authToken": "…", "name": "Alice"}.
type connectData struct {
	AuthToken string `json:"authToken"`
	Name      string `json:"name"`
}

// connMeta is the connection meta the Connect service stores; Gyre sends it
// back with every later proxy request (include_connection_meta), so the Auth
// interceptor can check the same token on refresh, subscribe, publish and rpc.
type connMeta struct {
	AuthToken string `json:"authToken"`
}

// tokenOf extracts the token: from the connect data for connect, from the
// connection meta afterwards. This solves the seed's "the connect-time token
// is not replayed" problem without asking the page to repeat it.
func tokenOf(req bridge.Request) (string, bool) {
	var raw []byte
	if c, ok := req.(*bridge.ConnectRequest); ok {
		raw = c.Data
	} else {
		raw = req.Info().Meta
	}
	if len(raw) == 0 {
		return "", false
	}
	var v struct {
		AuthToken string `json:"authToken"`
	}
	if json.Unmarshal(raw, &v) != nil || v.AuthToken == "" {
		return "", false
	}
	return v.AuthToken, true
}

var errBadToken = errors.New("invalid token")

// authInterceptor is the bridge's Auth interceptor with the demo verifier:
// missing or invalid token → error 401 "unauthorized", the service never runs.
func authInterceptor(t Tokens) bridge.Interceptor {
	return interceptors.Auth(interceptors.AuthConfig{
		Token: tokenOf,
		Verify: func(_ context.Context, token string, req bridge.Request) (any, error) {
			name, ok := t.Verify(token)
			if !ok {
				return nil, errBadToken
			}
			if c, isConnect := req.(*bridge.ConnectRequest); isConnect {
				var d connectData
				if err := c.Decode(&d); err == nil && d.Name != "" && d.Name != name {
					return nil, errBadToken
				}
			} else if req.Info().User != name {
				// The token in the meta belongs to the connection's user.
				return nil, errBadToken
			}
			return &Actor{Name: name, Token: token}, nil
		},
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
