package analyticsv1

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/hoggo/common/conformance"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/hoggo/common/types"
)

// conformanceDir is the shared capture conformance folder.
func conformanceDir(tb testing.TB) string {
	tb.Helper()
	return conformance.Dir(tb, "capture")
}

// FuzzDecodeBatch feeds arbitrary bodies through the v1 decoder and the
// per-event validation and serialisation: they must never panic, and every
// accepted body must yield one result per event.
func FuzzDecodeBatch(f *testing.F) {
	f.Add(batchBody(ev(uuidN(1), "$pageview", "user-42", `,"session_id":"s","options":{"cookieless_mode":"1","product_tour_id":5},"properties":{"a":1}`)))
	f.Add(batchBody(ev(uuidN(1), "", "  ", `,"properties":[]`), ev(uuidN(2), "e", "anonymous", `,"options":[]`)))
	f.Add([]byte(`{"created_at":"2026-03-19T14:30:00Z","batch":[]}`))
	f.Add([]byte(`{"created_at":"x","historical_migration":true,"capture_internal":true,"batch":[{"event":"e","uuid":"u","distinct_id":"d","timestamp":"t","properties":{ }}]}`))
	for _, name := range []string{"single_event_payload.json", "batch_events_payload.json"} {
		if b, err := os.ReadFile(filepath.Join(conformanceDir(f), "fixtures", name)); err == nil {
			f.Add(b)
		}
	}
	ctx := &requestContext{token: "phc_t", clientIP: "1.2.3.4", lib: "posthog-go", libVersion: "1.0.0",
		clientTimestamp: testNow.Add(time.Second), serverReceivedAt: testNow}
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := DecodeBatch(body)
		std, stdErr := decodeBatchStd(body)
		if err != nil {
			return
		}
		// The one-pass decoder is never more lenient than encoding/json.
		if stdErr != nil {
			t.Fatalf("accepted what encoding/json rejects (%v): %q", stdErr, body)
		}
		if !hasCaseVariantKey(body) && !reflect.DeepEqual(normalize(b), normalize(std)) {
			t.Fatalf("decoders disagree on %q:\n%+v\n%+v", body, b, std)
		}
		events, e := validateBatch(b, ctx)
		if e != nil {
			if e.Status != 400 {
				t.Fatalf("status %d", e.Status)
			}
			return
		}
		if len(events) != len(b.Events) {
			t.Fatalf("%d results for %d events", len(events), len(b.Events))
		}
		h := NewHandler(Options{Topics: testTopics})
		var buf []byte
		for i := range events {
			if !events[i].publishable() {
				continue
			}
			var r *kgo.Record
			r, buf = h.record(&events[i], b, ctx, "now", buf)
			var ce types.CapturedEvent
			if err := json.Unmarshal(r.Value, &ce); err != nil {
				t.Fatalf("record %s: %v", r.Value, err)
			}
			if !json.Valid([]byte(ce.Data)) {
				t.Fatalf("data is not JSON: %s", ce.Data)
			}
		}
		_ = newResults(events).appendJSON(nil)
	})
}

// caseVariantKey finds keys encoding/json would match case-insensitively
// to a known field; there the two decoders legitimately differ.
var caseVariantKey = regexp.MustCompile(`(?i)"(created_at|historical_migration|capture_internal|batch|event|uuid|distinct_id|timestamp|session_id|window_id|options|properties)"`)

func hasCaseVariantKey(body []byte) bool {
	if bytes.Contains(body, []byte(`\u`)) {
		return true // a \u-escaped key may spell a case variant
	}
	for _, m := range caseVariantKey.FindAll(body, -1) {
		if !bytes.Equal(m, bytes.ToLower(m)) {
			return true
		}
	}
	return false
}

// normalize makes decoded batches comparable: raw values compacted.
func normalize(b *Batch) *Batch {
	out := *b
	out.Events = append([]Event(nil), b.Events...)
	for i := range out.Events {
		out.Events[i].Options = compact(out.Events[i].Options)
		out.Events[i].Properties = compact(out.Events[i].Properties)
	}
	return &out
}

func compact(raw json.RawMessage) json.RawMessage {
	if raw == nil {
		return nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return raw
	}
	return buf.Bytes()
}
