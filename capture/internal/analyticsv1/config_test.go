package analyticsv1

import (
	"strings"
	"testing"
)

func TestLoadConfig(t *testing.T) {
	cfg, _, ok, err := LoadConfig(map[string]string{})
	if err != nil || ok || cfg.MaxCompressedBodyBytes != 10485760 || cfg.MaxDecompressedBodyBytes != 52428800 || cfg.ScatterGatherMinBatch != 8 {
		t.Fatalf("defaults: %v %v %+v", err, ok, cfg)
	}
	environ := map[string]string{
		"CAPTURE_V1_SINKS":                                         " MSK , ws",
		"CAPTURE_V1_SINK_MSK_KAFKA_HOSTS":                          "kafka:9092",
		"CAPTURE_V1_SINK_MSK_KAFKA_TOPIC_MAIN":                     "events_plugin_ingestion",
		"CAPTURE_V1_SINK_MSK_KAFKA_TOPIC_HISTORICAL":               "events_plugin_ingestion_historical",
		"CAPTURE_V1_SINK_MSK_KAFKA_TOPIC_OVERFLOW":                 "events_plugin_ingestion_overflow",
		"CAPTURE_V1_SINK_MSK_KAFKA_TOPIC_DLQ":                      "events_plugin_ingestion_dlq",
		"CAPTURE_V1_SINK_MSK_KAFKA_TOPIC_EXCEPTION":                "error_tracking_events",
		"CAPTURE_V1_SINK_MSK_KAFKA_TOPIC_HEATMAP":                  "heatmaps_ingestion",
		"CAPTURE_V1_SINK_MSK_KAFKA_TOPIC_CLIENT_INGESTION_WARNING": "events_plugin_ingestion",
		"CAPTURE_V1_SINK_MSK_KAFKA_LINGER_MS":                      "5",
	}
	cfg, sc, ok, err := LoadConfig(environ)
	if err != nil || !ok || strings.Join(cfg.SinkNames(), ",") != "msk,ws" {
		t.Fatalf("%v %v %+v", err, ok, cfg)
	}
	if err := sc.Validate(SinkPrefix("msk")); err != nil {
		t.Fatal(err)
	}
	k := sc.Kafka()
	if k.Hosts != "kafka:9092" || k.ProducerLingerMs != 5 || k.MessageTimeoutMs != 30000 || k.CompressionCodec != "lz4" ||
		*k.ProducerMessageMaxBytes != 1000000 || *k.ProducerEnableIdempotence || k.ProducerPartitioner != "murmur2_random" {
		t.Errorf("kafka %+v", k)
	}
	if sc.Topics().Exceptions != "error_tracking_events" || sc.ProduceTimeoutMs != 30000 {
		t.Errorf("%+v", sc)
	}
	delete(environ, "CAPTURE_V1_SINK_MSK_KAFKA_TOPIC_DLQ")
	environ["CAPTURE_V1_SINK_MSK_PRODUCE_TIMEOUT_MS"] = "1000"
	_, sc, _, _ = LoadConfig(environ)
	err = sc.Validate(SinkPrefix("msk"))
	if err == nil || !strings.Contains(err.Error(), "CAPTURE_V1_SINK_MSK_KAFKA_TOPIC_DLQ is required") || !strings.Contains(err.Error(), "PRODUCE_TIMEOUT_MS") {
		t.Errorf("validate: %v", err)
	}
	delete(environ, "CAPTURE_V1_SINK_MSK_KAFKA_HOSTS")
	if _, _, _, err := LoadConfig(environ); err == nil || !strings.Contains(err.Error(), "CAPTURE_V1_SINK_MSK_KAFKA_HOSTS") {
		t.Errorf("missing hosts: %v", err)
	}
}
