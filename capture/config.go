// Package capture is PostHog's event capture service rebuilt in Go: the
// HTTP edge that decodes SDK payloads, applies drop/limit policies and writes
// one CapturedEvent per event to Kafka, byte-compatible with the Rust
// reference. Config is read from the reference's env vars; Run serves it.
package capture

import (
	"fmt"
	"os"
	"strings"

	"github.com/hoggo/capture/internal/sink"
	"github.com/hoggo/common/config"
	"github.com/hoggo/common/kafka"
)

// Config is capture's configuration; env names and defaults are the
// reference's (capture spec §3).
type Config struct {
	Address string `env:"ADDRESS" envDefault:"127.0.0.1:3000"`

	RedisURL                 string `env:"REDIS_URL" envDefault:"redis://127.0.0.1:6379/0"`
	RedisResponseTimeoutMs   int    `env:"REDIS_RESPONSE_TIMEOUT_MS" envDefault:"100"`
	RedisConnectionTimeoutMs int    `env:"REDIS_CONNECTION_TIMEOUT_MS" envDefault:"5000"`
	RedisKeyPrefix           string `env:"REDIS_KEY_PREFIX"`

	// CaptureMode is events or recordings (case-insensitive, trimmed).
	CaptureMode string `env:"CAPTURE_MODE" envDefault:"events"`
	PrintSink   bool   `env:"PRINT_SINK" envDefault:"false"`
	// NoopSink drops events after processing (counted as ingested); like
	// the print sink, no producer is started and liveness reports no sink.
	NoopSink         bool   `env:"NOOP_SINK" envDefault:"false"`
	ExportPrometheus bool   `env:"EXPORT_PROMETHEUS" envDefault:"true"`
	IsMirrorDeploy   bool   `env:"IS_MIRROR_DEPLOY" envDefault:"false"`
	LogLevel         string `env:"LOG_LEVEL" envDefault:"info"`

	OverflowEnabled                         bool   `env:"OVERFLOW_ENABLED" envDefault:"false"`
	OverflowPerSecondLimit                  int    `env:"OVERFLOW_PER_SECOND_LIMIT" envDefault:"100"`
	OverflowBurstLimit                      int    `env:"OVERFLOW_BURST_LIMIT" envDefault:"1000"`
	OverflowPreservePartitionLocality       bool   `env:"OVERFLOW_PRESERVE_PARTITION_LOCALITY" envDefault:"false"`
	IngestionForceOverflowByTokenDistinctID string `env:"INGESTION_FORCE_OVERFLOW_BY_TOKEN_DISTINCT_ID"`
	DropEventsByTokenDistinctID             string `env:"DROP_EVENTS_BY_TOKEN_DISTINCT_ID"`

	EnableHistoricalRerouting        bool `env:"ENABLE_HISTORICAL_REROUTING" envDefault:"false"`
	HistoricalReroutingThresholdDays int  `env:"HISTORICAL_REROUTING_THRESHOLD_DAYS" envDefault:"1"`

	RequestTimeoutSeconds    int `env:"REQUEST_TIMEOUT_SECONDS"`
	HTTP1HeaderReadTimeoutMs int `env:"HTTP1_HEADER_READ_TIMEOUT_MS"`
	BodyChunkReadTimeoutMs   int `env:"BODY_CHUNK_READ_TIMEOUT_MS"`
	BodyReadChunkSizeKB      int `env:"BODY_READ_CHUNK_SIZE_KB" envDefault:"256"`
	ConcurrencyLimit         int `env:"CONCURRENCY_LIMIT"`

	EventRestrictionsEnabled             bool   `env:"EVENT_RESTRICTIONS_ENABLED" envDefault:"false"`
	EventRestrictionsRedisURL            string `env:"EVENT_RESTRICTIONS_REDIS_URL"`
	EventRestrictionsRefreshIntervalSecs int    `env:"EVENT_RESTRICTIONS_REFRESH_INTERVAL_SECS" envDefault:"30"`
	EventRestrictionsFailOpenAfterSecs   int    `env:"EVENT_RESTRICTIONS_FAIL_OPEN_AFTER_SECS" envDefault:"300"`

	// Global rate limiter (per token:distinct_id), env names and defaults of
	// the reference's config.rs. Off by default: nothing is built and no
	// Redis call is made unless GLOBAL_RATE_LIMIT_ENABLED is set.
	GlobalRateLimitEnabled                          bool   `env:"GLOBAL_RATE_LIMIT_ENABLED" envDefault:"false"`
	GlobalRateLimitDryRun                           bool   `env:"GLOBAL_RATE_LIMIT_DRY_RUN" envDefault:"false"`
	GlobalRateLimitWindowIntervalSecs               int    `env:"GLOBAL_RATE_LIMIT_WINDOW_INTERVAL_SECS" envDefault:"60"`
	GlobalRateLimitSyncIntervalSecs                 int    `env:"GLOBAL_RATE_LIMIT_SYNC_INTERVAL_SECS" envDefault:"15"`
	GlobalRateLimitTickIntervalMs                   int    `env:"GLOBAL_RATE_LIMIT_TICK_INTERVAL_MS" envDefault:"1000"`
	GlobalRateLimitTokenDistinctIDThreshold         uint64 `env:"GLOBAL_RATE_LIMIT_TOKEN_DISTINCTID_THRESHOLD" envDefault:"300000"`
	GlobalRateLimitTokenDistinctIDOverridesCSV      string `env:"GLOBAL_RATE_LIMIT_TOKEN_DISTINCTID_OVERRIDES_CSV"`
	GlobalRateLimitTokenDistinctIDLocalCacheEntries int    `env:"GLOBAL_RATE_LIMIT_TOKEN_DISTINCTID_LOCAL_CACHE_MAX_ENTRIES" envDefault:"5000000"`
	GlobalRateLimitMinSyncFloor                     uint64 `env:"GLOBAL_RATE_LIMIT_MIN_SYNC_FLOOR" envDefault:"10"`
	GlobalRateLimitMaxSyncKeysPerTick               int    `env:"GLOBAL_RATE_LIMIT_MAX_SYNC_KEYS_PER_TICK" envDefault:"20000"`
	GlobalRateLimitMaxKeysPerCommand                int    `env:"GLOBAL_RATE_LIMIT_MAX_KEYS_PER_COMMAND" envDefault:"2000"`
	GlobalRateLimitMaxConcurrentCommands            int    `env:"GLOBAL_RATE_LIMIT_MAX_CONCURRENT_COMMANDS" envDefault:"4"`
	GlobalRateLimitMaxWriteBatchEntries             int    `env:"GLOBAL_RATE_LIMIT_MAX_WRITE_BATCH_ENTRIES" envDefault:"200000"`
	GlobalRateLimitMaxPendingSyncEntries            int    `env:"GLOBAL_RATE_LIMIT_MAX_PENDING_SYNC_ENTRIES" envDefault:"200000"`
	GlobalRateLimitLocalCacheTTLSecs                int    `env:"GLOBAL_RATE_LIMIT_LOCAL_CACHE_TTL_SECS" envDefault:"600"`
	GlobalRateLimitLocalCacheIdleTimeoutSecs        int    `env:"GLOBAL_RATE_LIMIT_LOCAL_CACHE_IDLE_TIMEOUT_SECS" envDefault:"300"`
	GlobalRateLimitReadTimeoutMs                    int    `env:"GLOBAL_RATE_LIMIT_READ_TIMEOUT_MS" envDefault:"250"`
	GlobalRateLimitWriteTimeoutMs                   int    `env:"GLOBAL_RATE_LIMIT_WRITE_TIMEOUT_MS" envDefault:"250"`
	// GlobalRateLimitMaxReadOutageSecs: unset is the window, 0 disables.
	GlobalRateLimitMaxReadOutageSecs *int `env:"GLOBAL_RATE_LIMIT_MAX_READ_OUTAGE_SECS"`
	// The token-only limiter is configured but, as in the reference, not
	// wired to any request path.
	GlobalRateLimitTokenThreshold         uint64 `env:"GLOBAL_RATE_LIMIT_TOKEN_THRESHOLD" envDefault:"5000000"`
	GlobalRateLimitTokenOverridesCSV      string `env:"GLOBAL_RATE_LIMIT_TOKEN_OVERRIDES_CSV"`
	GlobalRateLimitTokenLocalCacheEntries int    `env:"GLOBAL_RATE_LIMIT_TOKEN_LOCAL_CACHE_MAX_ENTRIES" envDefault:"300000"`
	// A dedicated Redis (else REDIS_URL's client), optionally with a
	// replica for reads; its timeouts default to REDIS_*_TIMEOUT_MS.
	GlobalRateLimitRedisURL                 string `env:"GLOBAL_RATE_LIMIT_REDIS_URL"`
	GlobalRateLimitRedisReaderURL           string `env:"GLOBAL_RATE_LIMIT_REDIS_READER_URL"`
	GlobalRateLimitRedisResponseTimeoutMs   *int   `env:"GLOBAL_RATE_LIMIT_REDIS_RESPONSE_TIMEOUT_MS"`
	GlobalRateLimitRedisConnectionTimeoutMs *int   `env:"GLOBAL_RATE_LIMIT_REDIS_CONNECTION_TIMEOUT_MS"`
	// Dynamic thresholds: a JSON {key: threshold} Django writes to this key
	// on EVENT_RESTRICTIONS_REDIS_URL, replacing the CSV overrides.
	GlobalRateLimitCustomThresholdKey         string `env:"GLOBAL_RATE_LIMIT_CUSTOM_THRESHOLD_KEY"`
	GlobalRateLimitCustomThresholdRefreshSecs int    `env:"GLOBAL_RATE_LIMIT_CUSTOM_THRESHOLD_REFRESH_SECS" envDefault:"60"`

	// v1 analytics endpoint (/i/v1/analytics/events): registered only when
	// CAPTURE_V1_SINKS names at least one sink; the first is written to.
	CaptureV1Sinks                    string `env:"CAPTURE_V1_SINKS"`
	CaptureV1MaxCompressedBodyBytes   int    `env:"CAPTURE_V1_MAX_COMPRESSED_BODY_BYTES" envDefault:"10485760"`
	CaptureV1MaxDecompressedBodyBytes int    `env:"CAPTURE_V1_MAX_DECOMPRESSED_BODY_BYTES" envDefault:"52428800"`
	// CaptureV1SinkSettings are the CAPTURE_V1_SINK_<NAME>_* variables of
	// the default sink, keyed without that prefix (KAFKA_HOSTS,
	// KAFKA_TOPIC_MAIN, PRODUCE_TIMEOUT_MS, ...). LoadConfig fills it.
	CaptureV1SinkSettings map[string]string `env:"-"`

	Kafka kafka.Config
	// Capture's producer defaults differ from the shared ones.
	KafkaProducerMessageMaxBytes int `env:"KAFKA_PRODUCER_MESSAGE_MAX_BYTES" envDefault:"1000000"`
	KafkaProducerMaxRetries      int `env:"KAFKA_PRODUCER_MAX_RETRIES" envDefault:"2"`
	// KafkaReplayEnvelopeCompression wraps replay record values: "none" or
	// "lz4" (4-byte LE size + LZ4 block, content-encoding: lz4 header).
	KafkaReplayEnvelopeCompression string `env:"KAFKA_REPLAY_ENVELOPE_COMPRESSION" envDefault:"none"`

	KafkaTopic                       string `env:"KAFKA_TOPIC" envDefault:"events_plugin_ingestion"`
	KafkaOverflowTopic               string `env:"KAFKA_OVERFLOW_TOPIC" envDefault:"events_plugin_ingestion_overflow"`
	KafkaHistoricalTopic             string `env:"KAFKA_HISTORICAL_TOPIC" envDefault:"events_plugin_ingestion_historical"`
	KafkaClientIngestionWarningTopic string `env:"KAFKA_CLIENT_INGESTION_WARNING_TOPIC" envDefault:"ingestion-clientwarnings-main-1"`
	KafkaErrorTrackingTopic          string `env:"KAFKA_ERROR_TRACKING_TOPIC"`
	KafkaExceptionsTopic             string `env:"KAFKA_EXCEPTIONS_TOPIC"`
	KafkaHeatmapsTopic               string `env:"KAFKA_HEATMAPS_TOPIC" envDefault:"heatmaps_ingestion"`
	KafkaReplayOverflowTopic         string `env:"KAFKA_REPLAY_OVERFLOW_TOPIC" envDefault:"session_recording_snapshot_item_overflow"`
	KafkaDLQTopic                    string `env:"KAFKA_DLQ_TOPIC" envDefault:"events_plugin_ingestion_dlq"`
}

// Topic defaults that depend on other settings.
const (
	defaultErrorTrackingTopic = "error_tracking_events"
	defaultReplayTopic        = "session_recording_snapshot_item_events"
)

// LoadConfig reads Config from the environment.
func LoadConfig() (Config, error) {
	cfg, err := config.Parse[Config]()
	if err != nil {
		return cfg, fmt.Errorf("capture config: %w", err)
	}
	if name := cfg.v1SinkName(); name != "" {
		prefix := "CAPTURE_V1_SINK_" + strings.ToUpper(name) + "_"
		cfg.CaptureV1SinkSettings = map[string]string{}
		for _, kv := range os.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			if rest, ok := strings.CutPrefix(k, prefix); ok {
				cfg.CaptureV1SinkSettings[rest] = v
			}
		}
	}
	return cfg, cfg.validate()
}

// DefaultConfig returns the configuration an empty environment yields.
func DefaultConfig() Config {
	cfg, err := config.ParseFrom[Config](map[string]string{})
	if err != nil {
		panic(fmt.Sprintf("default capture config: %v", err)) // tags are static
	}
	return cfg
}

func (c *Config) validate() error {
	switch c.mode() {
	case "events", "recordings":
	default:
		return fmt.Errorf("CAPTURE_MODE: unsupported mode %q (want events or recordings)", c.CaptureMode)
	}
	if _, err := sink.ParseEnvelope(c.KafkaReplayEnvelopeCompression); err != nil {
		return fmt.Errorf("KAFKA_REPLAY_ENVELOPE_COMPRESSION: %w", err)
	}
	return nil
}

// v1SinkName is the first CAPTURE_V1_SINKS entry, "" when v1 is off.
func (c *Config) v1SinkName() string {
	for _, n := range strings.Split(c.CaptureV1Sinks, ",") {
		if n = strings.TrimSpace(n); n != "" {
			return n
		}
	}
	return ""
}

func (c *Config) mode() string { return strings.ToLower(strings.TrimSpace(c.CaptureMode)) }

// exceptionsTopic honours the older KAFKA_EXCEPTIONS_TOPIC name.
func (c *Config) exceptionsTopic() string {
	switch {
	case c.KafkaErrorTrackingTopic != "":
		return c.KafkaErrorTrackingTopic
	case c.KafkaExceptionsTopic != "":
		return c.KafkaExceptionsTopic
	}
	return defaultErrorTrackingTopic
}
