package jwt

import (
	"encoding/base64"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gyrehq/gyre"
)

func ptr(b bool) *bool { return &b }

func TestConnectClaims(t *testing.T) {
	now := testNow.Unix()
	std := base64.StdEncoding.EncodeToString
	tests := []struct {
		name        string
		userIDClaim string
		claims      map[string]any
		want        gyre.ConnectToken
		wantErr     error
		substr      string
	}{
		{
			name:   "anonymous",
			claims: map[string]any{},
			want:   gyre.ConnectToken{},
		},
		{
			name:   "info raw JSON",
			claims: map[string]any{"sub": "1", "info": map[string]any{"name": "Ann"}},
			want:   gyre.ConnectToken{UserID: "1", Info: []byte(`{"name":"Ann"}`)},
		},
		{
			name:   "b64info wins over info",
			claims: map[string]any{"sub": "1", "info": map[string]any{"x": 1}, "b64info": std([]byte{0, 1, 2})},
			want:   gyre.ConnectToken{UserID: "1", Info: []byte{0, 1, 2}},
		},
		{
			name:    "bad b64info",
			claims:  map[string]any{"b64info": "%%%"},
			wantErr: gyre.ErrInvalidToken,
			substr:  "b64info",
		},
		{
			name:   "null info is absent",
			claims: map[string]any{"info": nil, "meta": nil},
			want:   gyre.ConnectToken{},
		},
		{
			name:   "channels",
			claims: map[string]any{"sub": "1", "channels": []string{"news", "chat:1"}},
			want:   gyre.ConnectToken{UserID: "1", Channels: []string{"news", "chat:1"}},
		},
		{
			name: "subs with override",
			claims: map[string]any{"sub": "1", "subs": map[string]any{
				"a": map[string]any{
					"info": map[string]any{"role": "admin"},
					"data": "hello",
					"override": map[string]any{
						"presence":              map[string]any{"value": true},
						"join_leave":            map[string]any{"value": false},
						"force_push_join_leave": map[string]any{"value": true},
						"force_recovery":        map[string]any{"value": true},
						"force_positioning":     map[string]any{"value": false},
					},
				},
				"b": map[string]any{"b64info": std([]byte("bi")), "b64data": std([]byte("bd")), "info": 1, "data": 2},
				"c": map[string]any{"override": map[string]any{"presence": map[string]any{"value": false}}},
				"d": map[string]any{},
			}},
			want: gyre.ConnectToken{UserID: "1", Subs: map[string]gyre.SubscribeGrant{
				"a": {
					Info: []byte(`{"role":"admin"}`),
					Data: []byte(`"hello"`),
					Override: &gyre.SubscribeOverride{
						Presence: ptr(true), JoinLeave: ptr(false), ForcePushJoinLeave: ptr(true),
						ForceRecovery: ptr(true), ForcePositioning: ptr(false),
					},
				},
				"b": {Info: []byte("bi"), Data: []byte("bd")},
				"c": {Override: &gyre.SubscribeOverride{Presence: ptr(false)}},
				"d": {},
			}},
		},
		{
			name:    "subs bad b64data",
			claims:  map[string]any{"subs": map[string]any{"a": map[string]any{"b64data": "!"}}},
			wantErr: gyre.ErrInvalidToken,
			substr:  "b64data",
		},
		{
			name:    "subs empty channel",
			claims:  map[string]any{"subs": map[string]any{"": map[string]any{}}},
			wantErr: gyre.ErrInvalidToken,
		},
		{
			name:   "meta",
			claims: map[string]any{"sub": "1", "meta": map[string]any{"plan": "pro"}},
			want:   gyre.ConnectToken{UserID: "1", Meta: []byte(`{"plan":"pro"}`)},
		},
		{
			name:   "exp only",
			claims: map[string]any{"exp": now + 100},
			want:   gyre.ConnectToken{ExpireAt: now + 100},
		},
		{
			name:   "expire_at replaces exp",
			claims: map[string]any{"exp": now + 100, "expire_at": now + 500},
			want:   gyre.ConnectToken{ExpireAt: now + 500},
		},
		{
			name:   "expire_at 0 means never",
			claims: map[string]any{"exp": now + 100, "expire_at": 0},
			want:   gyre.ConnectToken{ExpireAt: 0},
		},
		{
			name:   "expire_at without exp",
			claims: map[string]any{"expire_at": now + 7},
			want:   gyre.ConnectToken{ExpireAt: now + 7},
		},
		{
			name:    "expire_at not an integer",
			claims:  map[string]any{"expire_at": "soon"},
			wantErr: gyre.ErrInvalidToken,
		},
		{
			name:    "channel claim forbidden",
			claims:  map[string]any{"sub": "1", "channel": "news"},
			wantErr: gyre.ErrInvalidToken,
			substr:  "channel claim",
		},
		{
			name:        "user_id_claim",
			userIDClaim: "user_id",
			claims:      map[string]any{"sub": "ignored", "user_id": "u-9"},
			want:        gyre.ConnectToken{UserID: "u-9"},
		},
		{
			name:        "user_id_claim missing is anonymous",
			userIDClaim: "user_id",
			claims:      map[string]any{"sub": "ignored"},
			want:        gyre.ConnectToken{},
		},
		{
			name:        "user_id_claim not a string",
			userIDClaim: "user_id",
			claims:      map[string]any{"user_id": 12},
			wantErr:     gyre.ErrInvalidToken,
			substr:      "user ID claim",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := newVerifier(t, Config{Token: KeyConfig{HMACSecretKey: testSecret, UserIDClaim: tc.userIDClaim}})
			got, err := v.VerifyConnectToken(bg, hs256(t, tc.claims))
			checkErr(t, err, tc.wantErr, tc.substr)
			if tc.wantErr != nil {
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("token mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSubscribeClaims(t *testing.T) {
	now := testNow.Unix()
	std := base64.StdEncoding.EncodeToString
	tests := []struct {
		name        string
		userIDClaim string
		claims      map[string]any
		want        gyre.SubscribeToken
		wantErr     error
		substr      string
	}{
		{
			name:    "channel required",
			claims:  map[string]any{"sub": "1"},
			wantErr: gyre.ErrInvalidToken,
			substr:  "channel claim is required",
		},
		{
			name:    "empty channel",
			claims:  map[string]any{"sub": "1", "channel": ""},
			wantErr: gyre.ErrInvalidToken,
		},
		{
			name:   "minimal",
			claims: map[string]any{"sub": "1", "channel": "$private"},
			want:   gyre.SubscribeToken{UserID: "1", Channel: "$private"},
		},
		{
			name:   "client",
			claims: map[string]any{"sub": "1", "channel": "c", "client": "abc-123"},
			want:   gyre.SubscribeToken{UserID: "1", Channel: "c", Client: "abc-123"},
		},
		{
			name:   "info and data",
			claims: map[string]any{"channel": "c", "info": map[string]any{"i": 1}, "data": []int{1, 2}},
			want: gyre.SubscribeToken{Channel: "c", SubscribeGrant: gyre.SubscribeGrant{
				Info: []byte(`{"i":1}`), Data: []byte(`[1,2]`),
			}},
		},
		{
			name: "b64info and b64data win",
			claims: map[string]any{"channel": "c", "info": 1, "data": 2,
				"b64info": std([]byte{9}), "b64data": std([]byte{8})},
			want: gyre.SubscribeToken{Channel: "c", SubscribeGrant: gyre.SubscribeGrant{
				Info: []byte{9}, Data: []byte{8},
			}},
		},
		{
			name:    "bad b64data",
			claims:  map[string]any{"channel": "c", "b64data": "***"},
			wantErr: gyre.ErrInvalidToken,
			substr:  "b64data",
		},
		{
			name: "override",
			claims: map[string]any{"channel": "c", "override": map[string]any{
				"force_recovery":    map[string]any{"value": true},
				"force_positioning": map[string]any{"value": false},
			}},
			want: gyre.SubscribeToken{Channel: "c", SubscribeGrant: gyre.SubscribeGrant{
				Override: &gyre.SubscribeOverride{ForceRecovery: ptr(true), ForcePositioning: ptr(false)},
			}},
		},
		{
			name:   "exp as expiration",
			claims: map[string]any{"channel": "c", "exp": now + 30},
			want:   gyre.SubscribeToken{Channel: "c", SubscribeGrant: gyre.SubscribeGrant{ExpireAt: now + 30}},
		},
		{
			name:   "expire_at replaces exp",
			claims: map[string]any{"channel": "c", "exp": now + 30, "expire_at": now + 90},
			want:   gyre.SubscribeToken{Channel: "c", SubscribeGrant: gyre.SubscribeGrant{ExpireAt: now + 90}},
		},
		{
			name:   "expire_at 0",
			claims: map[string]any{"channel": "c", "exp": now + 30, "expire_at": 0},
			want:   gyre.SubscribeToken{Channel: "c"},
		},
		{
			name:        "user_id_claim",
			userIDClaim: "uid",
			claims:      map[string]any{"channel": "c", "sub": "x", "uid": "y"},
			want:        gyre.SubscribeToken{Channel: "c", UserID: "y"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := newVerifier(t, Config{Token: KeyConfig{HMACSecretKey: testSecret, UserIDClaim: tc.userIDClaim}})
			got, err := v.VerifySubscribeToken(bg, hs256(t, tc.claims))
			checkErr(t, err, tc.wantErr, tc.substr)
			if tc.wantErr != nil {
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("token mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
