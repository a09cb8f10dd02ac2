package types

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkCaptureEncode is capture's hot path for one request: parse the
// payload, then build each event's data and CapturedEvent JSON.
func BenchmarkCaptureEncode(b *testing.B) {
	for _, name := range []string{"single_event_payload.json", "batch_events_payload.json", "single_replay_event_payload.json"} {
		payload, err := os.ReadFile(filepath.Join(conformanceDir(b), "fixtures", name))
		if err != nil {
			b.Fatal(err)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, payload); err != nil {
			b.Fatal(err)
		}
		benchCaptureEncode(b, name, payload)
		benchCaptureEncode(b, "compact_"+name, compact.Bytes())
	}
}

func benchCaptureEncode(b *testing.B, name string, payload []byte) {
	{
		b.Run(name, func(b *testing.B) {
			now := time.Date(2024, 4, 17, 14, 40, 56, 918578000, time.UTC)
			var buf, data []byte
			b.SetBytes(int64(len(payload)))
			b.ReportAllocs()
			for b.Loop() {
				req, err := ParseRawRequest(payload)
				if err != nil {
					b.Fatal(err)
				}
				for i := range req.Events {
					ev := &req.Events[i]
					data = ev.AppendJSON(data[:0])
					did, _ := ev.ExtractDistinctID()
					tok, _ := ev.ExtractToken()
					ce := CapturedEvent{DistinctID: did, IP: "127.0.0.1", Data: string(data), Now: FormatTimestamp(now),
						Token: tok, Event: ev.Event, Timestamp: now}
					buf = ce.AppendJSON(buf[:0])
				}
			}
		})
	}
}

func BenchmarkParseRawRequest(b *testing.B) {
	payload, err := os.ReadFile(filepath.Join(conformanceDir(b), "fixtures", "batch_events_payload.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseRawRequest(payload); err != nil {
			b.Fatal(err)
		}
	}
}
