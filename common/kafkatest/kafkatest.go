// Package kafkatest runs an in-process Kafka cluster (franz-go's kfake)
// listening on 127.0.0.1, for tests and for the dev stack. Clients talk to
// it over real TCP with their normal configuration.
package kafkatest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/hoggo/common/kafka"
)

// DefaultPort is where Start listens when Options.Port is 0: Kafka's usual
// port, so services started with the default KAFKA_HOSTS find it.
const DefaultPort = 9092

// segmentBytes is the segment size of every broker (log.segment.bytes).
const segmentBytes = 1 << 20

// Options configure a cluster.
type Options struct {
	// Topics are created before the cluster is returned.
	Topics []string
	// Partitions per pre-created topic; 0 means 1, so tests that read back
	// what they wrote see it in order.
	Partitions int32
	// Brokers in the cluster; 0 means 1.
	Brokers int
	// Port for the first broker (others take the following ports). New
	// always picks free ports; Start uses DefaultPort when this is 0 and
	// free ports when it is negative.
	Port int
}

// Cluster is a running in-process Kafka cluster.
type Cluster struct {
	kc *kfake.Cluster
}

// New starts a cluster with one broker on a free 127.0.0.1 port and the
// given topics (one partition each); it is closed when the test ends.
func New(t testing.TB, topics ...string) *Cluster {
	t.Helper()
	return NewWithOptions(t, Options{Topics: topics})
}

// NewWithOptions is New with control over partitions and brokers.
// Options.Port is ignored: tests always get a free port.
func NewWithOptions(t testing.TB, o Options) *Cluster {
	t.Helper()
	o.Port = 0
	c, err := start(o, false)
	if err != nil {
		t.Fatalf("kafkatest: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// Start runs a cluster outside of tests (the dev stack) on 127.0.0.1,
// port DefaultPort unless Options.Port says otherwise. Close stops it.
// It fails when the port is taken (e.g. by a real Kafka).
func Start(o Options) (*Cluster, error) {
	if o.Port == 0 {
		o.Port = DefaultPort
	}
	return start(o, o.Port > 0)
}

func start(o Options, fixedPort bool) (*Cluster, error) {
	if o.Partitions <= 0 {
		o.Partitions = 1
	}
	if o.Brokers <= 0 {
		o.Brokers = 1
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(o.Brokers),
		kfake.DefaultNumPartitions(int(o.Partitions)),
		// Lets group tests use short sessions, so a killed member's
		// partitions move in about a second rather than the Kafka default.
		kfake.GroupMinSessionTimeout(100 * time.Millisecond),
		// kfake appends every batch to an in-memory segment file whose
		// buffer doubles when full, copying it in the one goroutine that
		// serves every request. At Kafka's 100 MiB segments those copies
		// stalled all produce requests for up to 80 ms once a few tens of
		// MB were stored (a load test's p99.9); 1 MiB segments keep each
		// copy under a millisecond.
		kfake.BrokerConfigs(map[string]string{"log.segment.bytes": strconv.Itoa(segmentBytes)}),
	}
	if fixedPort {
		ports := make([]int, o.Brokers)
		for i := range ports {
			ports[i] = o.Port + i
		}
		opts = append(opts, kfake.Ports(ports...))
	}
	if len(o.Topics) > 0 {
		opts = append(opts, kfake.SeedTopics(o.Partitions, o.Topics...))
	}
	kc, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("start kfake cluster: %w", err)
	}
	return &Cluster{kc: kc}, nil
}

// Addr is the host:port of the first broker.
func (c *Cluster) Addr() string { return c.kc.ListenAddrs()[0] }

// Addrs are the host:port of every broker.
func (c *Cluster) Addrs() []string { return c.kc.ListenAddrs() }

// Config is the default kafka.Config pointed at this cluster, with a short
// linger and message timeout suited to tests.
func (c *Cluster) Config() kafka.Config {
	cfg := kafka.DefaultConfig()
	cfg.Hosts = c.Addr()
	cfg.ProducerLingerMs = 1
	cfg.MessageTimeoutMs = 10_000
	return cfg
}

// Kfake exposes the underlying cluster for fault injection (Control, ...).
func (c *Cluster) Kfake() *kfake.Cluster { return c.kc }

// Close stops the cluster.
func (c *Cluster) Close() { c.kc.Close() }

// CreateTopic creates topic with the given partition count.
func (c *Cluster) CreateTopic(ctx context.Context, topic string, partitions int32) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Addrs()...))
	if err != nil {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	defer cl.Close()
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, partitions, 1, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	return nil
}

// Produce writes one record and waits for its acknowledgement. A nil key
// produces an unkeyed record.
func (c *Cluster) Produce(t testing.TB, topic string, key, value []byte, headers ...kgo.RecordHeader) {
	t.Helper()
	c.ProduceRecords(t, &kgo.Record{Topic: topic, Key: key, Value: value, Headers: headers})
}

// ProduceRecords writes records (Topic set on each) and waits for every
// acknowledgement.
func (c *Cluster) ProduceRecords(t testing.TB, recs ...*kgo.Record) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Addrs()...))
	if err != nil {
		t.Fatalf("kafkatest: produce: %v", err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("kafkatest: produce: %v", err)
	}
}

// Consume reads topic from its beginning with a fresh, group-less client and
// returns the first n records, ordered by partition then offset. It fails
// the test if fewer than n arrive within timeout.
func (c *Cluster) Consume(t testing.TB, topic string, n int, timeout time.Duration) []*kgo.Record {
	t.Helper()
	recs, err := c.ConsumeN(context.Background(), topic, n, timeout)
	if err != nil {
		t.Fatalf("kafkatest: %v", err)
	}
	return recs
}

// ConsumeN is Consume without a testing.TB.
func (c *Cluster) ConsumeN(ctx context.Context, topic string, n int, timeout time.Duration) ([]*kgo.Record, error) {
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(c.Addrs()...),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)
	if err != nil {
		return nil, fmt.Errorf("consume %s: %w", topic, err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var recs []*kgo.Record
	for len(recs) < n {
		fetches := cl.PollRecords(ctx, n-len(recs))
		if err := ctx.Err(); err != nil {
			return recs, fmt.Errorf("consume %s: got %d of %d records in %s", topic, len(recs), n, timeout)
		}
		var ferr error
		fetches.EachError(func(_ string, _ int32, err error) { ferr = errors.Join(ferr, err) })
		if ferr != nil {
			return recs, fmt.Errorf("consume %s: %w", topic, ferr)
		}
		recs = append(recs, fetches.Records()...)
	}
	slices.SortStableFunc(recs, func(a, b *kgo.Record) int {
		if a.Partition != b.Partition {
			return int(a.Partition - b.Partition)
		}
		return int(a.Offset - b.Offset)
	})
	return recs, nil
}

// DevTopics lists the topics the dev stack pre-creates: the reference's
// kafka-init list plus every default topic the services in this repository
// read or write (spec common-and-stack §3.3). Consumer-only services need
// their topics to exist before they start.
func DevTopics() []string {
	return []string{
		// kafka-init
		"document_embeddings_input", "document_embedding_results", "error_tracking_ingestion_notifications",
		"clickhouse_events_json", "clickhouse_ai_events_json", "clickhouse_heatmap_events",
		"clickhouse_flag_evaluations", "clickhouse_ingestion_warnings", "events_plugin_ingestion_ai",
		"events_plugin_ingestion_dlq", "events_plugin_ingestion_overflow", "events_plugin_ingestion_async",
		"ingestion-clientwarnings-main-1", "heatmaps_ingestion", "clickhouse_groups", "clickhouse_person",
		"clickhouse_person_distinct_id", "clickhouse_app_metrics2", "log_entries", "clickhouse_property_values",
		"clickhouse_tophog",
		// service defaults
		"events_plugin_ingestion", "events_plugin_ingestion_historical", "error_tracking_events",
		"ingestion-traces", "session_recording_snapshot_item_events", "session_recording_snapshot_item_overflow",
		"team_event_partitioned_events_json", "exceptions_ingestion", "cdp_internal_events",
		"clickhouse_error_tracking_fingerprint_issue_state", "clickhouse_error_tracking_issue_fingerprint",
		"error_tracking_new_fingerprints", "clickhouse_app_metrics", "cdp_function_callbacks",
		"ingestion-metrics", "events",
	}
}
