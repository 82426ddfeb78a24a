package config

import "strings"

// Warning is a non-fatal finding of Load: a key or environment variable that
// Gyre does not know (and therefore ignores).
type Warning struct {
	// Key is the full dotted key path, such as
	// "channel.namespaces[1].histroy_size"; empty for an environment
	// variable that names no key.
	Key string
	// Env is the environment variable the key came from, if any.
	Env string
	// Message says what is wrong, for example "unknown key (ignored)".
	Message string
}

// String formats the warning as "key: message", naming the environment
// variable when there is one.
func (w Warning) String() string {
	return where(w.Key, w.Env) + ": " + w.Message
}

// FieldError is one problem with one key: a value of the wrong type, an
// unparsable environment variable, or a failed validation rule. Its text is
// "key: reason".
type FieldError struct {
	// Key is the full dotted key path, such as "client.ping_interval" or
	// "channel.namespaces[0].history_ttl".
	Key string
	// Env is the environment variable the value came from, if any.
	Env string
	// Reason says what is wrong.
	Reason string
}

// Error implements error.
func (e *FieldError) Error() string {
	return where(e.Key, e.Env) + ": " + e.Reason
}

func where(key, env string) string {
	switch {
	case env == "":
		return key
	case key == "":
		return env
	}
	return env + " (" + key + ")"
}

// Errors is a list of problems, returned by Load for type errors and by
// Config.Validate. errors.As finds each *FieldError through Unwrap.
type Errors []*FieldError

// Error lists every problem, one per line.
func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, fe := range e {
		lines[i] = fe.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems as a slice of errors.
func (e Errors) Unwrap() []error {
	out := make([]error, len(e))
	for i, fe := range e {
		out[i] = fe
	}
	return out
}
