package limits

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/hoggo/common/limiters"
)

// maxDistinctIDChars bounds the distinct_id part of a limiter key (in
// characters, as the reference), so one huge id cannot blow up the key.
const maxDistinctIDChars = 128

var (
	globalRateDryRun = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "capture_global_rate_limiter_dry_run", Help: "Global rate limit verdicts suppressed by GLOBAL_RATE_LIMIT_DRY_RUN.",
	}, []string{"key_type"})
	globalRateLimitedEvents = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "capture_events_rate_limited_token_distinctid", Help: "Events whose token:distinct_id is over its global rate limit.",
	}, []string{"reason"})
	globalRateSkipped = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "capture_global_rate_limiter_skipped", Help: "Events not checked by the global rate limiter.",
	}, []string{"reason"})
)

// GlobalRate is capture's per-(token, distinct_id) global rate limiter
// (rust/capture/src/global_rate_limiter.rs). A key over its budget is not
// refused: its events lose person processing and, on the main lane, go to
// the overflow topic (Policies.Apply, and the v1 handler).
type GlobalRate struct {
	l      *limiters.GlobalRateLimiter
	dryRun bool
	log    *slog.Logger
}

// NewGlobalRate wraps l. In dry run every verdict is evaluated and counted
// (capture_global_rate_limiter_dry_run, a warning) but never enforced.
func NewGlobalRate(l *limiters.GlobalRateLimiter, dryRun bool, log *slog.Logger) *GlobalRate {
	if log == nil {
		log = slog.Default()
	}
	return &GlobalRate{l: l, dryRun: dryRun, log: log}
}

// Run syncs the limiter with Redis until ctx ends.
func (g *GlobalRate) Run(ctx context.Context) error { return g.l.Run(ctx) }

// Close writes the counts still batched.
func (g *GlobalRate) Close() { g.l.Close() }

// IsLimited counts one event for key and reports whether it is over its
// limit. The custom threshold is resolved once: a key with one is judged
// only by it, any other by the default threshold, so exactly one check
// counts the event.
func (g *GlobalRate) IsLimited(key string) bool {
	r := g.l.CheckCustomLimit(key, 1, time.Time{})
	if r.Verdict == limiters.GlobalRateNotApplicable {
		r = g.l.CheckLimit(key, 1, time.Time{})
	}
	if !r.Limited() {
		return false
	}
	if g.dryRun {
		keyType := "global"
		if r.Custom {
			keyType = "custom"
		}
		globalRateDryRun.WithLabelValues(keyType).Inc()
		g.log.Warn("global rate limiter would have limited (dry run)",
			"key", key, "current_count", r.Count, "threshold", r.Threshold,
			"is_custom_limited", r.Custom, "dry_run", true)
		return false
	}
	return true
}

// GlobalRateKey is the limiter key of an event: token:distinct_id, the
// distinct_id cut to its first 128 characters.
func GlobalRateKey(token, distinctID string) string {
	n := 0
	for i := range distinctID {
		if n == maxDistinctIDChars {
			distinctID = distinctID[:i]
			break
		}
		n++
	}
	return token + ":" + distinctID
}

// HierarchicalThreshold is capture's custom-threshold resolver: the exact
// key, else its token (the part before the first ':'), so a token-level
// override covers every token:distinct_id of that token.
func HierarchicalThreshold(key string, custom map[string]uint64) (uint64, bool) {
	if v, ok := custom[key]; ok {
		return v, true
	}
	if token, _, ok := strings.Cut(key, ":"); ok {
		v, ok := custom[token]
		return v, ok
	}
	return 0, false
}

// ParseThresholdOverrides parses a `key=threshold,...` list
// (GLOBAL_RATE_LIMIT_*_OVERRIDES_CSV); malformed entries are logged and
// skipped, as in the reference.
func ParseThresholdOverrides(csv string, log *slog.Logger) map[string]uint64 {
	if log == nil {
		log = slog.Default()
	}
	out := map[string]uint64{}
	if csv == "" {
		return out
	}
	for _, elem := range strings.Split(csv, ",") {
		k, v, ok := strings.Cut(elem, "=")
		if !ok {
			log.Error("Global rate limiter: failed to split custom key-value pair", "input", elem)
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err != nil {
			log.Error("Global rate limiter: failed to parse custom key value", "key", k, "limit", v, "error", err)
			continue
		}
		out[strings.TrimSpace(k)] = n
	}
	return out
}

// globalRateTally gathers one request's global rate limit verdicts for the
// reference's metric and warning.
type globalRateTally struct {
	limited         int
	alreadyDisabled int
	ids             []string
	seen            map[string]struct{}
}

func (t *globalRateTally) add(distinctID string) {
	t.limited++
	if t.seen == nil {
		t.seen = map[string]struct{}{}
	}
	if _, ok := t.seen[distinctID]; !ok {
		t.seen[distinctID] = struct{}{}
		t.ids = append(t.ids, distinctID)
	}
}

func (t *globalRateTally) report(log *slog.Logger, token string) {
	if t.alreadyDisabled > 0 {
		globalRateSkipped.WithLabelValues("person_processing_already_disabled").Add(float64(t.alreadyDisabled))
	}
	if t.limited == 0 {
		return
	}
	globalRateLimitedEvents.WithLabelValues("global_rate_limit_token_distinctid").Add(float64(t.limited))
	preview := strings.Join(t.ids, ", ")
	if len(t.ids) > 10 {
		preview = strings.Join(t.ids[:10], ", ") + "..."
	}
	log.Warn("events rate limited by distinct_id -- person processing disabled",
		"token", token, "limited_event_count", t.limited,
		"distinct_id_count", len(t.ids), "distinct_ids", preview)
}
