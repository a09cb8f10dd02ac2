package limits

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/hoggo/capture/internal/event"
	"github.com/hoggo/capture/internal/sink"
	"github.com/hoggo/common/limiters"
)

// Pipeline names used by event restrictions.
const (
	PipelineAnalytics  = "analytics"
	PipelineRecordings = "session_recordings"
)

// Policies are the per-event drop/limit policies applied after processing;
// nil members are disabled. The v0 and v1 handlers share them.
type Policies struct {
	Quota        *Quota
	Dropper      *limiters.TokenDropper
	Overflow     *limiters.OverflowLimiter
	Restrictions *Restrictions
	// GlobalRate is the per-(token, distinct_id) global rate limiter
	// (GLOBAL_RATE_LIMIT_ENABLED).
	GlobalRate *GlobalRate
	// ReplayOverflow holds session ids routed to the replay overflow topic
	// (the Redis set @posthog/capture-overflow/replay).
	ReplayOverflow LimitedSet
}

var (
	reroutedOverflow = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "capture_events_rerouted_overflow", Help: "Events sent to the overflow topic, by reason.",
	}, []string{"reason"})
	partitionKeyCapacityExceeded = promauto.NewCounter(prometheus.CounterOpts{
		Name: "capture_partition_key_capacity_exceeded_total",
		Help: "Events whose partition key exceeded its rate and went to the overflow topic.",
	})
	reroutedHistorical = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "capture_events_rerouted_historical", Help: "Events sent to the historical topic, by reason.",
	}, []string{"reason"})
)

// Apply turns processed events into sink messages: token dropper, event
// restrictions, the global rate limiter, then the overflow limiter
// (AnalyticsMain only), in the reference's order. Dropped events are left
// out.
func (p *Policies) Apply(processed []event.Processed) []sink.Message {
	msgs := make([]sink.Message, 0, len(processed))
	var grl globalRateTally
	if p != nil && p.GlobalRate != nil && len(processed) > 0 {
		defer grl.report(p.GlobalRate.log, processed[0].Event.Token)
	}
	for i := range processed {
		pe := &processed[i]
		if pe.RerouteReason != "" {
			reroutedHistorical.WithLabelValues(pe.RerouteReason).Inc()
		}
		m := sink.Message{Event: pe.Event, DataType: pe.DataType}
		if p == nil {
			msgs = append(msgs, m)
			continue
		}
		if p.Dropper != nil && p.Dropper.ShouldDrop(m.Event.Token, m.Event.DistinctID) {
			sink.Dropped.WithLabelValues("token_dropper").Inc()
			continue
		}
		// Restrictions are scoped to the analytics pipeline: exceptions,
		// heatmaps and warnings have their own consumers and scopes.
		analytics := m.DataType == event.AnalyticsMain || m.DataType == event.AnalyticsHistorical
		if p.Restrictions != nil && analytics {
			eff := p.Restrictions.Check(m.Event.Token, PipelineAnalytics, Subject{
				DistinctID: m.Event.DistinctID,
				SessionID:  pe.SessionID,
				EventName:  m.Event.Event,
				UUID:       m.Event.UUID.String(),
			})
			if eff.Drop {
				sink.Dropped.WithLabelValues("event_restriction_drop").Inc()
				continue
			}
			m.ForceOverflow = eff.ForceOverflow
			m.SkipPersonProcessing = eff.SkipPersonProcessing
			m.RedirectDLQ = eff.RedirectDLQ
		}
		if p.GlobalRate != nil {
			// An over-budget token:distinct_id keeps flowing without person
			// processing, its main-lane events spread over the overflow
			// topic. Events whose person processing is already off have
			// nothing left to lose and are not counted.
			switch {
			case m.SkipPersonProcessing:
				grl.alreadyDisabled++
			case p.GlobalRate.IsLimited(GlobalRateKey(m.Event.Token, m.Event.DistinctID)):
				m.SkipPersonProcessing = true
				if m.DataType == event.AnalyticsMain {
					m.Overflow = sink.OverflowForced
				}
				grl.add(m.Event.DistinctID)
			}
		}
		if p.Overflow != nil && m.DataType == event.AnalyticsMain && m.Overflow == sink.OverflowNone && !m.ForceOverflow && !m.RedirectDLQ {
			switch p.Overflow.Check(m.Event.Key()) {
			case limiters.ForceLimited:
				m.Overflow = sink.OverflowForced
				reroutedOverflow.WithLabelValues("force_limited").Inc()
			case limiters.RateLimited:
				m.Overflow = sink.OverflowRateLimited
				reroutedOverflow.WithLabelValues("rate_limited").Inc()
				partitionKeyCapacityExceeded.Inc()
			}
		}
		msgs = append(msgs, m)
	}
	return msgs
}
