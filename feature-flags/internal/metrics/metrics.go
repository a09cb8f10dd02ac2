// Package metrics declares the service's Prometheus metrics with the
// reference's names (registered on the default registry).
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Counters and histograms, named as in the Rust service.
var (
	RequestsTotal          = promauto.NewCounter(prometheus.CounterOpts{Name: "flags_requests_total", Help: "Flag evaluation requests."})
	RequestFaults          = promauto.NewCounter(prometheus.CounterOpts{Name: "flags_request_faults_total", Help: "Requests that failed."})
	RequestKludges         = promauto.NewCounterVec(prometheus.CounterOpts{Name: "flags_request_kludge_total", Help: "Decoding workarounds applied."}, []string{"type", "client_type"})
	EvaluationErrors       = promauto.NewCounterVec(prometheus.CounterOpts{Name: "flags_flag_evaluation_error_total", Help: "Per-flag evaluation errors."}, []string{"reason"})
	FlagCacheHits          = promauto.NewCounter(prometheus.CounterOpts{Name: "flags_flag_cache_hit_total", Help: "Flag definitions served from the HyperCache."})
	FlagCacheErrors        = promauto.NewCounter(prometheus.CounterOpts{Name: "flags_flag_cache_errors_total", Help: "HyperCache read errors."})
	TeamCacheHits          = promauto.NewCounter(prometheus.CounterOpts{Name: "flags_team_cache_hit_total", Help: "Teams served from cache."})
	TeamCacheErrors        = promauto.NewCounter(prometheus.CounterOpts{Name: "flags_team_cache_errors_total", Help: "Team cache errors."})
	DBTeamReads            = promauto.NewCounter(prometheus.CounterOpts{Name: "flags_db_team_reads_total", Help: "Teams read from Postgres."})
	TokenValidationErrors  = promauto.NewCounter(prometheus.CounterOpts{Name: "flags_token_validation_errors_total", Help: "Unknown or missing tokens."})
	DBFlagReads            = promauto.NewCounter(prometheus.CounterOpts{Name: "flags_db_flag_reads_total", Help: "Flag sets read from Postgres."})
	DBCohortReads          = promauto.NewCounter(prometheus.CounterOpts{Name: "flags_db_cohort_reads_total", Help: "Cohort sets read from Postgres."})
	DBCohortErrors         = promauto.NewCounter(prometheus.CounterOpts{Name: "flags_db_cohort_errors_total", Help: "Cohort read errors."})
	PropertiesDBReads      = promauto.NewCounter(prometheus.CounterOpts{Name: "flags_db_person_and_group_properties_reads_total", Help: "Person/group property fetches."})
	HashKeyWrites          = promauto.NewCounterVec(prometheus.CounterOpts{Name: "flags_flag_hash_key_writes_total", Help: "Experience continuity override writes."}, []string{"successful_write"})
	HashKeyRetries         = promauto.NewCounterVec(prometheus.CounterOpts{Name: "flags_hash_key_retries_total", Help: "Experience continuity retries."}, []string{"team_id", "operation"})
	EECRequests            = promauto.NewCounter(prometheus.CounterOpts{Name: "flags_experience_continuity_requests_total", Help: "Requests that needed hash-key overrides."})
	DefinitionsRequests    = promauto.NewCounter(prometheus.CounterOpts{Name: "flags_flag_definitions_requests_total", Help: "Local evaluation definition requests."})
	DefinitionsRateLimited = promauto.NewCounter(prometheus.CounterOpts{Name: "flags_flag_definitions_rate_limited_total", Help: "Definition requests refused by the rate limiter."})
	DatabaseErrors         = promauto.NewCounterVec(prometheus.CounterOpts{Name: "flags_database_error_total", Help: "Database errors."}, []string{"error_type", "operation", "retried", "timeout_type"})
	HypercacheGets         = promauto.NewCounterVec(prometheus.CounterOpts{Name: "posthog_hypercache_get_from_cache", Help: "HyperCache reads by outcome."}, []string{"result", "namespace", "value"})

	RequestDuration   = promauto.NewHistogram(prometheus.HistogramOpts{Name: "flags_requests_duration_ms", Help: "Request time in milliseconds.", Buckets: []float64{0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000}})
	EvaluationTime    = promauto.NewHistogram(prometheus.HistogramOpts{Name: "flags_evaluation_time", Help: "Time to evaluate all flags of a request, seconds.", Buckets: prometheus.ExponentialBuckets(0.00005, 2, 16)})
	PropertiesFetch   = promauto.NewHistogramVec(prometheus.HistogramOpts{Name: "flags_properties_db_fetch_time", Help: "Person/group property fetch time, seconds.", Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}, []string{"outcome"})
	HashKeyProcessing = promauto.NewHistogram(prometheus.HistogramOpts{Name: "flags_hash_key_processing_time", Help: "Experience continuity processing time, seconds.", Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)})
	DefinitionQuery   = promauto.NewHistogram(prometheus.HistogramOpts{Name: "flags_definition_query_time", Help: "Flag definition load time, seconds.", Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)})
)
