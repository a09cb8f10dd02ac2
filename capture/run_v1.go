package capture

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/hoggo/capture/internal/analyticsv1"
	"github.com/hoggo/capture/internal/api"
	"github.com/hoggo/capture/internal/limits"
	"github.com/hoggo/capture/internal/sink"
	"github.com/hoggo/common/kafka"
)

// newV1Handler builds the /i/v1/analytics/events handler for the default
// v1 sink. The sink writes through the main producer unless its own
// KAFKA_HOSTS is set; its topics default to the v0 topics. It returns a nil
// handler (route not registered) when CAPTURE_V1_SINKS is empty or in
// recordings mode, and a cleanup func for a dedicated producer.
func newV1Handler(ctx context.Context, cfg *Config, mode api.Mode, main *kafka.Producer, topics sink.Topics, pol *limits.Policies) (*analyticsv1.Handler, func(), error) {
	name := cfg.v1SinkName()
	if name == "" || mode == api.ModeRecordings {
		return nil, func() {}, nil
	}
	set := cfg.CaptureV1SinkSettings
	get := func(key, def string) string {
		if v, ok := set[key]; ok && v != "" {
			return v
		}
		return def
	}
	producer, cleanup := main, func() {}
	if hosts := get("KAFKA_HOSTS", ""); hosts != "" && hosts != cfg.Kafka.Hosts {
		kcfg := cfg.Kafka
		kcfg.Hosts = hosts
		p, err := kafka.NewProducer(ctx, kcfg)
		if err != nil {
			return nil, nil, fmt.Errorf("v1 sink %s: %w", name, err)
		}
		producer, cleanup = p, p.Close
	}
	timeout := analyticsv1.DefaultProduceTimeout
	if v := get("PRODUCE_TIMEOUT_MS", ""); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil {
			cleanup()
			return nil, nil, fmt.Errorf("CAPTURE_V1_SINK_%s_PRODUCE_TIMEOUT_MS: %w", name, err)
		}
		timeout = time.Duration(ms) * time.Millisecond
	}
	h := analyticsv1.NewHandler(analyticsv1.Options{
		Producer:       producer,
		SinkName:       name,
		ProduceTimeout: timeout,
		Topics: analyticsv1.Topics{
			Main:                   get("KAFKA_TOPIC_MAIN", topics.Main),
			Historical:             get("KAFKA_TOPIC_HISTORICAL", topics.Historical),
			Overflow:               get("KAFKA_TOPIC_OVERFLOW", topics.Overflow),
			DLQ:                    get("KAFKA_TOPIC_DLQ", topics.DLQ),
			Exceptions:             get("KAFKA_TOPIC_EXCEPTION", topics.Exceptions),
			Heatmaps:               get("KAFKA_TOPIC_HEATMAP", topics.Heatmaps),
			ClientIngestionWarning: get("KAFKA_TOPIC_CLIENT_INGESTION_WARNING", topics.ClientWarnings),
		},
		MaxCompressedBodyBytes:   cfg.CaptureV1MaxCompressedBodyBytes,
		MaxDecompressedBodyBytes: cfg.CaptureV1MaxDecompressedBodyBytes,
		BodyChunkReadTimeout:     time.Duration(cfg.BodyChunkReadTimeoutMs) * time.Millisecond,
		RerouteHistorical:        cfg.EnableHistoricalRerouting,
		RerouteHistoricalAfter:   time.Duration(cfg.HistoricalReroutingThresholdDays) * 24 * time.Hour,
		Policies:                 pol,
	})
	return h, cleanup, nil
}
