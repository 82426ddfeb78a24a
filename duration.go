package gyre

import (
	"encoding/json"
	"fmt"
	"time"
)

// Duration is a time.Duration written in configuration as a Go duration
// string ("25s", "720h", "1m30s"). A bare number is read as seconds.
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats the duration the way time.Duration does.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a duration string or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case nil:
		return nil
	case float64:
		*d = Duration(time.Duration(x * float64(time.Second)))
		return nil
	case string:
		return d.UnmarshalText([]byte(x))
	}
	return fmt.Errorf("duration must be a string like \"25s\" or a number of seconds, got %s", b)
}

// UnmarshalText reads a duration string such as "25s".
func (d *Duration) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = 0
		return nil
	}
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q: use a number with a unit, like \"25s\" or \"720h\"", b)
	}
	*d = Duration(v)
	return nil
}
