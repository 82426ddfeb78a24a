package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/gyrehq/gyre/auth/jwt"
	"github.com/gyrehq/gyre/internal/app"
)

// ttlFlag accepts seconds ("3600") or a duration ("1h"); negative means no
// expiration.
type ttlFlag struct{ d time.Duration }

func (t *ttlFlag) String() string { return t.d.String() }
func (t *ttlFlag) Set(v string) error {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		t.d = time.Duration(n) * time.Second
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("ttl must be seconds or a duration like 24h")
	}
	t.d = d
	return nil
}

type tokenFlags struct {
	path    *string
	user    *string
	channel *string
	ttl     ttlFlag
	quiet   *bool
}

func parseTokenFlags(env *runEnv, name string, args []string, withChannel bool) (*tokenFlags, *flag.FlagSet, error) {
	fs := flagSet(name, env)
	tf := &tokenFlags{path: configFlag(fs), ttl: ttlFlag{d: 7 * 24 * time.Hour}}
	tf.user = fs.String("user", "", "user ID (sub claim); empty means anonymous")
	fs.StringVar(tf.user, "u", "", "shorthand for --user")
	if withChannel {
		tf.channel = fs.String("channel", "", "channel the token grants")
		fs.StringVar(tf.channel, "s", "", "shorthand for --channel")
	}
	fs.Var(&tf.ttl, "ttl", "lifetime in seconds or as a duration (negative: no exp)")
	fs.Var(&tf.ttl, "t", "shorthand for --ttl")
	tf.quiet = fs.Bool("quiet", false, "print only the token")
	fs.BoolVar(tf.quiet, "q", false, "shorthand for --quiet")
	if err := fs.Parse(args); err != nil {
		return nil, nil, &exitError{code: 2, err: err}
	}
	return tf, fs, nil
}

func signToken(env *runEnv, tf *tokenFlags, fs *flag.FlagSet, extra map[string]any, kind string) error {
	cfg, err := loadConfig(env, *tf.path, explicitlySet(fs, "config", "c"))
	if err != nil {
		return err
	}
	secret := cfg.Client.Token.HMACSecretKey
	if kind == "subscription" && cfg.Client.SubscriptionToken.Enabled {
		secret = cfg.Client.SubscriptionToken.HMACSecretKey
	}
	if secret == "" {
		return &exitError{code: 1, err: fmt.Errorf("client.token.hmac_secret_key is not set: gentoken signs with HS256 only")}
	}
	now := time.Now()
	claims := map[string]any{"sub": *tf.user, "iat": now.Unix()}
	if tf.ttl.d >= 0 {
		claims["exp"] = now.Add(tf.ttl.d).Unix()
	}
	for k, v := range extra {
		claims[k] = v
	}
	tok, err := jwt.SignHMAC(secret, claims)
	if err != nil {
		return err
	}
	if *tf.quiet {
		fmt.Fprintln(env.stdout, tok)
		return nil
	}
	who := fmt.Sprintf("user %q", *tf.user)
	if *tf.user == "" {
		who = "an anonymous user"
	}
	exp := "never expires"
	if tf.ttl.d >= 0 {
		exp = "expires in " + tf.ttl.d.String()
	}
	fmt.Fprintf(env.stdout, "HMAC SHA-256 %s token for %s (%s):\n%s\n", kind, who, exp, tok)
	return nil
}

func runGenToken(_ context.Context, env *runEnv, args []string) error {
	tf, fs, err := parseTokenFlags(env, "gentoken", args, false)
	if err != nil {
		return err
	}
	return signToken(env, tf, fs, nil, "connection")
}

func runGenSubToken(_ context.Context, env *runEnv, args []string) error {
	tf, fs, err := parseTokenFlags(env, "gensubtoken", args, true)
	if err != nil {
		return err
	}
	if *tf.channel == "" {
		return &exitError{code: 2, err: fmt.Errorf("--channel is required")}
	}
	return signToken(env, tf, fs, map[string]any{"channel": *tf.channel}, "subscription")
}

func checkToken(ctx context.Context, env *runEnv, name string, args []string, sub bool) error {
	fs := flagSet(name, env)
	path := configFlag(fs)
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2, err: err}
	}
	if fs.NArg() != 1 {
		return &exitError{code: 2, err: fmt.Errorf("usage: gyre %s [-c config] TOKEN", name)}
	}
	cfg, err := loadConfig(env, *path, explicitlySet(fs, "config", "c"))
	if err != nil {
		return err
	}
	v, err := app.TokenVerifier(cfg)
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	return reportToken(ctx, env, v, fs.Arg(0), sub)
}

func runCheckToken(ctx context.Context, env *runEnv, args []string) error {
	return checkToken(ctx, env, "checktoken", args, false)
}

func runCheckSubToken(ctx context.Context, env *runEnv, args []string) error {
	return checkToken(ctx, env, "checksubtoken", args, true)
}
