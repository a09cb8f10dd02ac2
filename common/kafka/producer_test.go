package kafka_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/hoggo/common/kafka"
	"github.com/hoggo/common/kafkatest"
)

func TestProduceReturnsPerRecordResultsInOrder(t *testing.T) {
	cluster := kafkatest.New(t, "events")
	ctx := context.Background()
	cfg := cluster.Config()
	maxBytes := 10_000
	cfg.ProducerMessageMaxBytes = &maxBytes
	p, err := kafka.NewProducer(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	recs := []*kgo.Record{
		{Topic: "events", Key: []byte("k0"), Value: []byte("v0")},
		{Topic: "events", Key: []byte("k1"), Value: make([]byte, 20_000)}, // larger than the max batch
		{Topic: "events", Key: []byte("k2"), Value: []byte("v2")},
	}
	errs := p.Produce(ctx, recs...)
	if len(errs) != 3 {
		t.Fatalf("got %d results for 3 records", len(errs))
	}
	if errs[0] != nil || errs[2] != nil {
		t.Errorf("small records failed: %v, %v", errs[0], errs[2])
	}
	if !errors.Is(errs[1], kerr.MessageTooLarge) {
		t.Errorf("oversized record: err = %v, want MESSAGE_TOO_LARGE", errs[1])
	}
	if errors.Join(errs...) == nil {
		t.Error("errors.Join of the results must report the failure")
	}

	got := cluster.Consume(t, "events", 2, 5*time.Second)
	if string(got[0].Value) != "v0" || string(got[1].Value) != "v2" {
		t.Errorf("stored values = %q, %q", got[0].Value, got[1].Value)
	}
	if got[0].Offset+1 != got[1].Offset {
		t.Errorf("offsets %d, %d are not consecutive", got[0].Offset, got[1].Offset)
	}
}

func TestProduceManyConcurrentlyAllAcked(t *testing.T) {
	cluster := kafkatest.NewWithOptions(t, kafkatest.Options{Topics: []string{"events"}, Partitions: 3})
	ctx := context.Background()
	p, err := kafka.NewProducer(ctx, cluster.Config())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	const n = 500
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: "events", Key: fmt.Appendf(nil, "k%d", i%10), Value: fmt.Appendf(nil, "%d", i)}
	}
	for i, err := range p.Produce(ctx, recs...) {
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if recs[i].Offset < 0 {
			t.Fatalf("record %d has no offset", i)
		}
	}
	if got := cluster.Consume(t, "events", n, 10*time.Second); len(got) != n {
		t.Fatalf("consumed %d of %d", len(got), n)
	}
}

func TestProduceCanceledContextFailsRecords(t *testing.T) {
	cluster := kafkatest.New(t, "events")
	p, err := kafka.NewProducer(context.Background(), cluster.Config())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	errs := p.Produce(ctx, &kgo.Record{Topic: "events", Value: []byte("x")})
	if !errors.Is(errs[0], context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", errs[0])
	}
}

func TestNewProducerFailsWhenNoBrokerAnswers(t *testing.T) {
	// A port that refuses connections.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	cfg := kafka.DefaultConfig()
	cfg.Hosts = addr
	_, err = kafka.NewProducer(context.Background(), cfg, kafka.WithStartupTimeout(300*time.Millisecond))
	if err == nil || !strings.Contains(err.Error(), "fetch metadata from "+addr) {
		t.Fatalf("err = %v, want a metadata failure naming %s", err, addr)
	}
}

func TestProducerHealth(t *testing.T) {
	cluster := kafkatest.New(t, "events")
	var beats atomic.Int32
	p, err := kafka.NewProducer(context.Background(), cluster.Config(),
		kafka.WithHealthInterval(20*time.Millisecond),
		kafka.WithLiveness(func() { beats.Add(1) }))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if !p.Healthy() {
		t.Fatal("not healthy right after a successful start")
	}
	// Idle: the producer pings, so liveness keeps coming.
	waitFor(t, "three liveness beats while idle", func() bool { return beats.Load() >= 3 })
	if !p.Healthy() {
		t.Fatal("idle producer turned unhealthy while the cluster is up")
	}

	cluster.Close()
	waitFor(t, "unhealthy after the cluster stopped", func() bool { return !p.Healthy() })
	n := beats.Load()
	time.Sleep(100 * time.Millisecond)
	if beats.Load() != n {
		t.Errorf("liveness still reported while no broker answers (%d -> %d)", n, beats.Load())
	}
}

// waitFor polls cond for up to 10 s; it is a bound on a hang, not a timing assertion.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestProduceToMissingTopicFails(t *testing.T) {
	cluster := kafkatest.New(t, "events")
	ctx := context.Background()
	p, err := kafka.NewProducer(ctx, cluster.Config())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	errs := p.Produce(ctx,
		&kgo.Record{Topic: "missing", Value: []byte("x")},
		&kgo.Record{Topic: "events", Value: []byte("y")})
	if !errors.Is(errs[0], kerr.UnknownTopicOrPartition) || !strings.Contains(errs[0].Error(), "produce to missing") {
		t.Errorf("missing topic: err = %v", errs[0])
	}
	if errs[1] != nil {
		t.Errorf("existing topic: err = %v", errs[1])
	}
}
