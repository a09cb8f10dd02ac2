package limiters

import (
	"context"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hoggo/common/metrics"
	"golang.org/x/time/rate"
)

// OverflowDecision is the overflow limiter's verdict for one key.
type OverflowDecision int

const (
	// NotLimited: the event stays on the main topic.
	NotLimited OverflowDecision = iota
	// ForceLimited: the key or its token is listed in the forced keys
	// (INGESTION_FORCE_OVERFLOW_BY_TOKEN_DISTINCT_ID).
	ForceLimited
	// RateLimited: the key exceeded its per-second rate and burst.
	RateLimited
)

func (d OverflowDecision) String() string {
	switch d {
	case ForceLimited:
		return "force_limited"
	case RateLimited:
		return "rate_limited"
	}
	return "not_limited"
}

// OverflowLimiter decides when capture reroutes a key (token:distinct_id) to
// the overflow topic: listed keys always, others when they exceed a token
// bucket of perSecond with burst.
type OverflowLimiter struct {
	perSecond rate.Limit
	burst     int
	forced    map[string]struct{}
	keyCount  prometheus.Gauge

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
}

// NewOverflowLimiter builds a limiter of perSecond events per key with burst,
// forcing the comma-separated forcedKeys (entries `token` or
// `token:distinct_id`, blanks ignored). Option WithRegisterer places the
// gauge partition_limits_key_count.
func NewOverflowLimiter(perSecond, burst int, forcedKeys string, opts ...Option) *OverflowLimiter {
	o := buildOptions(opts)
	l := &OverflowLimiter{
		perSecond: rate.Limit(perSecond),
		burst:     burst,
		forced:    map[string]struct{}{},
		limiters:  map[string]*rate.Limiter{},
	}
	for _, k := range strings.Split(forcedKeys, ",") {
		if k = strings.TrimSpace(k); k != "" {
			l.forced[k] = struct{}{}
		}
	}
	vec := metrics.Register(o.registerer, prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "partition_limits_key_count",
		Help: "Keys tracked by the overflow limiter.",
	}, nil))
	l.keyCount = vec.WithLabelValues()
	return l
}

// IsForced reports whether key, or its token (its first non-empty
// ':'-separated component), is in the forced list.
func (l *OverflowLimiter) IsForced(key string) bool {
	if len(l.forced) == 0 || key == "" {
		return false
	}
	if _, ok := l.forced[key]; ok {
		return true
	}
	for part := range strings.SplitSeq(key, ":") {
		if part != "" {
			_, ok := l.forced[part]
			return ok
		}
	}
	return false
}

// Check returns the decision for one event of key and consumes one unit of
// its rate. The empty key is never limited.
func (l *OverflowLimiter) Check(key string) OverflowDecision {
	if key == "" {
		return NotLimited
	}
	if l.IsForced(key) {
		return ForceLimited
	}
	l.mu.Lock()
	lim, ok := l.limiters[key]
	if !ok {
		lim = rate.NewLimiter(l.perSecond, l.burst)
		l.limiters[key] = lim
	}
	l.mu.Unlock()
	if lim.Allow() {
		return NotLimited
	}
	return RateLimited
}

// IsLimited reports whether Check(key) is not NotLimited.
func (l *OverflowLimiter) IsLimited(key string) bool { return l.Check(key) != NotLimited }

// Len returns the number of keys with rate state.
func (l *OverflowLimiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.limiters)
}

// Cleanup forgets keys whose bucket is full again: their state equals a fresh one.
func (l *OverflowLimiter) Cleanup() {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, lim := range l.limiters {
		if lim.TokensAt(now) >= float64(l.burst) {
			delete(l.limiters, k)
		}
	}
}

// Run cleans up every random 60-70 s and updates partition_limits_key_count
// every 10 s until ctx ends. It returns nil when ctx ends.
func (l *OverflowLimiter) Run(ctx context.Context) error {
	report := time.NewTicker(10 * time.Second)
	defer report.Stop()
	cleanup := time.NewTimer(cleanupDelay())
	defer cleanup.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-report.C:
			l.keyCount.Set(float64(l.Len()))
		case <-cleanup.C:
			l.Cleanup()
			cleanup.Reset(cleanupDelay())
		}
	}
}

func cleanupDelay() time.Duration {
	return 60*time.Second + rand.N(10*time.Second)
}
