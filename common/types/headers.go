package types

import (
	"strconv"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kgo"
)

// CapturedEventHeaders are the Kafka headers of a captured event
// (common-and-stack.md §2.5, capture.md §2.3.3). nil means absent.
type CapturedEventHeaders struct {
	Token      *string
	DistinctID *string
	SessionID  *string
	// Timestamp is the event time in epoch milliseconds, as a decimal string.
	Timestamp                    *string
	Event                        *string
	UUID                         *string
	Now                          *string
	ForceDisablePersonProcessing *bool
	HistoricalMigration          *bool
	SkipHeatmapProcessing        *bool
	InternalProducer             *bool
	DLQReason                    *string
	DLQStep                      *string
	DLQTimestamp                 *string
	ContentEncoding              *string
}

// ToKafka returns the headers in the reference's order. token, distinct_id,
// session_id, timestamp, event, uuid, now, force_disable_person_processing
// and historical_migration are always present (with a nil value when
// absent); skip_heatmap_processing, internal_producer, dlq_reason, dlq_step,
// dlq_timestamp and content-encoding only when set. Booleans are "true"/"false".
func (h *CapturedEventHeaders) ToKafka() []kgo.RecordHeader {
	out := make([]kgo.RecordHeader, 0, 9)
	out = append(out,
		kgo.RecordHeader{Key: "token", Value: strValue(h.Token)},
		kgo.RecordHeader{Key: "distinct_id", Value: strValue(h.DistinctID)},
		kgo.RecordHeader{Key: "session_id", Value: strValue(h.SessionID)},
		kgo.RecordHeader{Key: "timestamp", Value: strValue(h.Timestamp)},
		kgo.RecordHeader{Key: "event", Value: strValue(h.Event)},
		kgo.RecordHeader{Key: "uuid", Value: strValue(h.UUID)},
		kgo.RecordHeader{Key: "now", Value: strValue(h.Now)},
		kgo.RecordHeader{Key: "force_disable_person_processing", Value: boolValue(h.ForceDisablePersonProcessing)},
		kgo.RecordHeader{Key: "historical_migration", Value: boolValue(h.HistoricalMigration)},
	)
	if h.SkipHeatmapProcessing != nil {
		out = append(out, kgo.RecordHeader{Key: "skip_heatmap_processing", Value: boolValue(h.SkipHeatmapProcessing)})
	}
	if h.InternalProducer != nil {
		out = append(out, kgo.RecordHeader{Key: "internal_producer", Value: boolValue(h.InternalProducer)})
	}
	if h.DLQReason != nil {
		out = append(out, kgo.RecordHeader{Key: "dlq_reason", Value: strValue(h.DLQReason)})
	}
	if h.DLQStep != nil {
		out = append(out, kgo.RecordHeader{Key: "dlq_step", Value: strValue(h.DLQStep)})
	}
	if h.DLQTimestamp != nil {
		out = append(out, kgo.RecordHeader{Key: "dlq_timestamp", Value: strValue(h.DLQTimestamp)})
	}
	if h.ContentEncoding != nil {
		out = append(out, kgo.RecordHeader{Key: "content-encoding", Value: strValue(h.ContentEncoding)})
	}
	return out
}

// HeadersFromKafka reads headers back. nil and non-UTF-8 values are ignored,
// a repeated key keeps its last value, and booleans other than exactly
// "true"/"false" become absent (Rust's bool::from_str).
func HeadersFromKafka(hs []kgo.RecordHeader) CapturedEventHeaders {
	var h CapturedEventHeaders
	for _, kh := range hs {
		if kh.Value == nil || !utf8.Valid(kh.Value) {
			continue
		}
		v := string(kh.Value)
		switch kh.Key {
		case "token":
			h.Token = &v
		case "distinct_id":
			h.DistinctID = &v
		case "session_id":
			h.SessionID = &v
		case "timestamp":
			h.Timestamp = &v
		case "event":
			h.Event = &v
		case "uuid":
			h.UUID = &v
		case "now":
			h.Now = &v
		case "force_disable_person_processing":
			h.ForceDisablePersonProcessing = parseRustBool(v)
		case "historical_migration":
			h.HistoricalMigration = parseRustBool(v)
		case "skip_heatmap_processing":
			h.SkipHeatmapProcessing = parseRustBool(v)
		case "internal_producer":
			h.InternalProducer = parseRustBool(v)
		case "dlq_reason":
			h.DLQReason = &v
		case "dlq_step":
			h.DLQStep = &v
		case "dlq_timestamp":
			h.DLQTimestamp = &v
		case "content-encoding":
			h.ContentEncoding = &v
		}
	}
	return h
}

// FromKafka replaces h with the headers read from hs (see HeadersFromKafka).
func (h *CapturedEventHeaders) FromKafka(hs []kgo.RecordHeader) {
	*h = HeadersFromKafka(hs)
}

func strValue(s *string) []byte {
	if s == nil {
		return nil
	}
	if *s == "" {
		return []byte{}
	}
	return []byte(*s)
}

func boolValue(b *bool) []byte {
	if b == nil {
		return nil
	}
	return []byte(strconv.FormatBool(*b))
}

// parseRustBool accepts exactly "true" and "false", like Rust's bool parser
// (strconv.ParseBool would also take "1", "T", ...).
func parseRustBool(s string) *bool {
	switch s {
	case "true":
		return new(true)
	case "false":
		return new(false)
	}
	return nil
}
