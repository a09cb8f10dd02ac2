package sink

import (
	"testing"

	"github.com/hoggo/capture/internal/event"
	"github.com/hoggo/common/kafka"
	"github.com/hoggo/common/types"
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
		rec := topics.Record(&c.m, []byte("{}"))
		fdpp, ok := kafka.HeaderValue(rec.Headers, "force_disable_person_processing")
		if c.persons != (ok && fdpp == "true") {
			t.Errorf("%s: fdpp header %q %v", c.name, fdpp, ok)
		}
		if hist, _ := kafka.HeaderValue(rec.Headers, "historical_migration"); hist != map[bool]string{true: "true", false: "false"}[topic == "historical"] {
			t.Errorf("%s: historical_migration header %q", c.name, hist)
		}
	}
	cookieless := Message{DataType: event.AnalyticsMain, Event: types.CapturedEvent{Token: "t", DistinctID: "d", IP: "9.9.9.9", IsCookielessMode: true}}
	if _, key, _ := topics.Route(&cookieless); string(key) != "t:9.9.9.9" {
		t.Errorf("cookieless key %q", key)
	}
}
