package kafka_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/hoggo/common/kafka"
	"github.com/hoggo/common/kafkatest"
)

// javaMurmur2 is a line-by-line port of Kafka's Java Utils.murmur2, in
// signed 32-bit arithmetic with >>> as an unsigned shift, kept independent
// of franz-go's implementation so the test checks one against the other.
func javaMurmur2(data []byte) int32 {
	length := int32(len(data))
	var seedBits uint32 = 0x9747b28c
	seed := int32(seedBits)
	const m int32 = 0x5bd1e995
	const r = 24
	ushr := func(x int32, n uint) int32 { return int32(uint32(x) >> n) }

	h := seed ^ length
	length4 := length / 4
	for i := int32(0); i < length4; i++ {
		i4 := i * 4
		k := int32(data[i4+0]) + int32(data[i4+1])<<8 + int32(data[i4+2])<<16 + int32(data[i4+3])<<24
		k *= m
		k ^= ushr(k, r)
		k *= m
		h *= m
		h ^= k
	}
	tail := length &^ 3
	switch length % 4 {
	case 3:
		h ^= int32(data[tail+2]) << 16
		fallthrough
	case 2:
		h ^= int32(data[tail+1]) << 8
		fallthrough
	case 1:
		h ^= int32(data[tail])
		h *= m
	}
	h ^= ushr(h, 13)
	h *= m
	h ^= ushr(h, 15)
	return h
}

// javaPartition is the Java default partitioner's choice for a keyed record:
// Utils.toPositive(Utils.murmur2(key)) % numPartitions.
func javaPartition(key []byte, n int32) int32 {
	return (javaMurmur2(key) & 0x7fffffff) % n
}

// Vectors from Kafka's UtilsTest.testMurmur2.
func TestJavaMurmur2Vectors(t *testing.T) {
	cases := map[string]int32{
		"21":                         -973932308,
		"foobar":                     -790332482,
		"a-little-bit-long-string":   -985981536,
		"a-little-bit-longer-string": -1486304829,
		"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
		"abc": 479470107,
	}
	for in, want := range cases {
		if got := javaMurmur2([]byte(in)); got != want {
			t.Errorf("murmur2(%q) = %d, want %d", in, got, want)
		}
	}
}

// partitionKeys covers every tail length, empty keys, non-ASCII bytes and
// keys shaped like capture's "<token>:<distinct_id>".
func partitionKeys() [][]byte {
	keys := [][]byte{
		{}, {0x00}, {0xff}, {0xff, 0xfe}, {0x80, 0x81, 0x82}, {0xde, 0xad, 0xbe, 0xef},
		[]byte("21"), []byte("foobar"), []byte("abc"),
		[]byte("phc_dev:ünïcödé"), []byte("phc_dev:127.0.0.1"),
	}
	for i := range 200 {
		keys = append(keys, fmt.Appendf(nil, "phc_token%d:user-%d", i%7, i))
	}
	return keys
}

// TestProducerPartitionsLikeJava produces keyed records to a 12-partition
// topic and checks the partition each landed on (read back from the broker)
// against the Java formula.
func TestProducerPartitionsLikeJava(t *testing.T) {
	const topic, parts = "partitioned", 12
	cluster := kafkatest.NewWithOptions(t, kafkatest.Options{Topics: []string{topic}, Partitions: parts})
	ctx := context.Background()
	p, err := kafka.NewProducer(ctx, cluster.Config())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	keys := partitionKeys()
	recs := make([]*kgo.Record, len(keys))
	for i, k := range keys {
		recs[i] = &kgo.Record{Topic: topic, Key: k, Value: fmt.Appendf(nil, "%d", i)}
	}
	for i, err := range p.Produce(ctx, recs...) {
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
	}
	// Produce fills in the partition the broker acknowledged; also read the
	// records back to be sure that is where they are stored.
	for i, r := range recs {
		if want := javaPartition(keys[i], parts); r.Partition != want {
			t.Errorf("key %q acked on partition %d, Java puts it on %d", keys[i], r.Partition, want)
		}
	}
	got := cluster.Consume(t, topic, len(keys), 10*time.Second)
	seen := make(map[int32]bool)
	for _, r := range got {
		var i int
		if _, err := fmt.Sscanf(string(r.Value), "%d", &i); err != nil {
			t.Fatalf("value %q: %v", r.Value, err)
		}
		if want := javaPartition(keys[i], parts); r.Partition != want {
			t.Errorf("key %q stored on partition %d, Java puts it on %d", keys[i], r.Partition, want)
		}
		seen[r.Partition] = true
	}
	if len(seen) != parts {
		t.Errorf("keys spread over %d partitions, want all %d", len(seen), parts)
	}
}

// Unkeyed records are not hashed: they spread over partitions.
func TestProducerSpreadsUnkeyedRecords(t *testing.T) {
	const topic, parts = "unkeyed", 4
	cluster := kafkatest.NewWithOptions(t, kafkatest.Options{Topics: []string{topic}, Partitions: parts})
	ctx := context.Background()
	cfg := cluster.Config()
	small := 1024 // one record per batch, so every record picks a partition anew
	cfg.ProducerBatchSize = &small
	cfg.ProducerLingerMs = 0
	p, err := kafka.NewProducer(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	seen := make(map[int32]int)
	for range 200 {
		r := &kgo.Record{Topic: topic, Value: make([]byte, 900)}
		if err := p.Produce(ctx, r)[0]; err != nil {
			t.Fatal(err)
		}
		seen[r.Partition]++
	}
	if len(seen) < 2 {
		t.Errorf("200 unkeyed records all went to partitions %v", seen)
	}
}
