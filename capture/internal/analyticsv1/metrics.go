package analyticsv1

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics with the reference's names (capture-v1 spec §6).
var (
	analyticsErrors = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "capture_v1_analytics_error", Help: "v1 requests answered with an error.",
	}, []string{"error", "level", "path", "status_code"})
	analyticsWarnings = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "capture_v1_analytics_warning", Help: "v1 requests accepted with a warning (e.g. unusable PostHog-Sdk-Info).",
	}, []string{"reason", "path"})
	responseTime = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name: "capture_v1_response_time_seconds", Help: "v1 request latency.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	}, []string{"status", "path"})
	bodyReadTimeouts = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "capture_v1_body_read_timeout_total", Help: "v1 bodies whose client stalled between chunks.",
	}, []string{"path"})
	decompressionErrors = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "capture_v1_decompression_errors_total", Help: "v1 bodies that failed to decompress.",
	}, []string{"encoding"})
	payloadSize = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name: "capture_v1_payload_size_bytes", Help: "v1 body size before and after decompression.",
		Buckets: prometheus.ExponentialBuckets(256, 4, 12),
	}, []string{"stage", "encoding"})
	eventBatchSize = promauto.NewHistogram(prometheus.HistogramOpts{
		Name: "capture_v1_event_batch_size", Help: "Events per v1 request.",
		Buckets: []float64{1, 2, 5, 10, 25, 50, 100, 250, 500, 1000},
	})
	clockSkew = promauto.NewHistogram(prometheus.HistogramOpts{
		Name: "capture_v1_clock_skew_seconds", Help: "|PostHog-Request-Timestamp - receive time| per request.",
		Buckets: []float64{0.1, 0.5, 1, 5, 30, 60, 300, 3600, 86400},
	})
	processingDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name: "capture_v1_processing_duration_seconds", Help: "v1 pipeline time after the body was read.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 2, 18),
	}, []string{"path"})
	batchOutcomes = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "capture_v1_batch_outcomes", Help: "v1 batches by overall outcome.",
	}, []string{"outcome", "path"})
	parsedEvents = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "capture_v1_parsed_events", Help: "v1 events after per-event validation.",
	}, []string{"result", "error"})
	eventsDropped = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "capture_v1_events_dropped", Help: "v1 events not published, by reason and stage.",
	}, []string{"reason", "stage"})
	quotaLimited = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "capture_v1_events_quota_limited", Help: "v1 events dropped by a billing quota.",
	}, []string{"resource"})
	eventsRestricted = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "capture_v1_events_restricted", Help: "v1 events changed by an event restriction.",
	}, []string{"action"})
	reroutedHistorical = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "capture_v1_events_rerouted_historical", Help: "v1 events sent to the historical topic.",
	}, []string{"reason"})
	reroutedOverflow = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "capture_v1_events_rerouted_overflow", Help: "v1 events sent to the overflow topic.",
	}, []string{"reason"})
	rateLimiter = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "capture_v1_rate_limiter", Help: "v1 global rate limiter outcomes (allowed events, limited distinct_ids).",
	}, []string{"limiter", "outcome"})
	adjustments = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "capture_v1_event_adjustments_applied", Help: "v1 events changed by the server (clamped timestamp, person processing off).",
	}, []string{"reason"})
	serializeDuration = promauto.NewHistogram(prometheus.HistogramOpts{
		Name: "capture_v1_serialize_duration_seconds", Help: "Time to serialise the publishable events of a batch.",
		Buckets: prometheus.ExponentialBuckets(0.00001, 2, 16),
	})
	serializeFailed = promauto.NewCounter(prometheus.CounterOpts{
		Name: "capture_v1_serialize_failed_total", Help: "v1 events that could not be serialised.",
	})
	kafkaPublish = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "capture_v1_kafka_publish_total", Help: "v1 Kafka publish results per event.",
	}, []string{"mode", "cluster", "outcome", "path", "attempt", "destination"})
	kafkaAck = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name: "capture_v1_kafka_ack_duration_seconds", Help: "Time from enqueue to the last ack of a v1 batch.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
	}, []string{"mode", "cluster", "path", "attempt"})
)

// attemptLabel caps PostHog-Attempt at "6+" to bound the label's values.
func attemptLabel(a uint64) string {
	if a >= 6 {
		return "6+"
	}
	return string(rune('0' + a))
}
