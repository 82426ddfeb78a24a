package gyre

import (
	"context"
	"errors"
)

// ErrInvalidToken is wrapped by TokenVerifier errors for tokens that are
// malformed, badly signed, or carry claims that do not match. Expired tokens
// return ErrTokenExpired instead.
var ErrInvalidToken = errors.New("invalid token")

// SubscribeOverride replaces channel options for one subscription. A nil
// field keeps the namespace value.
type SubscribeOverride struct {
	Presence           *bool
	JoinLeave          *bool
	ForcePushJoinLeave *bool
	ForceRecovery      *bool
	ForcePositioning   *bool
}

// SubscribeGrant is what a token (or proxy) grants for one channel.
type SubscribeGrant struct {
	// Info becomes ClientInfo.ChanInfo; Data goes to the client in the
	// subscribe result.
	Info     []byte
	Data     []byte
	Override *SubscribeOverride
	// ExpireAt in Unix seconds; 0 means the subscription does not expire.
	ExpireAt int64
}

// ConnectToken is a verified connection token.
type ConnectToken struct {
	UserID string
	// ExpireAt in Unix seconds; 0 means the connection does not expire.
	ExpireAt int64
	Info     []byte
	// Channels are server-side subscriptions with namespace defaults; Subs
	// are server-side subscriptions with options and take precedence.
	Channels []string
	Subs     map[string]SubscribeGrant
	// Meta is never sent to clients.
	Meta []byte
}

// SubscribeToken is a verified subscription token.
type SubscribeToken struct {
	UserID  string
	Channel string
	// Client, when non-empty, must equal the subscribing client's ID.
	Client string
	SubscribeGrant
}

// TokenVerifier verifies connection and subscription JWTs. Errors wrap
// ErrInvalidToken or are ErrTokenExpired.
type TokenVerifier interface {
	VerifyConnectToken(ctx context.Context, token string) (ConnectToken, error)
	VerifySubscribeToken(ctx context.Context, token string) (SubscribeToken, error)
}
