package recordings

import (
	"testing"
	"time"

	"github.com/hoggo/capture/internal/event"
	"github.com/hoggo/capture/internal/payload"
)

func TestLibFromUserAgent(t *testing.T) {
	for ua, want := range map[string]string{
		"":                         "unknown",
		"posthog-android/3.1.0":    "posthog-android",
		"PostHog-iOS/3.2 (iPhone)": "web", // case-sensitive, as in the reference
		"Mozilla/5.0 posthog-js":   "web", // only the product name counts
		"Mozilla/5.0 (X11; Linux)": "web",
		"posthog-react-native":     "posthog-react-native",
	} {
		if got := libFromUserAgent(ua); got != want {
			t.Errorf("libFromUserAgent(%q) = %q, want %q", ua, got, want)
		}
	}
}

func TestBuildSortedData(t *testing.T) {
	body, err := payload.ParseRecordingBody([]byte(`[{"event":"$snapshot","properties":{"token":"t","distinct_id":"d","$session_id":"s1","$snapshot_data":[{"b":1,"a":2}]}},{"event":"$snapshot","properties":{"$snapshot_data":{"c":3}}}]`))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	ce, err := Build(&event.Context{Token: "t", Now: now, NowString: "n", ClientIP: "ip"}, body.Events, "posthog-ios/1.0")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"event":"$snapshot_items","properties":{"$lib":"posthog-ios","$session_id":"s1","$snapshot_items":[{"b":1,"a":2},{"c":3}],"$snapshot_source":"web","$window_id":"s1","distinct_id":"d"}}`
	if ce.Data != want {
		t.Errorf("data\n got  %s\n want %s", ce.Data, want)
	}
	if ce.Event != EventName || *ce.SessionID != "s1" || ce.DistinctID != "d" || !ce.Timestamp.Equal(now) {
		t.Errorf("event %+v", ce)
	}
}
