package analyticsv1

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/hoggo/common/kafka"
)

// Config is the deployment-level v1 configuration (capture-v1 spec §3).
type Config struct {
	// Sinks is CAPTURE_V1_SINKS: comma-separated sink names; the first is
	// the write sink. Empty disables v1 (routes not registered → 404).
	Sinks                    string `env:"CAPTURE_V1_SINKS"`
	MaxCompressedBodyBytes   int    `env:"CAPTURE_V1_MAX_COMPRESSED_BODY_BYTES" envDefault:"10485760"`
	MaxDecompressedBodyBytes int    `env:"CAPTURE_V1_MAX_DECOMPRESSED_BODY_BYTES" envDefault:"52428800"`
	// ScatterGatherMinBatch is accepted for compatibility; serialisation is
	// sequential (fast enough that fan-out would cost more than it saves).
	ScatterGatherMinBatch int `env:"CAPTURE_V1_SCATTER_GATHER_MIN_BATCH" envDefault:"8"`
}

// SinkNames are the configured sink names, trimmed and lower-cased.
func (c Config) SinkNames() []string {
	var out []string
	for _, n := range strings.Split(c.Sinks, ",") {
		if n = strings.ToLower(strings.TrimSpace(n)); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// SinkConfig is one Kafka sink, read from CAPTURE_V1_SINK_<NAME>_* (keys
// after the prefix as in the reference).
type SinkConfig struct {
	ProduceTimeoutMs int `env:"PRODUCE_TIMEOUT_MS" envDefault:"30000"`

	KafkaHosts                     string `env:"KAFKA_HOSTS,required"`
	KafkaTLS                       bool   `env:"KAFKA_TLS" envDefault:"false"`
	KafkaClientID                  string `env:"KAFKA_CLIENT_ID"`
	KafkaLingerMs                  int    `env:"KAFKA_LINGER_MS" envDefault:"20"`
	KafkaQueueMiB                  int    `env:"KAFKA_QUEUE_MIB" envDefault:"400"`
	KafkaMessageTimeoutMs          int    `env:"KAFKA_MESSAGE_TIMEOUT_MS" envDefault:"30000"`
	KafkaMessageMaxBytes           int    `env:"KAFKA_MESSAGE_MAX_BYTES" envDefault:"1000000"`
	KafkaCompressionCodec          string `env:"KAFKA_COMPRESSION_CODEC" envDefault:"lz4"`
	KafkaAcks                      string `env:"KAFKA_ACKS" envDefault:"all"`
	KafkaEnableIdempotence         bool   `env:"KAFKA_ENABLE_IDEMPOTENCE" envDefault:"false"`
	KafkaBatchSize                 int    `env:"KAFKA_BATCH_SIZE" envDefault:"1000000"`
	KafkaMetadataRefreshIntervalMs int    `env:"KAFKA_METADATA_REFRESH_INTERVAL_MS" envDefault:"5000"`
	KafkaPartitioner               string `env:"KAFKA_PARTITIONER" envDefault:"murmur2_random"`
	KafkaMaxRetries                int    `env:"KAFKA_MAX_RETRIES" envDefault:"4"`
	KafkaQueueBufferingMaxMessages int    `env:"KAFKA_QUEUE_BUFFERING_MAX_MESSAGES" envDefault:"100000"`

	TopicMain                   string `env:"KAFKA_TOPIC_MAIN"`
	TopicHistorical             string `env:"KAFKA_TOPIC_HISTORICAL"`
	TopicOverflow               string `env:"KAFKA_TOPIC_OVERFLOW"`
	TopicDLQ                    string `env:"KAFKA_TOPIC_DLQ"`
	TopicException              string `env:"KAFKA_TOPIC_EXCEPTION"`
	TopicHeatmap                string `env:"KAFKA_TOPIC_HEATMAP"`
	TopicClientIngestionWarning string `env:"KAFKA_TOPIC_CLIENT_INGESTION_WARNING"`
}

// SinkPrefix is the env prefix of sink name.
func SinkPrefix(name string) string { return "CAPTURE_V1_SINK_" + strings.ToUpper(name) + "_" }

// LoadConfig reads Config and the write sink's SinkConfig from environ
// (nil = the process environment). ok is false when no sink is configured.
func LoadConfig(environ map[string]string) (cfg Config, sink SinkConfig, ok bool, err error) {
	opts := env.Options{Environment: environ}
	if err := env.ParseWithOptions(&cfg, opts); err != nil {
		return cfg, sink, false, fmt.Errorf("capture v1 config: %w", err)
	}
	names := cfg.SinkNames()
	if len(names) == 0 {
		return cfg, sink, false, nil
	}
	opts.Prefix = SinkPrefix(names[0])
	if err := env.ParseWithOptions(&sink, opts); err != nil {
		return cfg, sink, false, fmt.Errorf("capture v1 sink %s: %w", names[0], err)
	}
	return cfg, sink, true, nil
}

// Validate checks the reference's boot rules: the DLQ topic always, the
// analytics topics in events and import modes, a produce timeout no
// shorter than the message timeout.
func (s SinkConfig) Validate(prefix string) error {
	var errs []error
	required := map[string]string{
		"KAFKA_TOPIC_DLQ": s.TopicDLQ, "KAFKA_TOPIC_MAIN": s.TopicMain, "KAFKA_TOPIC_HISTORICAL": s.TopicHistorical,
		"KAFKA_TOPIC_OVERFLOW": s.TopicOverflow, "KAFKA_TOPIC_EXCEPTION": s.TopicException,
		"KAFKA_TOPIC_HEATMAP": s.TopicHeatmap, "KAFKA_TOPIC_CLIENT_INGESTION_WARNING": s.TopicClientIngestionWarning,
	}
	for _, k := range []string{"KAFKA_TOPIC_MAIN", "KAFKA_TOPIC_HISTORICAL", "KAFKA_TOPIC_OVERFLOW", "KAFKA_TOPIC_DLQ",
		"KAFKA_TOPIC_EXCEPTION", "KAFKA_TOPIC_HEATMAP", "KAFKA_TOPIC_CLIENT_INGESTION_WARNING"} {
		if strings.TrimSpace(required[k]) == "" {
			errs = append(errs, fmt.Errorf("%s%s is required", prefix, k))
		}
	}
	if s.ProduceTimeoutMs < s.KafkaMessageTimeoutMs {
		errs = append(errs, fmt.Errorf("%sPRODUCE_TIMEOUT_MS (%d) must be >= %sKAFKA_MESSAGE_TIMEOUT_MS (%d)",
			prefix, s.ProduceTimeoutMs, prefix, s.KafkaMessageTimeoutMs))
	}
	if s.KafkaQueueMiB <= 0 {
		errs = append(errs, fmt.Errorf("%sKAFKA_QUEUE_MIB must be > 0", prefix))
	}
	return errors.Join(errs...)
}

// Kafka maps the sink's settings onto the shared producer config.
func (s SinkConfig) Kafka() kafka.Config {
	cfg := kafka.DefaultConfig()
	cfg.Hosts = s.KafkaHosts
	cfg.TLS = s.KafkaTLS
	cfg.ClientID = s.KafkaClientID
	cfg.ProducerLingerMs = s.KafkaLingerMs
	cfg.ProducerQueueMiB = s.KafkaQueueMiB
	cfg.ProducerQueueMessages = s.KafkaQueueBufferingMaxMessages
	cfg.MessageTimeoutMs = s.KafkaMessageTimeoutMs
	cfg.CompressionCodec = s.KafkaCompressionCodec
	cfg.ProducerAcks = s.KafkaAcks
	cfg.ProducerPartitioner = s.KafkaPartitioner
	cfg.ProducerMessageMaxBytes = new(s.KafkaMessageMaxBytes)
	cfg.ProducerBatchSize = new(s.KafkaBatchSize)
	cfg.ProducerEnableIdempotence = new(s.KafkaEnableIdempotence)
	cfg.ProducerTopicMetadataRefreshIntervalMs = new(s.KafkaMetadataRefreshIntervalMs)
	cfg.ProducerRetries = new(s.KafkaMaxRetries)
	return cfg
}

// Topics are the sink's topics.
func (s SinkConfig) Topics() Topics {
	return Topics{
		Main: s.TopicMain, Historical: s.TopicHistorical, Overflow: s.TopicOverflow, DLQ: s.TopicDLQ,
		Exceptions: s.TopicException, Heatmaps: s.TopicHeatmap, ClientIngestionWarning: s.TopicClientIngestionWarning,
	}
}

// NewFromEnv builds the v1 handler from the environment for a capture
// server: it reads Config and the write sink, opens its Kafka producer and
// fills the sink fields of base (the caller sets Policies, mode, clock,
// rerouting). It returns a nil handler when CAPTURE_V1_SINKS is empty, so
// the routes stay unregistered. closeFn releases the producer.
func NewFromEnv(ctx context.Context, base Options) (h http.Handler, closeFn func(), err error) {
	cfg, sc, ok, err := LoadConfig(nil)
	if err != nil || !ok {
		return nil, func() {}, err
	}
	name := cfg.SinkNames()[0]
	if err := sc.Validate(SinkPrefix(name)); err != nil {
		return nil, func() {}, fmt.Errorf("capture v1 sink %s: %w", name, err)
	}
	p, err := kafka.NewProducer(ctx, sc.Kafka())
	if err != nil {
		return nil, func() {}, fmt.Errorf("capture v1 sink %s: %w", name, err)
	}
	base.Producer = p
	base.SinkName = name
	base.Topics = sc.Topics()
	base.ProduceTimeout = time.Duration(sc.ProduceTimeoutMs) * time.Millisecond
	base.MaxCompressedBodyBytes = cfg.MaxCompressedBodyBytes
	base.MaxDecompressedBodyBytes = cfg.MaxDecompressedBodyBytes
	return NewHandler(base), p.Close, nil
}
