package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/centrifugal/protocol"
	jwtlib "github.com/golang-jwt/jwt/v5"

	"github.com/gyrehq/gyre/config"
)

// biHourLater is one hour from now as Unix seconds.
func biHourLater() int64 { return time.Now().Add(time.Hour).Unix() }

// biHourAgo is one hour ago as Unix seconds.
func biHourAgo() int64 { return time.Now().Add(-time.Hour).Unix() }

// biSignWith signs claims with an arbitrary golang-jwt method and key.
func biSignWith(t *testing.T, m jwtlib.SigningMethod, key any, claims map[string]any) string {
	t.Helper()
	s, err := jwtlib.NewWithClaims(m, jwtlib.MapClaims(claims)).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// biAlgNoneToken builds an unsigned token with header alg "none".
func biAlgNoneToken(t *testing.T, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc.EncodeToString(payload) + "."
}

// biECDSAToken signs claims with ES256 and a fresh key, while the server only
// has an HMAC key configured.
func biECDSAToken(t *testing.T, claims map[string]any) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return biSignWith(t, jwtlib.SigningMethodES256, key, claims)
}

// biConnectCase is one connection token; exactly one of closeCode and
// errCode is set unless the connect must succeed.
type biConnectCase struct {
	name      string
	token     func(t *testing.T) string
	closeCode int
	errCode   uint32
}

// runConnectCases connects with each case's token in both protocols and
// checks the outcome. After an error reply every further command must end
// the connection with 3501 (PROTOCOL.md §1.6). The canary is checked after
// every case.
func runConnectCases(t *testing.T, ts *testServer, cn *canary, cases []biConnectCase) {
	for _, tc := range cases {
		for _, p := range protocols {
			t.Run(string(p)+"/"+tc.name, func(t *testing.T) {
				c := dialRaw(t, ts, p)
				req := &protocol.Command{Connect: &protocol.ConnectRequest{Token: tc.token(t)}}
				switch {
				case tc.closeCode != 0:
					c.nextID++
					req.Id = c.nextID
					c.send(req)
					c.expectCloseCode(tc.closeCode)
				case tc.errCode != 0:
					c.callErr(req, tc.errCode)
					c.send(&protocol.Command{Id: 50, Subscribe: &protocol.SubscribeRequest{Channel: "chat:a"}})
					c.expectCloseCode(biCloseBadRequest)
				default:
					r := c.callOK(req)
					if r.Connect == nil || r.Connect.Client == "" {
						t.Fatalf("bad connect reply: %v", r)
					}
					c.expectOpen()
				}
				cn.check(t)
			})
		}
	}
}

// TestTokenConnect checks connection token handling (PROTOCOL.md §1.7, §4).
func TestTokenConnect(t *testing.T) {
	ts := startServer(t, func(cfg *config.Config) { cfg.Client.DisallowAnonymousConnectionTokens = true })
	cn := newCanary(t, ts, nil)
	tok := func(claims map[string]any) func(*testing.T) string {
		return func(t *testing.T) string { return token(t, claims) }
	}
	runConnectCases(t, ts, cn, []biConnectCase{
		{name: "valid token", token: tok(map[string]any{"sub": "u1", "exp": biHourLater()})},
		{name: "token without exp", token: tok(map[string]any{"sub": "u1"})},
		{name: "HS384", token: func(t *testing.T) string {
			return biSignWith(t, jwtlib.SigningMethodHS384, []byte(testSecret), map[string]any{"sub": "u1", "exp": biHourLater()})
		}},
		{name: "HS512", token: func(t *testing.T) string {
			return biSignWith(t, jwtlib.SigningMethodHS512, []byte(testSecret), map[string]any{"sub": "u1", "exp": biHourLater()})
		}},
		{name: "no token, anonymous off", token: func(*testing.T) string { return "" }, closeCode: biCloseBadRequest},
		{name: "malformed token", token: func(*testing.T) string { return "not-a-jwt" }, closeCode: biCloseInvalidToken},
		{name: "malformed three parts", token: func(*testing.T) string { return "a.b.c" }, closeCode: biCloseInvalidToken},
		{name: "wrong signature", token: func(t *testing.T) string {
			return biSignWith(t, jwtlib.SigningMethodHS256, []byte("another-secret-0123456789abcdef"), map[string]any{"sub": "u1", "exp": biHourLater()})
		}, closeCode: biCloseInvalidToken},
		{name: "alg none", token: func(t *testing.T) string {
			return biAlgNoneToken(t, map[string]any{"sub": "u1", "exp": biHourLater()})
		}, closeCode: biCloseInvalidToken},
		{name: "ES256 without ECDSA key", token: func(t *testing.T) string {
			return biECDSAToken(t, map[string]any{"sub": "u1", "exp": biHourLater()})
		}, closeCode: biCloseInvalidToken},
		{name: "channel claim", token: tok(map[string]any{"sub": "u1", "exp": biHourLater(), "channel": "chat:a"}), closeCode: biCloseInvalidToken},
		{name: "nbf in the future", token: tok(map[string]any{"sub": "u1", "exp": biHourLater(), "nbf": biHourLater()}), closeCode: biCloseInvalidToken},
		{name: "empty sub disallowed", token: tok(map[string]any{"sub": "", "exp": biHourLater()}), closeCode: biClosePermission},
		{name: "expired", token: tok(map[string]any{"sub": "u1", "exp": biHourAgo()}), errCode: 109},
		{name: "expire_at in the past", token: tok(map[string]any{"sub": "u1", "exp": biHourLater(), "expire_at": biHourAgo()}), errCode: 110},
	})
}

// TestTokenAudience checks client.token.audience: a token for another or
// no audience is invalid (3500).
func TestTokenAudience(t *testing.T) {
	const aud = "gyre-e2e"
	ts := startServer(t, func(cfg *config.Config) { cfg.Client.Token.Audience = aud })
	cn := newCanary(t, ts, map[string]any{"sub": "canary", "aud": aud, "exp": biHourLater()})
	tok := func(claims map[string]any) func(*testing.T) string {
		return func(t *testing.T) string { return token(t, claims) }
	}
	runConnectCases(t, ts, cn, []biConnectCase{
		{name: "matching audience", token: tok(map[string]any{"sub": "u1", "exp": biHourLater(), "aud": aud})},
		{name: "audience list", token: tok(map[string]any{"sub": "u1", "exp": biHourLater(), "aud": []string{"other", aud}})},
		{name: "audience mismatch", token: tok(map[string]any{"sub": "u1", "exp": biHourLater(), "aud": "other"}), closeCode: biCloseInvalidToken},
		{name: "audience missing", token: tok(map[string]any{"sub": "u1", "exp": biHourLater()}), closeCode: biCloseInvalidToken},
	})
}

// biTokenCase is a command sent by a connected user "bad": the outcome is a
// close code, an error code, or (both zero) success.
type biTokenCase struct {
	name      string
	setup     func(t *testing.T, c *rawClient)
	req       func(t *testing.T) *protocol.Command
	closeCode int
	errCode   uint32
}

// TestTokenCommands checks tokens sent after connect: refresh (PROTOCOL.md
// §1.7, §4.2) and subscription tokens (§1.8, §4.3).
func TestTokenCommands(t *testing.T) {
	ts := startServer(t, nil)
	cn := newCanary(t, ts, nil)
	refresh := func(claims map[string]any) func(*testing.T) *protocol.Command {
		return func(t *testing.T) *protocol.Command {
			return &protocol.Command{Refresh: &protocol.RefreshRequest{Token: token(t, claims)}}
		}
	}
	sub := func(ch string, tok func(t *testing.T) string) func(*testing.T) *protocol.Command {
		return func(t *testing.T) *protocol.Command {
			return &protocol.Command{Subscribe: &protocol.SubscribeRequest{Channel: ch, Token: tok(t)}}
		}
	}
	subTok := func(user, ch string, extra map[string]any) func(*testing.T) string {
		return func(t *testing.T) string { return biSubToken(t, user, ch, extra) }
	}
	subRefresh := func(ch string, tok func(t *testing.T) string) func(*testing.T) *protocol.Command {
		return func(t *testing.T) *protocol.Command {
			return &protocol.Command{SubRefresh: &protocol.SubRefreshRequest{Channel: ch, Token: tok(t)}}
		}
	}
	subscribed := func(t *testing.T, c *rawClient) {
		c.subscribe(badInputPrivateChan, biSubToken(t, "bad", badInputPrivateChan, nil))
	}
	cases := []biTokenCase{
		{name: "refresh", req: refresh(map[string]any{"sub": "bad", "exp": biHourLater()})},
		{name: "refresh for another user", req: refresh(map[string]any{"sub": "other", "exp": biHourLater()}), closeCode: biCloseInvalidToken},
		{name: "refresh with invalid token", req: func(*testing.T) *protocol.Command {
			return &protocol.Command{Refresh: &protocol.RefreshRequest{Token: "not-a-jwt"}}
		}, closeCode: biCloseInvalidToken},
		{name: "refresh with expired token", req: refresh(map[string]any{"sub": "bad", "exp": biHourAgo()}), closeCode: biCloseExpired},
		{name: "subscribe private with token", req: sub(badInputPrivateChan, subTok("bad", badInputPrivateChan, nil))},
		{name: "subscribe public with token", req: sub("chat:tok", subTok("bad", "chat:tok", nil))},
		{name: "sub token for another channel", req: sub(badInputPrivateChan, subTok("bad", "$chat:other", nil)), closeCode: biCloseInvalidToken},
		{name: "sub token for another user", req: sub(badInputPrivateChan, subTok("other", badInputPrivateChan, nil)), closeCode: biCloseInvalidToken},
		{name: "expired sub token", req: sub(badInputPrivateChan, subTok("bad", badInputPrivateChan, map[string]any{"exp": biHourAgo()})), errCode: 109},
		{name: "invalid sub token", req: sub(badInputPrivateChan, func(t *testing.T) string {
			return biSignWith(t, jwtlib.SigningMethodHS256, []byte("another-secret-0123456789abcdef"),
				map[string]any{"sub": "bad", "channel": badInputPrivateChan, "exp": biHourLater()})
		}), errCode: 103},
		{name: "malformed sub token", req: sub(badInputPrivateChan, func(*testing.T) string { return "not-a-jwt" }), errCode: 103},
		{name: "alg none sub token", req: sub(badInputPrivateChan, func(t *testing.T) string {
			return biAlgNoneToken(t, map[string]any{"sub": "bad", "channel": badInputPrivateChan, "exp": biHourLater()})
		}), errCode: 103},
		{name: "sub_refresh", setup: subscribed, req: subRefresh(badInputPrivateChan, subTok("bad", badInputPrivateChan, nil))},
		{name: "sub_refresh for another channel", setup: subscribed,
			req: subRefresh(badInputPrivateChan, subTok("bad", "$chat:other", nil)), closeCode: biCloseInvalidToken},
	}
	for _, tc := range cases {
		for _, p := range protocols {
			t.Run(string(p)+"/"+tc.name, func(t *testing.T) {
				c := dialRaw(t, ts, p)
				c.connect(token(t, map[string]any{"sub": "bad", "exp": biHourLater()}))
				if tc.setup != nil {
					tc.setup(t, c)
				}
				req := tc.req(t)
				switch {
				case tc.closeCode != 0:
					c.nextID++
					req.Id = c.nextID
					c.send(req)
					c.expectCloseCode(tc.closeCode)
				case tc.errCode != 0:
					c.callErr(req, tc.errCode)
					c.expectOpen()
				default:
					c.callOK(req)
					c.expectOpen()
				}
				cn.check(t)
			})
		}
	}
}
