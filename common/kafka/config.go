// Package kafka is the Kafka plumbing shared by every hoggo service: the
// KafkaConfig/ConsumerConfig env structs with the names and defaults of
// PostHog's Rust services, a franz-go producer with the same delivery
// guarantees (acks=all, idempotence, Java-compatible murmur2 key
// partitioning, per-record results in input order), header helpers, and an
// at-least-once consumer that commits offsets only after its handler returned.
package kafka

import (
	"crypto/tls"
	"fmt"
	"hash/crc32"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Config is the shared producer/client configuration (rust common/kafka
// KafkaConfig). Embed it in a service config; caarlos0/env fills it from the
// un-prefixed KAFKA_* variables. Optional tuning fields are pointers: nil
// means "keep the client default", as in the reference.
type Config struct {
	// Hosts is the comma-separated bootstrap broker list.
	Hosts string `env:"KAFKA_HOSTS" envDefault:"localhost:9092"`
	// ProducerLingerMs is how long a partially filled batch waits for more
	// records before it is sent.
	ProducerLingerMs int `env:"KAFKA_PRODUCER_LINGER_MS" envDefault:"20"`
	// ProducerQueueMiB bounds the bytes buffered in the producer.
	ProducerQueueMiB int `env:"KAFKA_PRODUCER_QUEUE_MIB" envDefault:"400"`
	// ProducerQueueMessages bounds the records buffered in the producer.
	ProducerQueueMessages int `env:"KAFKA_PRODUCER_QUEUE_MESSAGES" envDefault:"10000000"`
	// MessageTimeoutMs is how long a record may take to be acknowledged,
	// retries included, before it fails.
	MessageTimeoutMs int `env:"KAFKA_MESSAGE_TIMEOUT_MS" envDefault:"20000"`
	// CompressionCodec is one of none, gzip, snappy, lz4, zstd.
	CompressionCodec string `env:"KAFKA_COMPRESSION_CODEC" envDefault:"none"`
	// TLS enables TLS without certificate verification, like the reference
	// (security.protocol=ssl, enable.ssl.certificate.verification=false).
	TLS bool `env:"KAFKA_TLS" envDefault:"false"`
	// ClientRack lets consumers fetch from a replica in the same rack.
	ClientRack string `env:"KAFKA_CLIENT_RACK"`
	// ClientID is sent to the brokers; empty keeps the client default.
	ClientID string `env:"KAFKA_CLIENT_ID"`

	// ProducerBatchSize caps a record batch in bytes (librdkafka batch.size).
	ProducerBatchSize *int `env:"KAFKA_PRODUCER_BATCH_SIZE"`
	// ProducerBatchNumMessages is accepted for compatibility and ignored:
	// franz-go bounds batches by bytes only.
	ProducerBatchNumMessages *int `env:"KAFKA_PRODUCER_BATCH_NUM_MESSAGES"`
	// ProducerEnableIdempotence false turns idempotent writes off (on by default).
	ProducerEnableIdempotence *bool `env:"KAFKA_PRODUCER_ENABLE_IDEMPOTENCE"`
	// ProducerMaxInFlight caps in-flight produce requests per broker.
	ProducerMaxInFlight *int `env:"KAFKA_PRODUCER_MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION"`
	// ProducerTopicMetadataRefreshIntervalMs is the metadata max age.
	ProducerTopicMetadataRefreshIntervalMs *int `env:"KAFKA_PRODUCER_TOPIC_METADATA_REFRESH_INTERVAL_MS"`
	// ProducerMessageMaxBytes is the largest record batch the producer sends;
	// a record that does not fit fails with MESSAGE_TOO_LARGE.
	ProducerMessageMaxBytes *int `env:"KAFKA_PRODUCER_MESSAGE_MAX_BYTES"`
	// ProducerStickyPartitioningLingerMs is accepted for compatibility and
	// ignored: unkeyed records stick to a partition until its batch is sent.
	ProducerStickyPartitioningLingerMs *int `env:"KAFKA_PRODUCER_STICKY_PARTITIONING_LINGER_MS"`
	// ProducerPartitioner picks key placement: murmur2_random (the default
	// here, Java-compatible), murmur2, consistent_random, consistent (CRC32,
	// librdkafka's own default) or random.
	ProducerPartitioner string `env:"KAFKA_PRODUCER_PARTITIONER"`
	// ProducerAcks is all (default), -1, 1 or 0. Anything but all turns
	// idempotence off, which Kafka requires.
	ProducerAcks string `env:"KAFKA_PRODUCER_ACKS"`
	// ProducerRetries caps produce retries per record (within MessageTimeoutMs).
	ProducerRetries *int `env:"KAFKA_PRODUCER_RETRIES"`
}

// DefaultConfig returns the Config that parsing an empty environment yields.
func DefaultConfig() Config {
	return Config{
		Hosts:                 "localhost:9092",
		ProducerLingerMs:      20,
		ProducerQueueMiB:      400,
		ProducerQueueMessages: 10_000_000,
		MessageTimeoutMs:      20_000,
		CompressionCodec:      "none",
	}
}

// Brokers splits Hosts into trimmed, non-empty host:port entries.
func (c Config) Brokers() []string {
	var out []string
	for _, h := range strings.Split(c.Hosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			out = append(out, h)
		}
	}
	return out
}

// clientOpts are the options every client (producer or consumer) gets.
func (c Config) clientOpts() ([]kgo.Opt, error) {
	brokers := c.Brokers()
	if len(brokers) == 0 {
		return nil, fmt.Errorf("KAFKA_HOSTS is empty")
	}
	opts := []kgo.Opt{kgo.SeedBrokers(brokers...)}
	if c.ClientID != "" {
		opts = append(opts, kgo.ClientID(c.ClientID))
	}
	if c.ClientRack != "" {
		opts = append(opts, kgo.Rack(c.ClientRack))
	}
	if c.TLS {
		// Same as the reference: encrypted, but the broker certificate is not
		// verified (managed Kafka offerings use private CAs).
		opts = append(opts, kgo.DialTLSConfig(&tls.Config{InsecureSkipVerify: true})) //nolint:gosec // parity with the reference
	}
	if c.ProducerTopicMetadataRefreshIntervalMs != nil {
		opts = append(opts, kgo.MetadataMaxAge(time.Duration(*c.ProducerTopicMetadataRefreshIntervalMs)*time.Millisecond))
	}
	return opts, nil
}

// producerOpts maps the producer settings onto franz-go options.
func (c Config) producerOpts() ([]kgo.Opt, error) {
	opts, err := c.clientOpts()
	if err != nil {
		return nil, err
	}
	codec, err := compressionCodec(c.CompressionCodec)
	if err != nil {
		return nil, err
	}
	part, err := partitioner(c.ProducerPartitioner)
	if err != nil {
		return nil, err
	}
	opts = append(opts,
		kgo.ProducerBatchCompression(codec),
		kgo.RecordPartitioner(part),
		kgo.ProducerLinger(time.Duration(c.ProducerLingerMs)*time.Millisecond),
		kgo.RecordDeliveryTimeout(time.Duration(c.MessageTimeoutMs)*time.Millisecond),
	)
	if c.ProducerQueueMessages > 0 {
		opts = append(opts, kgo.MaxBufferedRecords(c.ProducerQueueMessages))
	}
	if c.ProducerQueueMiB > 0 {
		opts = append(opts, kgo.MaxBufferedBytes(c.ProducerQueueMiB<<20))
	}

	idempotent := c.ProducerEnableIdempotence == nil || *c.ProducerEnableIdempotence
	switch strings.ToLower(strings.TrimSpace(c.ProducerAcks)) {
	case "", "all", "-1":
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	case "1":
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()))
		idempotent = false
	case "0":
		opts = append(opts, kgo.RequiredAcks(kgo.NoAck()))
		idempotent = false
	default:
		return nil, fmt.Errorf("KAFKA_PRODUCER_ACKS: unknown value %q (want all, -1, 1 or 0)", c.ProducerAcks)
	}
	if !idempotent {
		opts = append(opts, kgo.DisableIdempotentWrite())
	}
	if c.ProducerMaxInFlight != nil && *c.ProducerMaxInFlight > 0 {
		opts = append(opts, kgo.MaxProduceRequestsInflightPerBroker(*c.ProducerMaxInFlight))
	}
	if c.ProducerRetries != nil {
		opts = append(opts, kgo.RecordRetries(*c.ProducerRetries))
	}
	batchMax := 0
	for _, v := range []*int{c.ProducerBatchSize, c.ProducerMessageMaxBytes} {
		if v != nil && *v > 0 && (batchMax == 0 || *v < batchMax) {
			batchMax = *v
		}
	}
	if batchMax > 0 {
		opts = append(opts, kgo.ProducerBatchMaxBytes(int32(min(batchMax, 1<<30))))
	}
	return opts, nil
}

func compressionCodec(name string) (kgo.CompressionCodec, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "none":
		return kgo.NoCompression(), nil
	case "gzip":
		return kgo.GzipCompression(), nil
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "lz4":
		return kgo.Lz4Compression(), nil
	case "zstd":
		return kgo.ZstdCompression(), nil
	}
	return kgo.CompressionCodec{}, fmt.Errorf("KAFKA_COMPRESSION_CODEC: unknown codec %q (want none, gzip, snappy, lz4 or zstd)", name)
}

// partitioner maps librdkafka partitioner names. Keyed records always hash
// consistently; unkeyed records stick to one partition per batch, which over
// time spreads them like librdkafka's random choice does.
func partitioner(name string) (kgo.Partitioner, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "murmur2_random", "murmur2":
		// kgo's default hasher is Java's Utils.murmur2 with the sign bit
		// masked: (murmur2(key) & 0x7fffffff) % partitions.
		return kgo.StickyKeyPartitioner(nil), nil
	case "consistent_random", "consistent":
		// librdkafka: crc32(key) % partitions, computed unsigned.
		return kgo.StickyKeyPartitioner(func(key []byte, n int) int {
			return int(crc32.ChecksumIEEE(key) % uint32(n))
		}), nil
	case "random":
		return kgo.StickyPartitioner(), nil
	}
	return nil, fmt.Errorf("KAFKA_PRODUCER_PARTITIONER: unknown partitioner %q", name)
}

// ConsumerConfig is the shared consumer configuration (rust common/kafka
// ConsumerConfig). Group and Topic have service-specific defaults: set them on
// the struct before parsing (caarlos0/env keeps a pre-set value when the
// variable is absent and the field has no envDefault).
type ConsumerConfig struct {
	Group string `env:"KAFKA_CONSUMER_GROUP"`
	Topic string `env:"KAFKA_CONSUMER_TOPIC"`
	// OffsetReset is where a group without a committed offset starts:
	// earliest or latest.
	OffsetReset string `env:"KAFKA_CONSUMER_OFFSET_RESET" envDefault:"earliest"`
	// AutoCommit commits handled offsets in the background every
	// AutoCommitIntervalMs (and on rebalance and shutdown); false commits
	// synchronously after every handled batch. Either way only offsets of
	// records whose handler returned nil are committed.
	AutoCommit           bool `env:"KAFKA_CONSUMER_AUTO_COMMIT"`
	AutoCommitIntervalMs int  `env:"KAFKA_CONSUMER_AUTO_COMMIT_INTERVAL_MS" envDefault:"5000"`

	FetchWaitMaxMs         *int `env:"KAFKA_CONSUMER_FETCH_WAIT_MAX_MS"`
	FetchMinBytes          *int `env:"KAFKA_CONSUMER_FETCH_MIN_BYTES"`
	FetchMaxBytes          *int `env:"KAFKA_CONSUMER_FETCH_MAX_BYTES"`
	MaxPartitionFetchBytes *int `env:"KAFKA_CONSUMER_MAX_PARTITION_FETCH_BYTES"`
	// GroupInstanceID enables static membership.
	GroupInstanceID string `env:"KAFKA_CONSUMER_GROUP_INSTANCE_ID"`
	// PartitionStrategy is a comma-separated preference list of range,
	// roundrobin, cooperative-sticky (empty: cooperative-sticky).
	PartitionStrategy string `env:"KAFKA_CONSUMER_PARTITION_STRATEGY"`
	// Socket buffer sizes are accepted for compatibility and ignored: Go
	// leaves TCP buffers to the kernel, which is what "0" asks librdkafka for.
	SocketSendBufferBytes     string `env:"KAFKA_CONSUMER_SOCKET_SEND_BUFFER_BYTES"`
	SocketReceiveBufferBytes  string `env:"KAFKA_CONSUMER_SOCKET_RECEIVE_BUFFER_BYTES"`
	MetadataRefreshIntervalMs *int   `env:"KAFKA_CONSUMER_METADATA_REFRESH_INTERVAL_MS"`
}

// consumerOpts maps the consumer settings onto franz-go options.
func (cc ConsumerConfig) consumerOpts() ([]kgo.Opt, error) {
	if cc.Group == "" {
		return nil, fmt.Errorf("KAFKA_CONSUMER_GROUP is empty")
	}
	if cc.Topic == "" {
		return nil, fmt.Errorf("KAFKA_CONSUMER_TOPIC is empty")
	}
	opts := []kgo.Opt{
		kgo.ConsumerGroup(cc.Group),
		kgo.ConsumeTopics(cc.Topic),
		// The handler and its commit finish before partitions move, so a
		// rebalance never hands a half-processed batch to another member.
		kgo.BlockRebalanceOnPoll(),
	}
	switch strings.ToLower(strings.TrimSpace(cc.OffsetReset)) {
	case "", "earliest", "smallest", "beginning":
		opts = append(opts, kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	case "latest", "largest", "end":
		opts = append(opts, kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()))
	default:
		return nil, fmt.Errorf("KAFKA_CONSUMER_OFFSET_RESET: unknown value %q (want earliest or latest)", cc.OffsetReset)
	}
	if cc.AutoCommit {
		interval := time.Duration(cc.AutoCommitIntervalMs) * time.Millisecond
		if interval <= 0 {
			interval = 5 * time.Second
		}
		opts = append(opts, kgo.AutoCommitMarks(), kgo.AutoCommitInterval(interval))
	} else {
		opts = append(opts, kgo.DisableAutoCommit())
	}
	if cc.FetchWaitMaxMs != nil && *cc.FetchWaitMaxMs > 0 {
		opts = append(opts, kgo.FetchMaxWait(time.Duration(*cc.FetchWaitMaxMs)*time.Millisecond))
	}
	if cc.FetchMinBytes != nil && *cc.FetchMinBytes > 0 {
		opts = append(opts, kgo.FetchMinBytes(int32(*cc.FetchMinBytes)))
	}
	if cc.FetchMaxBytes != nil && *cc.FetchMaxBytes > 0 {
		opts = append(opts, kgo.FetchMaxBytes(int32(*cc.FetchMaxBytes)))
	}
	if cc.MaxPartitionFetchBytes != nil && *cc.MaxPartitionFetchBytes > 0 {
		opts = append(opts, kgo.FetchMaxPartitionBytes(int32(*cc.MaxPartitionFetchBytes)))
	}
	if cc.GroupInstanceID != "" {
		opts = append(opts, kgo.InstanceID(cc.GroupInstanceID))
	}
	if cc.MetadataRefreshIntervalMs != nil && *cc.MetadataRefreshIntervalMs > 0 {
		opts = append(opts, kgo.MetadataMaxAge(time.Duration(*cc.MetadataRefreshIntervalMs)*time.Millisecond))
	}
	if cc.PartitionStrategy != "" {
		var bals []kgo.GroupBalancer
		for _, s := range strings.Split(cc.PartitionStrategy, ",") {
			switch strings.ToLower(strings.TrimSpace(s)) {
			case "range":
				bals = append(bals, kgo.RangeBalancer())
			case "roundrobin":
				bals = append(bals, kgo.RoundRobinBalancer())
			case "cooperative-sticky":
				bals = append(bals, kgo.CooperativeStickyBalancer())
			case "":
			default:
				return nil, fmt.Errorf("KAFKA_CONSUMER_PARTITION_STRATEGY: unknown strategy %q", s)
			}
		}
		if len(bals) > 0 {
			opts = append(opts, kgo.Balancers(bals...))
		}
	}
	return opts, nil
}
