// Package ratelimit is the /flags request limiter: an in-memory token bucket
// per key (project token or client IP) that is off, log-only (the request
// proceeds with a warning header) or enforcing, as in the reference.
package ratelimit

import (
	"sync"

	"golang.org/x/time/rate"
)

// Decision is the limiter's verdict for one request.
type Decision int

// Decisions.
const (
	Allowed Decision = iota
	// Warned: over the limit in log-only mode; the request proceeds.
	Warned
	// Blocked: over the limit while enforcing; answer 429.
	Blocked
)

// maxKeys bounds memory: past it the bucket map starts over (buckets refill
// within seconds, so forgetting them only forgives a burst).
const maxKeys = 100_000

// Limiter is a keyed token bucket. The zero value of a disabled limiter is
// valid; use New for an active one.
type Limiter struct {
	enabled, logOnly bool
	perSecond        rate.Limit
	burst            int

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

// New returns a limiter of perSecond tokens with burst capacity per key.
// Disabled limiters allow everything.
func New(enabled, logOnly bool, perSecond float64, burst int) *Limiter {
	return &Limiter{enabled: enabled, logOnly: logOnly, perSecond: rate.Limit(perSecond), burst: burst, buckets: map[string]*rate.Limiter{}}
}

// Check consumes one token of key.
func (l *Limiter) Check(key string) Decision {
	if l == nil || !l.enabled || key == "" {
		return Allowed
	}
	l.mu.Lock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxKeys {
			l.buckets = map[string]*rate.Limiter{}
		}
		b = rate.NewLimiter(l.perSecond, l.burst)
		l.buckets[key] = b
	}
	l.mu.Unlock()
	if b.Allow() {
		return Allowed
	}
	if l.logOnly {
		return Warned
	}
	return Blocked
}
