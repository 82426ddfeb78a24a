package topics

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/gyrehq/gyre/bridge"
)

// CodeForbidden is the error code Service answers a denied subscription
// with: Error(403, "permission denied", false).
const CodeForbidden = 403

// Params are the named segments of a match.
type Params map[string]string

// Match is what a rule receives.
type Match struct {
	// Topic is the channel asked for.
	Topic string
	// Pattern is the pattern that matched.
	Pattern string
	// Params are its named segments.
	Params Params
	// User is the user asking (the request's User).
	User string
	// Request is the proxied request (a *bridge.SubscribeRequest for
	// Service); nil when Authorize was called without one.
	Request bridge.Request
}

// Rule decides whether a match is allowed. An error denies and is
// returned by Authorize.
type Rule func(ctx context.Context, m Match) (bool, error)

type entry struct {
	pattern string
	re      *regexp.Regexp
	rule    Rule
}

// Registry holds patterns in registration order.
type Registry struct {
	mu      sync.RWMutex
	entries []entry
}

// New returns an empty Registry.
func New() *Registry { return &Registry{} }

var nameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Compile turns a pattern into its anchored, case-insensitive regular
// expression.
func Compile(pattern string) (*regexp.Regexp, error) {
	if pattern == "" {
		return nil, errors.New("topics: empty pattern")
	}
	var b strings.Builder
	b.WriteString(`(?i)^`)
	depth := 0
	seen := map[string]bool{}
	for i := 0; i < len(pattern); {
		c := pattern[i]
		switch c {
		case '{':
			end := strings.IndexByte(pattern[i:], '}')
			if end < 0 {
				return nil, fmt.Errorf("topics: pattern %q: unclosed {", pattern)
			}
			name := pattern[i+1 : i+end]
			if j := strings.IndexByte(name, ':'); j >= 0 {
				name = name[:j]
			}
			if !nameRE.MatchString(name) {
				return nil, fmt.Errorf("topics: pattern %q: invalid parameter name %q", pattern, name)
			}
			if seen[name] {
				return nil, fmt.Errorf("topics: pattern %q: duplicate parameter %q", pattern, name)
			}
			seen[name] = true
			b.WriteString(`(?P<` + name + `>[^/.]+)`)
			i += end + 1
			continue
		case '}':
			return nil, fmt.Errorf("topics: pattern %q: unexpected }", pattern)
		case '[':
			depth++
			b.WriteString(`(?:`)
		case ']':
			if depth == 0 {
				return nil, fmt.Errorf("topics: pattern %q: unexpected ]", pattern)
			}
			depth--
			b.WriteString(`)?`)
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
		i++
	}
	if depth != 0 {
		return nil, fmt.Errorf("topics: pattern %q: unclosed [", pattern)
	}
	b.WriteString(`$`)
	return regexp.Compile(b.String())
}

// Register appends pattern with its rule.
func (r *Registry) Register(pattern string, rule Rule) error {
	if rule == nil {
		return fmt.Errorf("topics: nil rule for %q", pattern)
	}
	re, err := Compile(pattern)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, entry{pattern: pattern, re: re, rule: rule})
	return nil
}

// MustRegister is Register that panics on error; it returns r for
// chaining.
func (r *Registry) MustRegister(pattern string, rule Rule) *Registry {
	if err := r.Register(pattern, rule); err != nil {
		panic(err)
	}
	return r
}

// Find returns the first pattern matching topic, its parameters and rule.
// Parameters of optional parts that did not match are absent.
func (r *Registry) Find(topic string) (pattern string, params Params, rule Rule, ok bool) {
	r.mu.RLock()
	entries := r.entries
	r.mu.RUnlock()
	for _, e := range entries {
		m := e.re.FindStringSubmatchIndex(topic)
		if m == nil {
			continue
		}
		params = Params{}
		for i, name := range e.re.SubexpNames() {
			if name != "" && m[2*i] >= 0 {
				params[name] = topic[m[2*i]:m[2*i+1]]
			}
		}
		return e.pattern, params, e.rule, true
	}
	return "", nil, nil, false
}

// Authorize finds the first match of topic and runs its rule. No match
// denies.
func (r *Registry) Authorize(ctx context.Context, topic, user string, req bridge.Request) (bool, error) {
	pattern, params, rule, ok := r.Find(topic)
	if !ok {
		return false, nil
	}
	return rule(ctx, Match{Topic: topic, Pattern: pattern, Params: params, User: user, Request: req})
}

// Service returns a subscribe service backed by r: allowed →
// Respond(SubscribeResult{}); denied, no match or rule error →
// Error(CodeForbidden, "permission denied") (a rule error is also returned,
// so the Bridge logs it).
func (r *Registry) Service() bridge.Service {
	return bridge.SubscribeFunc(func(ctx context.Context, req *bridge.SubscribeRequest) error {
		ok, err := r.Authorize(ctx, req.Channel, req.User, req)
		if err != nil || !ok {
			if aerr := req.Error(CodeForbidden, "permission denied", false); aerr != nil {
				return aerr
			}
			return err
		}
		return req.Respond(bridge.SubscribeResult{})
	})
}
