package kafka

import (
	"context"
	"errors"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/hoggo/common/metrics"
)

// produceKey is the Kafka API key of Produce requests.
const produceKey = 0

// maxRTTSamples bounds the round trips a broker keeps per interval for its
// quantiles; past it, newer samples replace random older ones (reservoir).
const maxRTTSamples = 4096

// Stats exports the producer gauges the reference reads from librdkafka's
// statistics callback every statistics.interval.ms (10 s):
// <prefix>_kafka_any_brokers_down, _producer_queue_depth(_limit),
// _producer_queue_bytes(_limit), _callback_queue_depth,
// _produce_avg_batch_size_bytes/_events{topic}, _broker_connected{broker},
// _produce_rtt_latency_us{quantile,broker}, _broker_requests_pending{broker},
// _broker_responses_awaiting{broker} and the _broker_tx_errors_total,
// _broker_rx_errors_total and _broker_request_timeouts{broker} counters.
//
// franz-go has no statistics callback; Stats is a set of client hooks and
// refreshes the gauges on the same interval. Brokers are labelled like
// librdkafka names them, "host:port/nodeid". Two gauges have no franz-go
// counterpart and stay 0: callback_queue_depth (acknowledgements run on the
// client's goroutines, nothing queues for a poll loop) and
// broker_requests_pending (franz-go builds a produce request only when it may
// send it).
type Stats struct {
	anyDown, queueDepth, queueDepthLimit, queueBytes, queueBytesLimit, callbackDepth prometheus.Gauge
	avgBatchBytes, avgBatchEvents                                                    *prometheus.GaugeVec
	connected, pending, awaiting, rtt                                                *prometheus.GaugeVec
	txErrors, rxErrors, timeouts                                                     *prometheus.CounterVec

	mu      sync.Mutex
	brokers map[int32]*brokerStats
	batches map[string]*batchStats
	seen    uint64 // RTT samples offered, for the reservoir
}

type brokerStats struct {
	name     string
	up       bool
	inFlight int
	rtts     []time.Duration
	offered  int
}

type batchStats struct {
	batches, records, bytes int
}

var (
	_ kgo.HookBrokerConnect       = (*Stats)(nil)
	_ kgo.HookBrokerWrite         = (*Stats)(nil)
	_ kgo.HookBrokerRead          = (*Stats)(nil)
	_ kgo.HookBrokerE2E           = (*Stats)(nil)
	_ kgo.HookProduceBatchWritten = (*Stats)(nil)
)

// NewStats registers the gauges, named prefix + "_kafka_...", with reg. A
// second Stats with the same prefix and registry (a service started twice in
// one process, as tests and the dev stack do) shares the first one's gauges.
func NewStats(reg prometheus.Registerer, prefix string) *Stats {
	p := prefix + "_kafka_"
	gauge := func(name, help string) prometheus.Gauge {
		return metrics.Register(reg, prometheus.NewGauge(prometheus.GaugeOpts{Name: p + name, Help: help}))
	}
	gaugeVec := func(name, help string, labels ...string) *prometheus.GaugeVec {
		return metrics.Register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: p + name, Help: help}, labels))
	}
	counterVec := func(name, help string) *prometheus.CounterVec {
		return metrics.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: p + name, Help: help}, []string{"broker"}))
	}
	return &Stats{
		anyDown:         gauge("any_brokers_down", "1 when a known broker is not reachable."),
		queueDepth:      gauge("producer_queue_depth", "Records buffered in the producer."),
		queueDepthLimit: gauge("producer_queue_depth_limit", "Most records the producer buffers."),
		queueBytes:      gauge("producer_queue_bytes", "Bytes buffered in the producer."),
		queueBytesLimit: gauge("producer_queue_bytes_limit", "Most bytes the producer buffers."),
		callbackDepth:   gauge("callback_queue_depth", "Acknowledgements waiting for a poll (always 0 with franz-go)."),
		avgBatchBytes:   gaugeVec("produce_avg_batch_size_bytes", "Mean bytes per produced batch over the last interval.", "topic"),
		avgBatchEvents:  gaugeVec("produce_avg_batch_size_events", "Mean records per produced batch over the last interval.", "topic"),
		connected:       gaugeVec("broker_connected", "1 when the broker is reachable.", "broker"),
		pending:         gaugeVec("broker_requests_pending", "Requests waiting to be sent (always 0 with franz-go).", "broker"),
		awaiting:        gaugeVec("broker_responses_awaiting", "Produce requests sent and not yet answered.", "broker"),
		rtt:             gaugeVec("produce_rtt_latency_us", "Produce round trip over the last interval, microseconds.", "quantile", "broker"),
		txErrors:        counterVec("broker_tx_errors_total", "Failed writes to the broker."),
		rxErrors:        counterVec("broker_rx_errors_total", "Failed reads from the broker."),
		timeouts:        counterVec("broker_request_timeouts", "Requests to the broker that timed out."),
		brokers:         make(map[int32]*brokerStats),
		batches:         make(map[string]*batchStats),
	}
}

// broker returns the state of meta's broker, or nil for a seed broker
// (franz-go's bootstrap connections have negative ids and no identity yet).
// s.mu must be held.
func (s *Stats) broker(meta kgo.BrokerMetadata) *brokerStats {
	if meta.NodeID < 0 {
		return nil
	}
	b := s.brokers[meta.NodeID]
	if b == nil {
		b = &brokerStats{name: net.JoinHostPort(meta.Host, strconv.Itoa(int(meta.Port))) + "/" + strconv.Itoa(int(meta.NodeID)), up: true}
		s.brokers[meta.NodeID] = b
	}
	return b
}

// OnBrokerConnect marks the broker up or down by the outcome of a dial.
func (s *Stats) OnBrokerConnect(meta kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.broker(meta); b != nil {
		b.up = err == nil
	}
}

// OnBrokerWrite counts write errors and produce requests put on the wire.
func (s *Stats) OnBrokerWrite(meta kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, err error) {
	s.mu.Lock()
	b := s.broker(meta)
	if b != nil && err == nil && key == produceKey {
		b.inFlight++
	}
	s.mu.Unlock()
	if b != nil && err != nil {
		s.txErrors.WithLabelValues(b.name).Inc()
	}
}

// OnBrokerRead counts read errors and timeouts; a good read proves the
// broker up, any read ends a produce request in flight.
func (s *Stats) OnBrokerRead(meta kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, err error) {
	s.mu.Lock()
	b := s.broker(meta)
	if b != nil {
		if key == produceKey && b.inFlight > 0 {
			b.inFlight--
		}
		if err == nil {
			b.up = true
		}
	}
	s.mu.Unlock()
	if b == nil || err == nil {
		return
	}
	s.rxErrors.WithLabelValues(b.name).Inc()
	var ne net.Error
	if errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		s.timeouts.WithLabelValues(b.name).Inc()
	}
}

// OnBrokerE2E samples the round trip of answered produce requests: write,
// wait for the answer, read (not the time queued before the write).
func (s *Stats) OnBrokerE2E(meta kgo.BrokerMetadata, key int16, e2e kgo.BrokerE2E) {
	if key != produceKey || e2e.Err() != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.broker(meta)
	if b == nil {
		return
	}
	b.offered++
	if len(b.rtts) < maxRTTSamples {
		b.rtts = append(b.rtts, e2e.DurationE2E())
		return
	}
	// Reservoir sampling with a cheap deterministic hash of the counter.
	s.seen = s.seen*6364136223846793005 + 1442695040888963407
	if i := int(s.seen>>33) % b.offered; i < maxRTTSamples {
		b.rtts[i] = e2e.DurationE2E()
	}
}

// OnProduceBatchWritten accumulates this interval's batch sizes per topic.
func (s *Stats) OnProduceBatchWritten(_ kgo.BrokerMetadata, topic string, _ int32, m kgo.ProduceBatchMetrics) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.batches[topic]
	if t == nil {
		t = new(batchStats)
		s.batches[topic] = t
	}
	t.batches++
	t.records += m.NumRecords
	t.bytes += m.CompressedBytes
}

// run refreshes the gauges every interval until ctx is done.
func (s *Stats) run(ctx context.Context, cl *kgo.Client, cfg Config, interval time.Duration) {
	s.queueDepthLimit.Set(float64(cfg.ProducerQueueMessages))
	s.queueBytesLimit.Set(float64(int64(cfg.ProducerQueueMiB) << 20))
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.refresh(cl)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// refresh publishes the interval's figures and starts a new interval.
func (s *Stats) refresh(cl *kgo.Client) {
	s.queueDepth.Set(float64(cl.BufferedProduceRecords()))
	s.queueBytes.Set(float64(cl.BufferedProduceBytes()))
	s.callbackDepth.Set(0)

	s.mu.Lock()
	defer s.mu.Unlock()
	down := 0.0
	for _, b := range s.brokers {
		up := 0.0
		if b.up {
			up = 1
		} else {
			down = 1
		}
		s.connected.WithLabelValues(b.name).Set(up)
		s.pending.WithLabelValues(b.name).Set(0)
		s.awaiting.WithLabelValues(b.name).Set(float64(b.inFlight))
		if len(b.rtts) > 0 {
			slices.Sort(b.rtts)
			for _, q := range []struct {
				label string
				p     float64
			}{{"p50", 0.50}, {"p90", 0.90}, {"p95", 0.95}, {"p99", 0.99}} {
				i := min(int(q.p*float64(len(b.rtts))), len(b.rtts)-1)
				s.rtt.WithLabelValues(q.label, b.name).Set(float64(b.rtts[i].Microseconds()))
			}
		}
		b.rtts, b.offered = b.rtts[:0], 0
	}
	s.anyDown.Set(down)
	for topic, t := range s.batches {
		if t.batches == 0 {
			s.avgBatchBytes.WithLabelValues(topic).Set(0)
			s.avgBatchEvents.WithLabelValues(topic).Set(0)
			continue
		}
		s.avgBatchBytes.WithLabelValues(topic).Set(float64(t.bytes) / float64(t.batches))
		s.avgBatchEvents.WithLabelValues(topic).Set(float64(t.records) / float64(t.batches))
		*t = batchStats{}
	}
}
