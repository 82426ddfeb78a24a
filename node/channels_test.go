package node

import (
	"testing"

	"github.com/gyrehq/gyre"
)

func testRules(t *testing.T) *channelRules {
	t.Helper()
	cfg := Config{Channels: ChannelConfig{
		WithoutNamespace: gyre.ChannelOptions{Presence: true},
		Namespaces: map[string]gyre.ChannelOptions{
			"chat":    {HistorySize: 10, HistoryTTL: gyre.Duration(60e9), PublicationDataFormat: "json"},
			"strict":  {ChannelRegex: `^[a-z]+$`},
			"dialogs": {AllowUserLimitedChannels: true},
		},
		PublicationDataFormat: "binary",
	}}
	cfg.setDefaults()
	r, err := newChannelRules(cfg.Channels)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestChannelRules(t *testing.T) {
	r := testRules(t)
	tests := []struct {
		channel     string
		ns          string
		unknown     bool
		valid       bool
		private     bool
		userLimited bool
	}{
		{channel: "news", ns: "", valid: true},
		{channel: "chat:room", ns: "chat", valid: true},
		{channel: "chat:a:b", ns: "chat", valid: true},
		{channel: "$chat:secret", ns: "chat", valid: true, private: true},
		{channel: "$news", ns: "", valid: true, private: true},
		{channel: "nope:x", ns: "nope", unknown: true},
		{channel: "chat:héllo", ns: "chat", valid: false},
		{channel: "strict:abc", ns: "strict", valid: true},
		{channel: "strict:ABC", ns: "strict", valid: false},
		{channel: "strict:héllo", ns: "strict", valid: false},
		{channel: "dialogs:chat#42,43", ns: "dialogs", valid: true, userLimited: true},
	}
	for _, tc := range tests {
		t.Run(tc.channel, func(t *testing.T) {
			ns, _ := r.namespaceOf(tc.channel)
			if ns != tc.ns {
				t.Fatalf("namespace %q, want %q", ns, tc.ns)
			}
			_, err := r.options(tc.channel)
			if tc.unknown {
				if err != gyre.ErrUnknownChannel {
					t.Fatalf("err = %v, want 102", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := r.validName(tc.channel); got != tc.valid {
				t.Fatalf("validName = %v, want %v", got, tc.valid)
			}
			if got := r.isPrivate(tc.channel); got != tc.private {
				t.Fatalf("isPrivate = %v", got)
			}
			if got := r.isUserLimited(tc.channel); got != tc.userLimited {
				t.Fatalf("isUserLimited = %v", got)
			}
		})
	}
}

func TestChannelOptionsDefaults(t *testing.T) {
	r := testRules(t)
	o, _ := r.options("chat:x")
	if o.PublicationDataFormat != "json" || o.HistoryMetaTTL.D().Hours() != 720 || !o.HistoryEnabled() {
		t.Fatalf("chat options %+v", o)
	}
	o, _ = r.options("news")
	if o.PublicationDataFormat != "binary" || !o.Presence {
		t.Fatalf("without-namespace options %+v", o)
	}
}

func TestUserLimited(t *testing.T) {
	r := testRules(t)
	for _, tc := range []struct {
		ch, user string
		want     bool
	}{
		{"dialogs:chat#42,43", "42", true},
		{"dialogs:chat#42,43", "43", true},
		{"dialogs:chat#42,43", "4", false},
		{"dialogs:chat#42,43", "", false},
		{"dialogs:a#b#42", "42", true},
		{"dialogs:chat", "42", false},
	} {
		if got := r.userAllowed(tc.ch, tc.user); got != tc.want {
			t.Errorf("userAllowed(%q, %q) = %v", tc.ch, tc.user, got)
		}
	}
	if got := r.personalChannel("", "7"); got != "#7" {
		t.Errorf("personal = %q", got)
	}
	if got := r.personalChannel("chat", "7"); got != "chat:#7" {
		t.Errorf("personal = %q", got)
	}
}

func TestCheckDataFormat(t *testing.T) {
	for _, tc := range []struct {
		format, data string
		want         bool
	}{
		{"", "", false}, {"", "x", true},
		{"json", `{"a":1}`, true}, {"json", `[1]`, true}, {"json", `nope`, false}, {"json", ``, false},
		{"json_object", `{"a":1}`, true}, {"json_object", ` {}`, true}, {"json_object", `[1]`, false},
		{"binary", "", true}, {"binary", "\x00\xff", true},
	} {
		if got := checkDataFormat(tc.format, []byte(tc.data)); got != tc.want {
			t.Errorf("checkDataFormat(%q, %q) = %v", tc.format, tc.data, got)
		}
	}
}
