// Package sink writes captured events to Kafka: it picks the topic, key and
// headers of every event (capture spec §2.3, §4.7 routing) and waits for the
// acknowledgements, mapping failures to the reference's client errors.
package sink

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/hoggo/capture/internal/apierr"
	"github.com/hoggo/capture/internal/event"
	"github.com/hoggo/common/kafka"
	"github.com/hoggo/common/types"
)

// Topics are the output topics, named by their env vars in Config.
type Topics struct {
	Main           string
	Overflow       string
	Historical     string
	ClientWarnings string
	Exceptions     string
	Heatmaps       string
	DLQ            string
	Replay         string
	ReplayOverflow string
}

// Overflow is the overflow limiter's verdict for an event.
type Overflow int

// Overflow verdicts.
const (
	OverflowNone        Overflow = iota
	OverflowForced               // key listed in INGESTION_FORCE_OVERFLOW_BY_TOKEN_DISTINCT_ID
	OverflowRateLimited          // per-key rate exceeded
)

// Message is one event with its routing decisions.
type Message struct {
	Event    types.CapturedEvent
	DataType event.DataType
	Overflow Overflow
	// Restriction outcomes (event restrictions from Redis).
	ForceOverflow        bool
	SkipPersonProcessing bool
	RedirectDLQ          bool
}

var (
	ingested = promauto.NewCounter(prometheus.CounterOpts{
		Name: "capture_events_ingested_total", Help: "Events acknowledged by Kafka.",
	})
	produceErrors = promauto.NewCounter(prometheus.CounterOpts{
		Name: "capture_kafka_produce_errors_total", Help: "Kafka produce failures.",
	})
	// Dropped counts events capture did not write, by cause.
	Dropped = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "capture_events_dropped_total", Help: "Events dropped, by cause.",
	}, []string{"cause"})
	reroutedDLQ = promauto.NewCounter(prometheus.CounterOpts{
		Name: "capture_events_rerouted_dlq", Help: "Events sent to the DLQ topic by a restriction.",
		ConstLabels: prometheus.Labels{"reason": "event_restriction"},
	})
	produceBytes = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "capture_kafka_produce_bytes_total", Help: "Bytes of record values handed to the producer, by topic.",
	}, []string{"topic"})
	batchSize = promauto.NewHistogram(prometheus.HistogramOpts{
		Name:    "capture_event_batch_size",
		Help:    "Events per produced request.",
		Buckets: []float64{1, 10, 25, 50, 75, 100, 250, 500, 750, 1000},
	})
)

// Sink delivers captured events: Kafka in production, Print for
// PRINT_SINK=true. Send returns once every message is stored (or failed).
type Sink interface {
	Send(ctx context.Context, msgs []Message) error
}

// Kafka is the Kafka sink.
type Kafka struct {
	producer *kafka.Producer
	topics   Topics
	replay   Envelope
}

// NewKafka returns a sink writing through producer.
func NewKafka(producer *kafka.Producer, topics Topics) *Kafka {
	return &Kafka{producer: producer, topics: topics}
}

// WithReplayEnvelope wraps every replay record's value in e
// (KAFKA_REPLAY_ENVELOPE_COMPRESSION) and returns k.
func (k *Kafka) WithReplayEnvelope(e Envelope) *Kafka {
	k.replay = e
	return k
}

// Topics returns the configured topics.
func (k *Kafka) Topics() Topics { return k.topics }

// Route returns the topic, key (nil = unkeyed) and whether the
// force_disable_person_processing header is set, by the reference's
// precedence: DLQ > historical > restriction overflow > limiter overflow > main.
// Warnings, heatmaps and exceptions ignore overflow.
func (t Topics) Route(m *Message) (topic string, key []byte, disablePersons bool) {
	e := &m.Event
	disablePersons = m.SkipPersonProcessing
	keyed := func() []byte {
		if m.SkipPersonProcessing {
			return nil
		}
		return []byte(e.Key())
	}
	switch m.DataType {
	case event.SnapshotMain:
		topic = t.Replay
		if m.ForceOverflow {
			topic = t.ReplayOverflow
		}
		return topic, []byte(sessionID(e)), disablePersons
	}
	if m.RedirectDLQ {
		return t.DLQ, keyed(), disablePersons
	}
	switch m.DataType {
	case event.ClientIngestionWarning:
		return t.ClientWarnings, keyed(), disablePersons
	case event.HeatmapMain:
		return t.Heatmaps, keyed(), disablePersons
	case event.ExceptionMain:
		return t.Exceptions, keyed(), disablePersons
	}
	switch {
	case m.DataType == event.AnalyticsHistorical:
		return t.Historical, keyed(), disablePersons
	case m.ForceOverflow:
		return t.Overflow, keyed(), disablePersons
	case m.Overflow == OverflowForced:
		return t.Overflow, nil, true
	case m.Overflow == OverflowRateLimited:
		return t.Overflow, keyed(), disablePersons
	}
	return t.Main, keyed(), disablePersons
}

func sessionID(e *types.CapturedEvent) string {
	if e.SessionID != nil {
		return *e.SessionID
	}
	return ""
}

// Record builds the Kafka record of m. Headers are the CapturedEvent's
// (historical_migration only when true), force_disable_person_processing
// when person processing is off, and the DLQ set on the DLQ lane.
func (t Topics) Record(m *Message, value []byte, now time.Time) *kgo.Record {
	topic, key, disablePersons := t.Route(m)
	h := m.Event.ToHeaders()
	if disablePersons {
		h.ForceDisablePersonProcessing = &disablePersons
	}
	if m.RedirectDLQ && m.DataType != event.SnapshotMain {
		reason, step, ts := "event_restriction", "capture", now.UTC().Format("2006-01-02T15:04:05.000Z")
		h.DLQReason, h.DLQStep, h.DLQTimestamp = &reason, &step, &ts
		reroutedDLQ.Inc()
	}
	return &kgo.Record{Topic: topic, Key: key, Value: value, Headers: h.ToKafka()}
}

// Send produces every message and waits for all acknowledgements. Messages
// are enqueued in order; the first failure fails the request (503, or 413
// for a message over the broker's size limit), and the client retries the
// whole request (downstream deduplicates by uuid).
func (k *Kafka) Send(ctx context.Context, msgs []Message) error {
	if len(msgs) == 0 {
		return nil
	}
	// The client may hang up; what was enqueued must still get its answer.
	ctx = context.WithoutCancel(ctx)
	recs := make([]*kgo.Record, len(msgs))
	now := time.Now()
	size := 0
	for i := range msgs {
		// data is escaped into a JSON string (quotes double) next to
		// about 300 bytes of other fields; growing the buffer midway
		// would copy everything written so far.
		d := len(msgs[i].Event.Data)
		size += d + d/4 + 512
	}
	buf := make([]byte, 0, size)
	for i := range msgs {
		start := len(buf)
		buf = msgs[i].Event.AppendJSON(buf)
		recs[i] = k.topics.Record(&msgs[i], buf[start:len(buf):len(buf)], now)
		if msgs[i].DataType == event.SnapshotMain && k.replay != EnvelopeNone {
			if err := wrapReplay(recs[i], k.replay); err != nil {
				return err
			}
		}
	}
	batchSize.Observe(float64(len(msgs)))
	countProducedBytes(recs)
	return k.produce(ctx, recs)
}

// countProducedBytes adds each record's value size to its topic's counter,
// one label lookup per run of records bound for the same topic (a batch
// usually has one).
func countProducedBytes(recs []*kgo.Record) {
	for i := 0; i < len(recs); {
		topic, n := recs[i].Topic, 0
		for ; i < len(recs) && recs[i].Topic == topic; i++ {
			n += len(recs[i].Value)
		}
		produceBytes.WithLabelValues(topic).Add(float64(n))
	}
}

// wrapReplay puts rec's value in e and adds the content-encoding header
// consumers key off (after the event's own headers, as the reference does).
// The reference answers a compression failure as a non-retryable sink
// error; with a buffer of CompressBlockBound size it cannot happen.
func wrapReplay(rec *kgo.Record, e Envelope) error {
	v, err := e.Wrap(rec.Value)
	if err != nil {
		return apierr.Wrap(apierr.NonRetryableSink, "", err)
	}
	rec.Value = v
	rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: "content-encoding", Value: []byte(e.ContentEncoding())})
	return nil
}

func (k *Kafka) produce(ctx context.Context, recs []*kgo.Record) error {
	errs := k.producer.Produce(ctx, recs...)
	var first error
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		produceErrors.Inc()
		if first == nil {
			first = err
		}
	}
	ingested.Add(float64(ok))
	if first == nil {
		return nil
	}
	if errors.Is(first, kerr.MessageTooLarge) || errors.Is(first, kerr.RecordListTooLarge) {
		Dropped.WithLabelValues("kafka_message_size").Inc()
		return apierr.Wrap(apierr.EventTooBig, "event rejected by kafka for its size", first)
	}
	Dropped.WithLabelValues("kafka_write_error").Add(float64(len(recs) - ok))
	return apierr.Wrap(apierr.RetryableSink, "", first)
}
