package topics_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"go.uber.org/goleak"

	"github.com/gyrehq/gyre/bridge"
	"github.com/gyrehq/gyre/bridge/bridgetest"
	"github.com/gyrehq/gyre/bridge/topics"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func allow(context.Context, topics.Match) (bool, error) { return true, nil }

func TestPatterns(t *testing.T) {
	tests := []struct {
		pattern, topic string
		want           topics.Params // nil = no match
	}{
		{"user.{id}", "user.42", topics.Params{"id": "42"}},
		{"user.{id}", "USER.42", topics.Params{"id": "42"}}, // case-insensitive
		{"user.{id}", "user.", nil},
		{"user.{id}", "user.4.2", nil},                             // {name} does not cross "."
		{"user.{id}", "user.4/2", nil},                             // nor "/"
		{"user.{id}", "xuser.42", nil},                             // anchored
		{"user.{id}", "user.42x.", nil},                            // anchored
		{"user.{id:\\d+}", "user.abc", topics.Params{"id": "abc"}}, // the part after ":" is ignored
		{"chat.{room}[.{thread}]", "chat.1", topics.Params{"room": "1"}},
		{"chat.{room}[.{thread}]", "chat.1.2", topics.Params{"room": "1", "thread": "2"}},
		{"chat.{room}[.{thread}]", "chat.1.2.3", nil},
		{"chat.{room}[.{thread}]", "chat.1.", nil},
		{"news/{section}", "news/sport", topics.Params{"section": "sport"}},
		{"news/{section}", "newsXsport", nil}, // "/" is literal
		{"a.b", "aXb", nil},                   // "." is literal, not a regexp dot
		{"orders[.{id}[.{item}]]", "orders", topics.Params{}},
		{"orders[.{id}[.{item}]]", "orders.7.9", topics.Params{"id": "7", "item": "9"}},
		{"public", "Public", topics.Params{}},
		{"a+b(c)", "a+b(c)", topics.Params{}}, // regexp metacharacters are literal
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"~"+tt.topic, func(t *testing.T) {
			r := topics.New().MustRegister(tt.pattern, allow)
			pattern, params, _, ok := r.Find(tt.topic)
			if ok != (tt.want != nil) {
				t.Fatalf("match = %v, want %v", ok, tt.want != nil)
			}
			if ok && (pattern != tt.pattern || !reflect.DeepEqual(params, tt.want)) {
				t.Fatalf("Find = %q %v, want %v", pattern, params, tt.want)
			}
		})
	}
}

func TestBadPatterns(t *testing.T) {
	for _, p := range []string{"", "user.{id", "user.}", "a[b", "a]b", "{1x}", "{a}.{a}", "{}"} {
		if err := topics.New().Register(p, allow); err == nil {
			t.Errorf("Register(%q) succeeded", p)
		}
	}
	if err := topics.New().Register("x", nil); err == nil {
		t.Error("nil rule accepted")
	}
}

func TestFirstMatchWins(t *testing.T) {
	r := topics.New().
		MustRegister("user.{id}", func(_ context.Context, m topics.Match) (bool, error) { return m.Params["id"] == m.User, nil }).
		MustRegister("user.admin", allow) // never reached: the first pattern matches "user.admin"
	if ok, _ := r.Authorize(context.Background(), "user.admin", "42", nil); ok {
		t.Fatal("the later, broader rule was used")
	}
	if ok, _ := r.Authorize(context.Background(), "user.42", "42", nil); !ok {
		t.Fatal("own channel denied")
	}
	if ok, _ := r.Authorize(context.Background(), "nomatch", "42", nil); ok {
		t.Fatal("unmatched channel allowed")
	}
}

func TestService(t *testing.T) {
	var got topics.Match
	r := topics.New().
		MustRegister("user.{id}", func(_ context.Context, m topics.Match) (bool, error) {
			got = m
			return m.Params["id"] == m.User, nil
		}).
		MustRegister("broken", func(context.Context, topics.Match) (bool, error) { return true, errors.New("db down") })
	tests := []struct {
		user, channel string
		allowed       bool
	}{
		{"42", "user.42", true},
		{"42", "user.43", false},
		{"42", "other", false},
		{"42", "broken", false}, // a rule error denies
	}
	for _, tt := range tests {
		a := bridgetest.Run(t, r.Service(), bridgetest.Subscribe(tt.user, tt.channel, nil))
		if tt.allowed != (a.Kind == bridge.AnswerResult) {
			t.Errorf("%s/%s: answer %+v", tt.user, tt.channel, a)
		}
		if !tt.allowed && (a.Error == nil || a.Error.Code != topics.CodeForbidden || a.Error.Message != "permission denied") {
			t.Errorf("%s/%s: refusal %+v", tt.user, tt.channel, a.Error)
		}
	}
	if got.Topic != "user.43" || got.User != "42" || got.Pattern != "user.{id}" || got.Request.(*bridge.SubscribeRequest).Channel != "user.43" {
		t.Fatalf("rule got %+v", got)
	}
}
