package sink

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hoggo/capture/internal/event"
	"github.com/hoggo/common/kafka"
	"github.com/hoggo/common/types"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/twmb/franz-go/pkg/kgo"
)

var topics = Topics{Main: "main", Overflow: "overflow", Historical: "historical", ClientWarnings: "warnings",
	Exceptions: "exceptions", Heatmaps: "heatmaps", DLQ: "dlq", Replay: "replay", ReplayOverflow: "replay_overflow"}

func TestRoutePrecedence(t *testing.T) {
	sid := "sess"
	ev := types.CapturedEvent{Token: "t", DistinctID: "d", IP: "1.2.3.4", SessionID: &sid}
	cases := []struct {
		name    string
		m       Message
		topic   string
		key     string // "-" = no key
		persons bool   // force_disable_person_processing
	}{
		{"main", Message{DataType: event.AnalyticsMain}, "main", "t:d", false},
		{"dlq wins", Message{DataType: event.AnalyticsHistorical, RedirectDLQ: true, ForceOverflow: true}, "dlq", "t:d", false},
		{"historical never overflows", Message{DataType: event.AnalyticsHistorical, Overflow: OverflowForced, ForceOverflow: true}, "historical", "t:d", false},
		{"restriction overflow", Message{DataType: event.AnalyticsMain, ForceOverflow: true, Overflow: OverflowForced}, "overflow", "t:d", false},
		{"forced overflow", Message{DataType: event.AnalyticsMain, Overflow: OverflowForced}, "overflow", "-", true},
		{"rate limited keeps key", Message{DataType: event.AnalyticsMain, Overflow: OverflowRateLimited}, "overflow", "t:d", false},
		{"rate limited, skip persons", Message{DataType: event.AnalyticsMain, Overflow: OverflowRateLimited, SkipPersonProcessing: true}, "overflow", "-", true},
		{"skip persons on main", Message{DataType: event.AnalyticsMain, SkipPersonProcessing: true}, "main", "-", true},
		{"warnings ignore overflow", Message{DataType: event.ClientIngestionWarning, Overflow: OverflowForced}, "warnings", "t:d", false},
		{"exceptions", Message{DataType: event.ExceptionMain, ForceOverflow: true}, "exceptions", "t:d", false},
		{"heatmaps", Message{DataType: event.HeatmapMain}, "heatmaps", "t:d", false},
		{"replay", Message{DataType: event.SnapshotMain}, "replay", "sess", false},
		{"replay overflow", Message{DataType: event.SnapshotMain, ForceOverflow: true}, "replay_overflow", "sess", false},
	}
	for _, c := range cases {
		c.m.Event = ev
		topic, key, persons := topics.Route(&c.m)
		k := string(key)
		if key == nil {
			k = "-"
		}
		if topic != c.topic || k != c.key || persons != c.persons {
			t.Errorf("%s: got %s %q %v, want %s %q %v", c.name, topic, k, persons, c.topic, c.key, c.persons)
		}
		rec := topics.Record(&c.m, []byte("{}"), time.Date(2025, 1, 2, 3, 4, 5, 6e6, time.UTC))
		fdpp, ok := kafka.HeaderValue(rec.Headers, "force_disable_person_processing")
		if c.persons != (ok && fdpp == "true") {
			t.Errorf("%s: fdpp header %q %v", c.name, fdpp, ok)
		}
		if _, ok := kafka.HeaderValue(rec.Headers, "historical_migration"); ok {
			t.Errorf("%s: historical_migration header set for a non-historical event", c.name)
		}
		reason, _ := kafka.HeaderValue(rec.Headers, "dlq_reason")
		step, _ := kafka.HeaderValue(rec.Headers, "dlq_step")
		ts, _ := kafka.HeaderValue(rec.Headers, "dlq_timestamp")
		if topic == "dlq" != (reason == "event_restriction" && step == "capture" && ts == "2025-01-02T03:04:05.006Z") {
			t.Errorf("%s: dlq headers %q %q %q", c.name, reason, step, ts)
		}
	}
	hist := Message{DataType: event.AnalyticsHistorical, Event: types.CapturedEvent{Token: "t", DistinctID: "d", HistoricalMigration: true}}
	if h, _ := kafka.HeaderValue(topics.Record(&hist, nil, time.Now()).Headers, "historical_migration"); h != "true" {
		t.Errorf("historical header %q", h)
	}
	cookieless := Message{DataType: event.AnalyticsMain, Event: types.CapturedEvent{Token: "t", DistinctID: "d", IP: "9.9.9.9", IsCookielessMode: true}}
	if _, key, _ := topics.Route(&cookieless); string(key) != "t:9.9.9.9" {
		t.Errorf("cookieless key %q", key)
	}
}

func TestPrintSink(t *testing.T) {
	var buf bytes.Buffer
	p := NewPrint(topics, slog.New(slog.NewJSONHandler(&buf, nil)))
	m := Message{DataType: event.AnalyticsMain, Event: types.CapturedEvent{Token: "t", DistinctID: "d", Event: "e"}}
	if err := p.Send(context.Background(), []Message{m}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{`"topic":"main"`, `"key":"t:d"`, `\"event\":\"e\"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log line %s lacks %s", out, want)
		}
	}
}

func TestCountProducedBytesPerTopic(t *testing.T) {
	before := func(topic string) float64 { return testutil.ToFloat64(produceBytes.WithLabelValues(topic)) }
	a, b := before("bytes-a"), before("bytes-b")
	countProducedBytes([]*kgo.Record{
		{Topic: "bytes-a", Value: make([]byte, 10)}, {Topic: "bytes-a", Value: make([]byte, 5)},
		{Topic: "bytes-b", Value: make([]byte, 7)}, {Topic: "bytes-a", Value: make([]byte, 1)},
	})
	if got := before("bytes-a") - a; got != 16 {
		t.Errorf("bytes-a +%v, want 16", got)
	}
	if got := before("bytes-b") - b; got != 7 {
		t.Errorf("bytes-b +%v, want 7", got)
	}
}
