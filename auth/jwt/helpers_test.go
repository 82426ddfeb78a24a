package jwt

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jwtlib "github.com/golang-jwt/jwt/v5"

	"github.com/gyrehq/gyre"
)

// testNow is the fixed clock used by tests.
var testNow = time.Unix(1_700_000_000, 0)

func fixedNow() time.Time { return testNow }

const testSecret = "test-hmac-secret"

// testKeys are generated once per test binary.
type testKeySet struct {
	rsa, rsa2           *rsa.PrivateKey
	ec256, ec384, ec521 *ecdsa.PrivateKey
	ed                  ed25519.PrivateKey
}

var (
	keysOnce sync.Once
	keysVal  testKeySet
)

func keys(t testing.TB) testKeySet {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		must := func(e error) {
			if e != nil && err == nil {
				err = e
			}
		}
		var e error
		keysVal.rsa, e = rsa.GenerateKey(rand.Reader, 2048)
		must(e)
		keysVal.rsa2, e = rsa.GenerateKey(rand.Reader, 2048)
		must(e)
		keysVal.ec256, e = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		must(e)
		keysVal.ec384, e = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		must(e)
		keysVal.ec521, e = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
		must(e)
		_, keysVal.ed, e = ed25519.GenerateKey(rand.Reader)
		must(e)
		if err != nil {
			panic(err)
		}
	})
	return keysVal
}

// pemPublic encodes a public key as a PKIX PEM block.
func pemPublic(t testing.TB, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// sign creates a token; header entries (such as kid) are added to the
// JOSE header.
func sign(t testing.TB, m jwtlib.SigningMethod, key any, claims map[string]any, header map[string]any) string {
	t.Helper()
	if claims == nil {
		claims = map[string]any{}
	}
	tok := jwtlib.NewWithClaims(m, jwtlib.MapClaims(claims))
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// hs256 signs claims with testSecret.
func hs256(t testing.TB, claims map[string]any) string {
	t.Helper()
	return sign(t, jwtlib.SigningMethodHS256, []byte(testSecret), claims, nil)
}

// noneToken builds an unsigned token with alg none.
func noneToken(t testing.TB, claims map[string]any) string {
	t.Helper()
	return sign(t, jwtlib.SigningMethodNone, jwtlib.UnsafeAllowNoneSignatureType, claims, nil)
}

func newVerifier(t testing.TB, cfg Config) *Verifier {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = fixedNow
	}
	v, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return v
}

func hmacConfig() Config { return Config{Token: KeyConfig{HMACSecretKey: testSecret}} }

// checkErr asserts the outcome class of a verification: want is nil,
// gyre.ErrInvalidToken or gyre.ErrTokenExpired; substr, when non-empty,
// must appear in the message.
func checkErr(t testing.TB, err, want error, substr string) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want == nil:
		return
	case err == nil:
		t.Fatalf("expected %v, got nil", want)
	case !errors.Is(err, want):
		t.Fatalf("expected %v, got %v", want, err)
	}
	if want == gyre.ErrInvalidToken && errors.Is(err, gyre.ErrTokenExpired) {
		t.Fatalf("invalid token reported as expired: %v", err)
	}
	if want == error(gyre.ErrTokenExpired) && errors.Is(err, gyre.ErrInvalidToken) {
		t.Fatalf("expired token reported as invalid: %v", err)
	}
	if substr != "" && !strings.Contains(err.Error(), substr) {
		t.Fatalf("error %q does not mention %q", err, substr)
	}
}

// --- JWKS test server ---

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// jwkFor encodes a public key as a JWK map.
func jwkFor(kid string, pub any, alg string) map[string]any {
	m := map[string]any{"kid": kid}
	if alg != "" {
		m["alg"] = alg
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		m["kty"] = "RSA"
		m["n"] = b64(k.N.Bytes())
		m["e"] = b64(big.NewInt(int64(k.E)).Bytes())
	case *ecdsa.PublicKey:
		m["kty"] = "EC"
		m["crv"] = k.Curve.Params().Name
		size := (k.Curve.Params().BitSize + 7) / 8
		m["x"] = b64(k.X.FillBytes(make([]byte, size)))
		m["y"] = b64(k.Y.FillBytes(make([]byte, size)))
	case ed25519.PublicKey:
		m["kty"] = "OKP"
		m["crv"] = "Ed25519"
		m["x"] = b64(k)
	}
	return m
}

// jwksServer serves a mutable key set and counts requests per path.
type jwksServer struct {
	*httptest.Server
	mu      sync.Mutex
	keys    []map[string]any
	status  int
	body    []byte // raw body override
	paths   []string
	hits    atomic.Int64
	block   chan struct{} // when non-nil, handler waits on it
	entered chan struct{}
}

func newJWKSServer(t testing.TB, keys ...map[string]any) *jwksServer {
	t.Helper()
	s := &jwksServer{keys: keys, status: http.StatusOK}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) serve(w http.ResponseWriter, r *http.Request) {
	s.hits.Add(1)
	s.mu.Lock()
	s.paths = append(s.paths, r.URL.Path)
	status, body, block, entered := s.status, s.body, s.block, s.entered
	if body == nil {
		body, _ = json.Marshal(map[string]any{"keys": s.keys})
	}
	s.mu.Unlock()
	if entered != nil {
		select {
		case entered <- struct{}{}:
		default:
		}
	}
	if block != nil {
		select {
		case <-block:
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (s *jwksServer) setKeys(keys ...map[string]any) {
	s.set(func() { s.keys = keys })
}

// set runs f with the server's lock held.
func (s *jwksServer) set(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

func (s *jwksServer) lastPath() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.paths) == 0 {
		return ""
	}
	return s.paths[len(s.paths)-1]
}

// clock is a settable time source.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.ns.Store(t.UnixNano())
	return c
}

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

var bg = context.Background()
