package node

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/gyrehq/gyre"
)

// channelRules resolves channel names to namespace options. It is immutable
// after construction and safe for concurrent use.
type channelRules struct {
	cfg     ChannelConfig
	regexps map[string]*regexp.Regexp // namespace name → compiled channel_regex
}

func newChannelRules(cfg ChannelConfig) (*channelRules, error) {
	r := &channelRules{cfg: cfg, regexps: map[string]*regexp.Regexp{}}
	add := func(name string, o gyre.ChannelOptions) error {
		if o.ChannelRegex == "" {
			return nil
		}
		re, err := regexp.Compile(o.ChannelRegex)
		if err != nil {
			return err
		}
		r.regexps[name] = re
		return nil
	}
	if err := add("", cfg.WithoutNamespace); err != nil {
		return nil, err
	}
	for name, o := range cfg.Namespaces {
		if err := add(name, o); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// namespaceOf returns the namespace name of a channel ("" for none).
func (r *channelRules) namespaceOf(ch string) (ns, rest string) {
	name := strings.TrimPrefix(ch, r.cfg.PrivatePrefix)
	if i := strings.Index(name, r.cfg.NamespaceBoundary); i >= 0 {
		return name[:i], name[i+len(r.cfg.NamespaceBoundary):]
	}
	return "", name
}

// options returns the options of the channel's namespace, or
// ErrUnknownChannel.
func (r *channelRules) options(ch string) (gyre.ChannelOptions, error) {
	if strings.HasPrefix(ch, reservedPrefix) {
		return gyre.ChannelOptions{}, gyre.ErrPermissionDenied
	}
	ns, _ := r.namespaceOf(ch)
	if ns == "" {
		return r.withDefaults(r.cfg.WithoutNamespace), nil
	}
	o, ok := r.cfg.Namespaces[ns]
	if !ok {
		return gyre.ChannelOptions{}, gyre.ErrUnknownChannel
	}
	return r.withDefaults(o), nil
}

func (r *channelRules) withDefaults(o gyre.ChannelOptions) gyre.ChannelOptions {
	if o.PublicationDataFormat == "" {
		o.PublicationDataFormat = r.cfg.PublicationDataFormat
	}
	if o.HistoryMetaTTL == 0 {
		o.HistoryMetaTTL = gyre.Duration(r.cfg.HistoryMetaTTL)
	}
	return o
}

// validName checks the name rules that apply after the namespace is known:
// ASCII, or the namespace's channel_regex over the part after the namespace.
func (r *channelRules) validName(ch string) bool {
	ns, rest := r.namespaceOf(ch)
	if re, ok := r.regexps[ns]; ok {
		return re.MatchString(rest)
	}
	for i := 0; i < len(ch); i++ {
		if ch[i] >= 0x80 {
			return false
		}
	}
	return true
}

func (r *channelRules) isPrivate(ch string) bool {
	return r.cfg.PrivatePrefix != "" && strings.HasPrefix(ch, r.cfg.PrivatePrefix)
}

// userAllowed reports whether a user-limited channel ("ns:chat#42,43") lists
// the user.
func (r *channelRules) userAllowed(ch, user string) bool {
	i := strings.LastIndex(ch, r.cfg.UserBoundary)
	if i < 0 || user == "" {
		return false
	}
	for _, u := range strings.Split(ch[i+len(r.cfg.UserBoundary):], r.cfg.UserSeparator) {
		if u == user {
			return true
		}
	}
	return false
}

func (r *channelRules) isUserLimited(ch string) bool {
	return strings.Contains(ch, r.cfg.UserBoundary)
}

// personalChannel returns the personal channel of a user.
func (r *channelRules) personalChannel(ns, user string) string {
	if ns == "" {
		return r.cfg.UserBoundary + user
	}
	return ns + r.cfg.NamespaceBoundary + r.cfg.UserBoundary + user
}

// checkDataFormat applies publication_data_format (PROTOCOL.md §7.3).
func checkDataFormat(format string, data []byte) bool {
	switch format {
	case "binary":
		return true
	case "json":
		return json.Valid(data)
	case "json_object":
		d := bytes.TrimSpace(data)
		return len(d) > 0 && d[0] == '{' && json.Valid(d)
	default:
		return len(data) > 0
	}
}
