package node

import "time"

// rateLimiter is a per-connection token bucket for commands. It is used only
// from the session's read goroutine, so it needs no lock.
type rateLimiter struct {
	rate     float64 // tokens per second
	burst    float64
	tokens   float64
	last     time.Time
	rejected int // consecutive rejected commands
}

func newRateLimiter(perSecond, burst int) *rateLimiter {
	if burst <= 0 {
		burst = perSecond
	}
	return &rateLimiter{rate: float64(perSecond), burst: float64(burst), tokens: float64(burst)}
}

// allow takes a token if one is available.
func (r *rateLimiter) allow(now time.Time) bool {
	if !r.last.IsZero() {
		r.tokens = min(r.burst, r.tokens+now.Sub(r.last).Seconds()*r.rate)
	}
	r.last = now
	if r.tokens >= 1 {
		r.tokens--
		r.rejected = 0
		return true
	}
	r.rejected++
	return false
}

// patience is how many commands in a row may be rejected before the
// connection is closed with 3013.
func (r *rateLimiter) patience() int { return max(int(r.burst), 10) }
