// Package limits holds capture's drop and limit policies: billing quotas
// with scoped resources, the token dropper, the overflow limiter and event
// restrictions (capture spec §4.7). Every Redis-backed policy fails open.
package limits

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/hoggo/capture/internal/payload"
)

// LimitedSet answers whether a token (or session id) is limited; the common
// limiters' RedisLimiter implements it from a cached Redis sorted set.
type LimitedSet interface {
	IsLimited(member string) bool
}

var quotaExceeded = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "capture_quota_limit_exceeded", Help: "Requests hitting a billing quota, by resource.",
}, []string{"resource"})

// Scoped is a billing quota for a subset of events (exceptions, surveys, LLM events).
type Scoped struct {
	Resource string
	Set      LimitedSet
	Matches  func(ev *payload.RawEvent) bool
}

// Quota is CaptureQuotaLimiter: scoped quotas first, then the mode's global one.
type Quota struct {
	Resource string // "events" or "recordings"
	Global   LimitedSet
	Scoped   []Scoped
	// OnDrop counts dropped events per cause ("<resource>_over_quota").
	OnDrop func(cause string, n int)
}

// ScopedDefaults returns the reference's scoped quotas for the sets given
// (nil sets are skipped).
func ScopedDefaults(exceptions, surveys, llm LimitedSet) []Scoped {
	var out []Scoped
	if exceptions != nil {
		out = append(out, Scoped{"exceptions", exceptions, func(ev *payload.RawEvent) bool { return ev.Event == "$exception" }})
	}
	if surveys != nil {
		out = append(out, Scoped{"surveys", surveys, isSurveyEvent})
	}
	if llm != nil {
		out = append(out, Scoped{"llm_events", llm, func(ev *payload.RawEvent) bool { return strings.HasPrefix(ev.Event, "$ai_") }})
	}
	return out
}

func isSurveyEvent(ev *payload.RawEvent) bool {
	switch ev.Event {
	case "survey sent", "survey shown", "survey dismissed":
		return !ev.Props.ProductTourID
	}
	return false
}

// CheckAndFilter removes the events token may not send. It returns the kept
// events; an empty result means the whole request hit a billing limit (the
// caller answers 200 on analytics routes).
func (q *Quota) CheckAndFilter(token string, events []payload.RawEvent) []payload.RawEvent {
	if q == nil {
		return events
	}
	// claimed[i]: a non-limited scoped quota covers event i, so it survives
	// a global limit.
	var claimed []bool
	for _, s := range q.Scoped {
		limited := s.Set.IsLimited(token)
		if limited {
			quotaExceeded.WithLabelValues(s.Resource).Inc()
		}
		kept := events[:0]
		dropped := 0
		for i := range events {
			if !s.Matches(&events[i]) {
				kept = append(kept, events[i])
				continue
			}
			if limited {
				dropped++
				continue
			}
			kept = append(kept, events[i])
		}
		if dropped > 0 {
			q.drop(s.Resource+"_over_quota", dropped)
			// Recompute claims below over the shrunk slice.
		}
		events = kept
	}
	if q.Global == nil || !q.Global.IsLimited(token) {
		return events
	}
	quotaExceeded.WithLabelValues(q.Resource).Inc()
	claimed = make([]bool, len(events))
	for _, s := range q.Scoped {
		if s.Set.IsLimited(token) {
			continue
		}
		for i := range events {
			if s.Matches(&events[i]) {
				claimed[i] = true
			}
		}
	}
	kept := events[:0]
	for i := range events {
		if claimed[i] {
			kept = append(kept, events[i])
		}
	}
	if n := len(events) - len(kept); n > 0 {
		q.drop(q.Resource+"_over_quota", n)
	}
	return kept
}

func (q *Quota) drop(cause string, n int) {
	if q.OnDrop != nil {
		q.OnDrop(cause, n)
	}
}
