package sink

import (
	"context"
	"log/slog"
	"time"
)

// Print logs every message instead of producing it (PRINT_SINK=true, for
// running capture without Kafka). Routing is computed as for Kafka so the
// log shows where each event would go.
type Print struct {
	topics Topics
	log    *slog.Logger
}

// NewPrint returns a sink logging to log.
func NewPrint(topics Topics, log *slog.Logger) *Print {
	return &Print{topics: topics, log: log}
}

// Send logs one line per message with its topic, key and value.
func (p *Print) Send(ctx context.Context, msgs []Message) error {
	now := time.Now()
	for i := range msgs {
		value := msgs[i].Event.AppendJSON(nil)
		rec := p.topics.Record(&msgs[i], value, now)
		p.log.InfoContext(ctx, "captured event", "topic", rec.Topic, "key", string(rec.Key), "value", string(value))
		ingested.Inc()
	}
	return nil
}

// Noop drops every message and counts it as ingested (NOOP_SINK=true, for
// load tests of everything in front of Kafka).
type Noop struct{}

// Send counts msgs and drops them.
func (Noop) Send(_ context.Context, msgs []Message) error {
	batchSize.Observe(float64(len(msgs)))
	ingested.Add(float64(len(msgs)))
	return nil
}
