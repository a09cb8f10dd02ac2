package api

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/hoggo/capture/internal/event"
	"github.com/hoggo/capture/internal/payload"
	"github.com/hoggo/common/types"
)

// batchOf50 builds a /batch body of 50 realistic events from the batch fixture.
func batchOf50(tb testing.TB) []byte {
	var fx struct {
		APIKey string            `json:"api_key"`
		Batch  []json.RawMessage `json:"batch"`
	}
	if err := json.Unmarshal(fixture(tb, "batch_events_payload.json"), &fx); err != nil {
		tb.Fatal(err)
	}
	var single json.RawMessage = fixture(tb, "single_event_payload.json")
	events := make([]json.RawMessage, 0, 50)
	for len(events) < 50 {
		events = append(events, fx.Batch...)
		events = append(events, single)
	}
	out, err := json.Marshal(map[string]any{"api_key": fx.APIKey, "batch": events[:50]})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// BenchmarkDecodeAndSerialize measures the CPU path of a 50-event gzip
// batch: gunzip, parse, validate, build CapturedEvents and serialise the
// Kafka values. Bytes are the uncompressed JSON.
func BenchmarkDecodeAndSerialize(b *testing.B) {
	plain := batchOf50(b)
	body := gzipBytes(b, plain)
	now := time.Date(2025, 7, 1, 0, 0, 5, 0, time.UTC)
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	var out []byte
	for b.Loop() {
		dec, err := payload.Decode(payload.Input{Path: "/batch", Body: body, Limit: 100 << 20})
		if err != nil {
			b.Fatal(err)
		}
		parsed, err := payload.ParseBody(dec.Text, "/batch")
		if err != nil {
			b.Fatal(err)
		}
		tok, err := event.ExtractToken(parsed)
		if err != nil {
			b.Fatal(err)
		}
		ctx := &event.Context{Token: tok, Now: now, NowString: types.FormatTimestamp(now), ClientIP: "127.0.0.1"}
		processed, err := event.Process(ctx, parsed.Events)
		if err != nil {
			b.Fatal(err)
		}
		out = out[:0]
		for i := range processed {
			out = processed[i].Event.AppendJSON(out)
		}
	}
	if !bytes.Contains(out, []byte(`"$pageview"`)) {
		b.Fatal("unexpected output")
	}
}
