package kafka

import (
	"reflect"
	"strings"
	"testing"

	"github.com/caarlos0/env/v11"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The reference guards the same hazard: the env defaults and DefaultConfig
// must not drift apart.
func TestDefaultConfigMatchesEnvDefaults(t *testing.T) {
	got, err := env.ParseAsWithOptions[Config](env.Options{Environment: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	if want := DefaultConfig(); !reflect.DeepEqual(got, want) {
		t.Errorf("parsed empty env = %+v\nDefaultConfig()  = %+v", got, want)
	}
	if got.Hosts != "localhost:9092" || got.ProducerLingerMs != 20 || got.ProducerQueueMiB != 400 ||
		got.ProducerQueueMessages != 10000000 || got.MessageTimeoutMs != 20000 || got.CompressionCodec != "none" || got.TLS {
		t.Errorf("defaults differ from the reference: %+v", got)
	}
}

func TestConfigFromEnvEmbedded(t *testing.T) {
	type serviceConfig struct {
		Address string `env:"ADDRESS" envDefault:"127.0.0.1:3000"`
		Config
		Consumer ConsumerConfig
	}
	// Service-specific consumer defaults are set before parsing.
	cfg := serviceConfig{Consumer: ConsumerConfig{Group: "property-defs-rs", Topic: "clickhouse_events_json", AutoCommit: true}}
	err := env.ParseWithOptions(&cfg, env.Options{Environment: map[string]string{
		"KAFKA_HOSTS":                       "kafka-1:9092, kafka-2:9092,",
		"KAFKA_PRODUCER_LINGER_MS":          "5",
		"KAFKA_COMPRESSION_CODEC":           "zstd",
		"KAFKA_TLS":                         "true",
		"KAFKA_CLIENT_ID":                   "capture",
		"KAFKA_PRODUCER_MESSAGE_MAX_BYTES":  "1000000",
		"KAFKA_PRODUCER_ENABLE_IDEMPOTENCE": "false",
		"KAFKA_PRODUCER_MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION": "5",
		"KAFKA_CONSUMER_TOPIC":                                 "custom_topic",
		"KAFKA_CONSUMER_OFFSET_RESET":                          "latest",
		"KAFKA_CONSUMER_FETCH_MIN_BYTES":                       "1048576",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Address != "127.0.0.1:3000" || cfg.ProducerLingerMs != 5 || cfg.CompressionCodec != "zstd" || !cfg.TLS || cfg.ClientID != "capture" {
		t.Errorf("kafka config = %+v", cfg.Config)
	}
	if got := cfg.Brokers(); !reflect.DeepEqual(got, []string{"kafka-1:9092", "kafka-2:9092"}) {
		t.Errorf("Brokers() = %q", got)
	}
	if cfg.ProducerMessageMaxBytes == nil || *cfg.ProducerMessageMaxBytes != 1000000 {
		t.Errorf("ProducerMessageMaxBytes = %v", cfg.ProducerMessageMaxBytes)
	}
	if cfg.ProducerEnableIdempotence == nil || *cfg.ProducerEnableIdempotence {
		t.Errorf("ProducerEnableIdempotence = %v, want false", cfg.ProducerEnableIdempotence)
	}
	if cfg.ProducerBatchSize != nil || cfg.ProducerRetries != nil {
		t.Errorf("unset optional settings must stay nil: %v %v", cfg.ProducerBatchSize, cfg.ProducerRetries)
	}
	c := cfg.Consumer
	if c.Group != "property-defs-rs" || c.Topic != "custom_topic" || !c.AutoCommit || c.OffsetReset != "latest" ||
		c.AutoCommitIntervalMs != 5000 || c.FetchMinBytes == nil || *c.FetchMinBytes != 1048576 || c.FetchMaxBytes != nil {
		t.Errorf("consumer config = %+v", c)
	}
	if _, err := cfg.producerOpts(); err != nil {
		t.Errorf("producerOpts: %v", err)
	}
	if _, err := c.consumerOpts(); err != nil {
		t.Errorf("consumerOpts: %v", err)
	}
}

func TestConfigRejectsUnknownValues(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"codec", func(c *Config) { c.CompressionCodec = "brotli" }, "KAFKA_COMPRESSION_CODEC"},
		{"acks", func(c *Config) { c.ProducerAcks = "2" }, "KAFKA_PRODUCER_ACKS"},
		{"partitioner", func(c *Config) { c.ProducerPartitioner = "fnv" }, "KAFKA_PRODUCER_PARTITIONER"},
		{"hosts", func(c *Config) { c.Hosts = " , " }, "KAFKA_HOSTS"},
	} {
		cfg := DefaultConfig()
		tc.mutate(&cfg)
		_, err := cfg.producerOpts()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one naming %s", tc.name, err, tc.want)
		}
	}
	for _, tc := range []struct {
		name string
		cc   ConsumerConfig
		want string
	}{
		{"group", ConsumerConfig{Topic: "t"}, "KAFKA_CONSUMER_GROUP"},
		{"topic", ConsumerConfig{Group: "g"}, "KAFKA_CONSUMER_TOPIC"},
		{"reset", ConsumerConfig{Group: "g", Topic: "t", OffsetReset: "middle"}, "KAFKA_CONSUMER_OFFSET_RESET"},
		{"strategy", ConsumerConfig{Group: "g", Topic: "t", PartitionStrategy: "range,magic"}, "KAFKA_CONSUMER_PARTITION_STRATEGY"},
	} {
		_, err := tc.cc.consumerOpts()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one naming %s", tc.name, err, tc.want)
		}
	}
}

func TestCompressionCodecs(t *testing.T) {
	for _, name := range []string{"none", "gzip", "snappy", "lz4", "zstd", " LZ4 ", ""} {
		if _, err := compressionCodec(name); err != nil {
			t.Errorf("codec %q: %v", name, err)
		}
	}
}

func TestConsistentPartitionerIsCRC32(t *testing.T) {
	// librdkafka's consistent partitioner: crc32("foobar") = 0x9ef61f95.
	p, err := partitioner("consistent_random")
	if err != nil {
		t.Fatal(err)
	}
	r := &kgo.Record{Key: []byte("foobar")}
	if got, want := p.ForTopic("t").Partition(r, 1000), int(uint32(0x9ef61f95)%1000); got != want {
		t.Errorf("partition = %d, want %d", got, want)
	}
}
