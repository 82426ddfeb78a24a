package jwt

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"
)

const (
	jwksTTL             = time.Hour       // how long a fetched key set is used
	jwksRefetchInterval = time.Minute     // minimum gap between fetches of one URL on unknown kid
	jwksMaxBody         = 1 << 20         // largest accepted JWKS response
	jwksMaxEntries      = 1024            // URLs cached at once (placeholders allow many)
	jwksDrainLimit      = 64 << 10        // bytes read to let a connection be reused
	defaultHTTPTimeout  = 5 * time.Second // for the default HTTP client
)

// jwk is one key of a JSON Web Key Set (RFC 7517/7518/8037).
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	Crv string `json:"crv"`
	N   string `json:"n"`
	E   string `json:"e"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// jwksKey is a parsed JWK: key is *rsa.PublicKey, *ecdsa.PublicKey or
// ed25519.PublicKey; alg is the JWK's alg, possibly empty.
type jwksKey struct {
	alg string
	key any
}

// jwksEntry is a fetched key set of one URL.
type jwksEntry struct {
	keys      map[string]jwksKey // by kid
	fetched   time.Time          // last successful fetch
	attempted time.Time          // last fetch attempt
}

// jwksCall is a fetch in progress that other callers wait for.
type jwksCall struct {
	done  chan struct{}
	entry *jwksEntry
	err   error
}

// jwksCache fetches key sets lazily and caches them per URL.
type jwksCache struct {
	client *http.Client
	now    func() time.Time

	mu       sync.Mutex
	entries  map[string]*jwksEntry
	inflight map[string]*jwksCall
}

func newJWKSCache(client *http.Client, now func() time.Time) *jwksCache {
	return &jwksCache{
		client:   client,
		now:      now,
		entries:  map[string]*jwksEntry{},
		inflight: map[string]*jwksCall{},
	}
}

// key returns the key with the given kid published at url. It fetches the
// set when it is not cached or older than jwksTTL, and refetches when kid is
// unknown at most once per jwksRefetchInterval. Concurrent callers share one
// fetch; each waits only as long as its own ctx allows.
func (c *jwksCache) key(ctx context.Context, url, kid string) (jwksKey, error) {
	now := c.now()
	c.mu.Lock()
	if e := c.entries[url]; e != nil && now.Sub(e.fetched) < jwksTTL {
		if k, ok := e.keys[kid]; ok {
			c.mu.Unlock()
			return k, nil
		}
		if now.Sub(e.attempted) < jwksRefetchInterval {
			c.mu.Unlock()
			return jwksKey{}, invalid("unknown JWKS key id")
		}
	}
	call := c.inflight[url]
	if call == nil {
		call = &jwksCall{done: make(chan struct{})}
		c.inflight[url] = call
		c.mu.Unlock()
		c.lead(ctx, url, call, now)
	} else {
		c.mu.Unlock()
		select {
		case <-call.done:
		case <-ctx.Done():
			return jwksKey{}, invalidErr("JWKS fetch failed", ctx.Err())
		}
	}
	if call.err != nil {
		return jwksKey{}, invalidErr("JWKS fetch failed", call.err)
	}
	k, ok := call.entry.keys[kid]
	if !ok {
		return jwksKey{}, invalid("unknown JWKS key id")
	}
	return k, nil
}

// lead performs the fetch for call and publishes its result.
func (c *jwksCache) lead(ctx context.Context, url string, call *jwksCall, now time.Time) {
	var entry *jwksEntry
	err := errors.New("fetch aborted")
	defer func() {
		c.mu.Lock()
		delete(c.inflight, url)
		if err == nil {
			c.store(url, entry, now)
		} else if e := c.entries[url]; e != nil {
			e.attempted = now
		}
		call.entry, call.err = entry, err
		c.mu.Unlock()
		close(call.done)
	}()
	entry, err = c.fetch(ctx, url)
	if entry != nil {
		entry.fetched, entry.attempted = now, now
	}
}

// store adds an entry, evicting stale ones (or, failing that, any one) when
// the cache is full. c.mu must be held.
func (c *jwksCache) store(url string, e *jwksEntry, now time.Time) {
	if _, ok := c.entries[url]; !ok && len(c.entries) >= jwksMaxEntries {
		for u, old := range c.entries {
			if now.Sub(old.fetched) >= jwksTTL {
				delete(c.entries, u)
			}
		}
		for u := range c.entries {
			if len(c.entries) < jwksMaxEntries {
				break
			}
			delete(c.entries, u)
		}
	}
	c.entries[url] = e
}

// fetch downloads and parses the key set at url.
func (c *jwksCache) fetch(ctx context.Context, url string) (*jwksEntry, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, jwksDrainLimit))
		_ = resp.Body.Close()
	}()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: unexpected status %d", url, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, jwksMaxBody+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	if len(body) > jwksMaxBody {
		return nil, fmt.Errorf("GET %s: response larger than %d bytes", url, jwksMaxBody)
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("GET %s: decode key set: %w", url, err)
	}
	keys := make(map[string]jwksKey, len(set.Keys))
	for _, j := range set.Keys {
		if j.Use != "" && j.Use != "sig" {
			continue
		}
		if _, dup := keys[j.Kid]; dup {
			continue
		}
		k, err := parseJWK(j)
		if err != nil {
			continue // unsupported or malformed keys are ignored
		}
		keys[j.Kid] = jwksKey{alg: j.Alg, key: k}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("GET %s: no usable signing keys", url)
	}
	return &jwksEntry{keys: keys}, nil
}

// parseJWK converts one JWK to a public key.
func parseJWK(j jwk) (any, error) {
	switch j.Kty {
	case "RSA":
		if j.Alg != "" && !strings.HasPrefix(j.Alg, "RS") {
			return nil, errors.New("alg does not match kty")
		}
		n, err := b64url(j.N)
		if err != nil || len(n) == 0 {
			return nil, errors.New("bad n")
		}
		e, err := b64url(j.E)
		if err != nil || len(e) == 0 || len(e) > 4 {
			return nil, errors.New("bad e")
		}
		exp := new(big.Int).SetBytes(e).Int64()
		if exp < 3 || exp%2 == 0 {
			return nil, errors.New("bad e")
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp)}, nil
	case "EC":
		var curve elliptic.Curve
		switch j.Crv {
		case "P-256":
			curve = elliptic.P256()
		case "P-384":
			curve = elliptic.P384()
		case "P-521":
			curve = elliptic.P521()
		default:
			return nil, errors.New("unsupported crv")
		}
		if j.Alg != "" && j.Alg != ecdsaAlg(curve) {
			return nil, errors.New("alg does not match crv")
		}
		size := (curve.Params().BitSize + 7) / 8
		x, errX := b64url(j.X)
		y, errY := b64url(j.Y)
		if errX != nil || errY != nil || len(x) == 0 || len(y) == 0 || len(x) > size || len(y) > size {
			return nil, errors.New("bad x or y")
		}
		point := make([]byte, 1+2*size)
		point[0] = 4
		copy(point[1+size-len(x):1+size], x)
		copy(point[1+2*size-len(y):], y)
		return ecdsa.ParseUncompressedPublicKey(curve, point)
	case "OKP":
		if j.Crv != "Ed25519" {
			return nil, errors.New("unsupported crv")
		}
		if j.Alg != "" && j.Alg != "EdDSA" {
			return nil, errors.New("alg does not match kty")
		}
		x, err := b64url(j.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			return nil, errors.New("bad x")
		}
		return ed25519.PublicKey(x), nil
	default:
		return nil, errors.New("unsupported kty")
	}
}

// b64url decodes base64url with or without padding.
func b64url(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// ecdsaAlg is the JWS algorithm that goes with an ECDSA curve.
func ecdsaAlg(c elliptic.Curve) string {
	switch c {
	case elliptic.P256():
		return "ES256"
	case elliptic.P384():
		return "ES384"
	case elliptic.P521():
		return "ES512"
	}
	return ""
}
