package types

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// The node /batch/ case of requests_dump.jsonl, as current capture emits it.
func nodeCaptured(t *testing.T) CapturedEvent {
	ev := mustParse(t, `{"distinct_id":"id1","event":"this event","properties":{"$lib":"posthog-node","$lib_version":"4.0.0","$geoip_disable":true},"type":"capture","library":"posthog-node","library_version":"4.0.0","timestamp":"2024-04-17T14:40:56.900Z","uuid":"018eec80-f044-7c2d-b966-35efc8ed61d5"}`)
	return CapturedEvent{
		UUID:       *ev.UUID,
		DistinctID: "id1",
		IP:         "127.0.0.1",
		Data:       string(ev.AppendJSON(nil)),
		Now:        FormatTimestamp(mustTime(t, "2024-04-17T14:40:56.918578+00:00")),
		SentAt:     new(mustTime(t, "2024-04-17T14:40:56.900000+00:00")),
		Token:      "phc_NVZOyYb8hX2GDs80mQd072OT0WUrAbdQom4XeCV5Nfh",
		Event:      "this event",
		Timestamp:  mustTime(t, "2024-04-17T14:40:56.900Z"),
	}
}

const nodeGolden = `{"uuid":"018eec80-f044-7c2d-b966-35efc8ed61d5","distinct_id":"id1","ip":"127.0.0.1",` +
	`"data":"{\"distinct_id\":\"id1\",\"uuid\":\"018eec80-f044-7c2d-b966-35efc8ed61d5\",\"event\":\"this event\",\"properties\":{\"$lib\":\"posthog-node\",\"$lib_version\":\"4.0.0\",\"$geoip_disable\":true},\"timestamp\":\"2024-04-17T14:40:56.900Z\"}",` +
	`"now":"2024-04-17T14:40:56.918578Z","sent_at":"2024-04-17T14:40:56.9Z",` +
	`"token":"phc_NVZOyYb8hX2GDs80mQd072OT0WUrAbdQom4XeCV5Nfh","event":"this event","timestamp":"2024-04-17T14:40:56.900Z"}`

func TestCapturedEventGolden(t *testing.T) {
	e := nodeCaptured(t)
	if got := string(e.AppendJSON(nil)); got != nodeGolden {
		t.Fatalf("got  %s\nwant %s", got, nodeGolden)
	}
	if got, _ := json.Marshal(e); string(got) != nodeGolden {
		t.Fatalf("json.Marshal: %s", got)
	}

	// The temporal batch-export case: no sent_at, historical, cookieless.
	hist := CapturedEvent{
		UUID:                uuid.MustParse("f4b76ba7-e0ff-4da7-90d5-6e90f68edc2e"),
		DistinctID:          "baa928cb-58b5-4f4f-8ed4-bdc33348bdcc",
		SessionID:           new("never-serialised"),
		IP:                  "127.0.0.1",
		Data:                `{"uuid":"f4b76ba7-e0ff-4da7-90d5-6e90f68edc2e","event":"test-no-prop-0"}`,
		Now:                 "2024-04-29T14:49:29.5537Z",
		Token:               "abcdef123456",
		Event:               "test-no-prop-0",
		Timestamp:           mustTime(t, "2023-04-24T06:34:00+00:00"),
		IsCookielessMode:    true,
		HistoricalMigration: true,
	}
	want := `{"uuid":"f4b76ba7-e0ff-4da7-90d5-6e90f68edc2e","distinct_id":"baa928cb-58b5-4f4f-8ed4-bdc33348bdcc","ip":"127.0.0.1",` +
		`"data":"{\"uuid\":\"f4b76ba7-e0ff-4da7-90d5-6e90f68edc2e\",\"event\":\"test-no-prop-0\"}","now":"2024-04-29T14:49:29.5537Z",` +
		`"token":"abcdef123456","event":"test-no-prop-0","timestamp":"2023-04-24T06:34:00Z","is_cookieless_mode":true,"historical_migration":true}`
	if got := string(hist.AppendJSON(nil)); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if hist.Key() != "abcdef123456:127.0.0.1" {
		t.Errorf("cookieless key %q", hist.Key())
	}
	if e.Key() != "phc_NVZOyYb8hX2GDs80mQd072OT0WUrAbdQom4XeCV5Nfh:id1" {
		t.Errorf("key %q", e.Key())
	}
}

func TestCapturedEventRoundTrip(t *testing.T) {
	e := nodeCaptured(t)
	var back CapturedEvent
	if err := json.Unmarshal([]byte(nodeGolden), &back); err != nil {
		t.Fatal(err)
	}
	if got := string(back.AppendJSON(nil)); got != nodeGolden {
		t.Fatalf("re-encoded %s", got)
	}
	if !back.SentAt.Equal(*e.SentAt) || !back.Timestamp.Equal(e.Timestamp) || back.Data != e.Data {
		t.Fatalf("decoded %+v", back)
	}
	// sent_at "" is absent; missing flags are false; session_id is read if present.
	in := `{"uuid":"00000000-0000-0000-0000-000000000000","distinct_id":"u","ip":"1.2.3.4","data":"{}","now":"n","sent_at":"","token":"t","event":"e","timestamp":"2023-01-03T17:45:00+01:00","session_id":"s1"}`
	if err := json.Unmarshal([]byte(in), &back); err != nil {
		t.Fatal(err)
	}
	if back.SentAt != nil || back.HistoricalMigration || back.IsCookielessMode || *back.SessionID != "s1" ||
		FormatTimestamp(back.Timestamp) != "2023-01-03T16:45:00Z" {
		t.Fatalf("decoded %+v", back)
	}
	if err := json.Unmarshal([]byte(`{"uuid":"x"}`), &back); err == nil {
		t.Fatal("bad uuid accepted")
	}
	if err := json.Unmarshal([]byte(`{"sent_at":"yesterday"}`), &back); err == nil {
		t.Fatal("bad sent_at accepted")
	}
}

func TestInternallyCapturedEvent(t *testing.T) {
	e := InternallyCapturedEvent{CapturedEvent: nodeCaptured(t), TeamID: 42}
	want := nodeGolden[:len(nodeGolden)-1] + `,"team_id":42}`
	got, err := json.Marshal(e)
	if err != nil || string(got) != want {
		t.Fatalf("got %s, %v", got, err)
	}
	var back InternallyCapturedEvent
	if err := json.Unmarshal(got, &back); err != nil || back.TeamID != 42 || back.Token != e.Token {
		t.Fatalf("decoded %+v, %v", back, err)
	}
}

func TestFormatTimestamp(t *testing.T) {
	base := time.Date(2023, 9, 15, 9, 15, 2, 0, time.UTC)
	cases := map[time.Duration]string{
		0:                         "2023-09-15T09:15:02Z",
		328 * time.Millisecond:    "2023-09-15T09:15:02.328Z",
		300 * time.Millisecond:    "2023-09-15T09:15:02.300Z",
		328551 * time.Microsecond: "2023-09-15T09:15:02.328551Z",
		328550 * time.Microsecond: "2023-09-15T09:15:02.328550Z",
		1:                         "2023-09-15T09:15:02.000000001Z",
		328551001:                 "2023-09-15T09:15:02.328551001Z",
	}
	for d, want := range cases {
		if got := FormatTimestamp(base.Add(d)); got != want {
			t.Errorf("%v: got %s, want %s", d, got, want)
		}
	}
	// Non-UTC input is converted.
	if got := FormatTimestamp(time.Date(2023, 9, 15, 11, 15, 2, 0, time.FixedZone("", 7200))); got != "2023-09-15T09:15:02Z" {
		t.Errorf("offset: %s", got)
	}
}

func TestFormatSentAt(t *testing.T) {
	cases := map[string]string{
		"2023-09-15T09:15:02.325000+00:00": "2023-09-15T09:15:02.325Z",
		"2024-04-17T14:40:56.900Z":         "2024-04-17T14:40:56.9Z",
		"2024-04-17T14:40:56Z":             "2024-04-17T14:40:56Z",
		"2024-04-17T16:40:56.5+02:00":      "2024-04-17T16:40:56.5+02:00",
	}
	for in, want := range cases {
		if got := FormatSentAt(mustTime(t, in)); got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
}
