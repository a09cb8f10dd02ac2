package kafka

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Produce through a producer with Stats against a kfake broker, then read
// the gauges after a refresh: the broker is up and named host:port/id, the
// batch averages and RTT quantiles reflect what was sent, the limits are
// the config's; after the broker goes away the producer marks it down.
func TestStatsGauges(t *testing.T) {
	kc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "stats"))
	if err != nil {
		t.Fatal(err)
	}
	addr := kc.ListenAddrs()[0]
	reg := prometheus.NewRegistry()
	s := NewStats(reg, "svc")
	cfg := DefaultConfig()
	cfg.Hosts = addr
	cfg.ProducerLingerMs = 0
	cfg.ProducerQueueMessages = 1234
	cfg.ProducerQueueMiB = 3
	p, err := NewProducer(context.Background(), cfg, WithStats(s), WithHealthInterval(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	for i := range 20 {
		recs := make([]*kgo.Record, 5)
		for j := range recs {
			recs[j] = &kgo.Record{Topic: "stats", Value: []byte(strings.Repeat("x", 100+i))}
		}
		for _, err := range p.Produce(context.Background(), recs...) {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	s.refresh(p.Client())

	broker := addr + "/0"
	if got := testutil.ToFloat64(s.connected.WithLabelValues(broker)); got != 1 {
		t.Errorf("broker_connected{%s} = %v, want 1", broker, got)
	}
	if got := testutil.ToFloat64(s.anyDown); got != 0 {
		t.Errorf("any_brokers_down = %v", got)
	}
	if got := testutil.ToFloat64(s.avgBatchEvents.WithLabelValues("stats")); got < 1 || got > 5 {
		t.Errorf("avg batch events = %v, want 1..5", got)
	}
	if got := testutil.ToFloat64(s.avgBatchBytes.WithLabelValues("stats")); got < 100 {
		t.Errorf("avg batch bytes = %v", got)
	}
	p50 := testutil.ToFloat64(s.rtt.WithLabelValues("p50", broker))
	p99 := testutil.ToFloat64(s.rtt.WithLabelValues("p99", broker))
	if p50 <= 0 || p99 < p50 || p99 > 5e6 {
		t.Errorf("rtt p50 %v p99 %v µs", p50, p99)
	}
	if got := testutil.ToFloat64(s.awaiting.WithLabelValues(broker)); got != 0 {
		t.Errorf("responses awaiting = %v after every produce returned", got)
	}
	time.Sleep(120 * time.Millisecond) // run() has set the limits
	if testutil.ToFloat64(s.queueDepthLimit) != 1234 || testutil.ToFloat64(s.queueBytesLimit) != 3<<20 {
		t.Errorf("limits %v %v", testutil.ToFloat64(s.queueDepthLimit), testutil.ToFloat64(s.queueBytesLimit))
	}

	// An idempotent record in flight is never failed, so the check after
	// the broker leaves uses requests that may fail: pings until a dial to
	// the known broker has failed.
	kc.Close()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		_ = p.Client().Ping(ctx)
		cancel()
		s.refresh(p.Client())
		if testutil.ToFloat64(s.anyDown) == 1 {
			break
		}
	}
	if got := testutil.ToFloat64(s.anyDown); got != 1 {
		t.Errorf("any_brokers_down = %v after the broker closed, want 1", got)
	}
	if got := testutil.ToFloat64(s.connected.WithLabelValues(broker)); got != 0 {
		t.Errorf("broker_connected = %v after the broker closed", got)
	}
}

func TestNewStatsTwiceSharesCollectors(t *testing.T) {
	reg := prometheus.NewRegistry()
	a, b := NewStats(reg, "svc"), NewStats(reg, "svc")
	if a.anyDown != b.anyDown || a.rtt != b.rtt {
		t.Fatal("second Stats registered new collectors")
	}
}
