// Package ratelimit is the /flags request limiter: an in-memory token bucket
// per key (project token or client IP) that is off, log-only (the request
// proceeds with a warning header) or enforcing, as in the reference.
package ratelimit

import (
	"fmt"
	"strconv"
	"strings"
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

// Enabled reports whether Check can answer anything but Allowed, so callers
// skip computing a key nobody reads.
func (l *Limiter) Enabled() bool { return l != nil && l.enabled }

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

// ParseRate reads "<n>/<unit>" (unit second, minute, hour or day, as in
// Django REST framework throttle rates) into events per second and a burst
// of n.
func ParseRate(s string) (perSecond float64, burst int, err error) {
	num, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return 0, 0, fmt.Errorf("rate %q: want <n>/<unit>", s)
	}
	n, err := strconv.Atoi(strings.TrimSpace(num))
	if err != nil || n <= 0 {
		return 0, 0, fmt.Errorf("rate %q: bad count", s)
	}
	var secs float64
	switch strings.ToLower(strings.TrimSpace(unit)) {
	case "s", "sec", "second":
		secs = 1
	case "m", "min", "minute":
		secs = 60
	case "h", "hour":
		secs = 3600
	case "d", "day":
		secs = 86400
	default:
		return 0, 0, fmt.Errorf("rate %q: unknown unit", s)
	}
	return float64(n) / secs, n, nil
}

// PerKey is a limiter whose rate can differ per key (the definitions feed:
// a default per minute plus per-team overrides).
type PerKey struct {
	def       *Limiter
	overrides map[string]*Limiter
}

// NewPerKey enforces perMinute requests per key, with overrides mapping a key
// to a "<n>/<unit>" rate (FLAG_DEFINITIONS_RATE_LIMITS).
func NewPerKey(perMinute int, overrides map[string]string) (*PerKey, error) {
	p := &PerKey{def: New(true, false, float64(perMinute)/60, perMinute), overrides: map[string]*Limiter{}}
	for k, v := range overrides {
		r, b, err := ParseRate(v)
		if err != nil {
			return nil, err
		}
		p.overrides[k] = New(true, false, r, b)
	}
	return p, nil
}

// Check consumes one request of key.
func (p *PerKey) Check(key string) Decision {
	if p == nil {
		return Allowed
	}
	if l, ok := p.overrides[key]; ok {
		return l.Check(key)
	}
	return p.def.Check(key)
}
