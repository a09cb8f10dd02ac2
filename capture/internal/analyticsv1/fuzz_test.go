package analyticsv1

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/hoggo/common/types"
)

// conformanceDir is ../shared/conformance next to the workspace root.
func conformanceDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return filepath.Join(dir, "..", "shared", "conformance")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Skip("go.work not found")
		}
		dir = parent
	}
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
		if err != nil {
			return
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
