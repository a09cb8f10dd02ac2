package capture

import (
	"strings"
	"testing"
)

func TestConfigDefaultsAndEnvNames(t *testing.T) {
	cfg := DefaultConfig()
	if cfg.Address != "127.0.0.1:3000" || cfg.CaptureMode != "events" || cfg.KafkaTopic != "events_plugin_ingestion" ||
		cfg.KafkaOverflowTopic != "events_plugin_ingestion_overflow" || cfg.KafkaHistoricalTopic != "events_plugin_ingestion_historical" ||
		cfg.KafkaHeatmapsTopic != "heatmaps_ingestion" || cfg.KafkaClientIngestionWarningTopic != "ingestion-clientwarnings-main-1" ||
		cfg.KafkaDLQTopic != "events_plugin_ingestion_dlq" || cfg.KafkaReplayOverflowTopic != "session_recording_snapshot_item_overflow" ||
		cfg.OverflowPerSecondLimit != 100 || cfg.OverflowBurstLimit != 1000 || !cfg.ExportPrometheus ||
		cfg.KafkaProducerMessageMaxBytes != 1000000 || cfg.Kafka.ProducerLingerMs != 20 || cfg.exceptionsTopic() != "error_tracking_events" {
		t.Errorf("defaults: %+v", cfg)
	}
	env := map[string]string{
		"ADDRESS": "0.0.0.0:9999", "CAPTURE_MODE": " Recordings ", "KAFKA_HOSTS": "k1:9092,k2:9092",
		"KAFKA_TOPIC": "custom", "KAFKA_EXCEPTIONS_TOPIC": "old_exceptions", "OVERFLOW_ENABLED": "true",
		"DROP_EVENTS_BY_TOKEN_DISTINCT_ID": "a,b:c", "CAPTURE_V1_SINKS": "msk,ws",
		"CAPTURE_V1_SINK_MSK_KAFKA_TOPIC_MAIN": "v1main", "REDIS_KEY_PREFIX": "p/",
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	cfg, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Address != "0.0.0.0:9999" || cfg.mode() != "recordings" || cfg.Kafka.Hosts != "k1:9092,k2:9092" ||
		cfg.KafkaTopic != "custom" || cfg.exceptionsTopic() != "old_exceptions" || !cfg.OverflowEnabled ||
		cfg.DropEventsByTokenDistinctID != "a,b:c" || cfg.v1SinkName() != "msk" ||
		cfg.CaptureV1SinkSettings["KAFKA_TOPIC_MAIN"] != "v1main" || cfg.RedisKeyPrefix != "p/" {
		t.Errorf("from env: %+v", cfg)
	}
	t.Setenv("CAPTURE_MODE", "ai")
	if _, err := LoadConfig(); err == nil || !strings.Contains(err.Error(), "CAPTURE_MODE") {
		t.Errorf("unsupported mode: %v", err)
	}
	t.Setenv("CAPTURE_MODE", "events")
	t.Setenv("OVERFLOW_BURST_LIMIT", "lots")
	if _, err := LoadConfig(); err == nil || !strings.Contains(err.Error(), "OVERFLOW_BURST_LIMIT") {
		t.Errorf("bad int: %v", err)
	}
}
