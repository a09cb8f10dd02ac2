package event

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hoggo/capture/internal/payload"
	"github.com/hoggo/common/types"
)

// BenchmarkProcess measures CapturedEvent building (distinct_id, uuid,
// timestamp, data re-serialisation) for the single-event fixture.
func BenchmarkProcess(b *testing.B) {
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			break
		}
		if parent := filepath.Dir(dir); parent != dir {
			dir = parent
		} else {
			b.Skip("go.work not found")
		}
	}
	text, err := os.ReadFile(filepath.Join(dir, "..", "shared", "conformance", "capture", "fixtures", "single_event_payload.json"))
	if err != nil {
		b.Fatal(err)
	}
	body, err := payload.ParseBody(text, "/e")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2025, 7, 1, 0, 0, 1, 0, time.UTC)
	ctx := &Context{Token: "phc_x", Now: now, NowString: types.FormatTimestamp(now), ClientIP: "127.0.0.1"}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Process(ctx, body.Events); err != nil {
			b.Fatal(err)
		}
	}
}
