package types

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestAppMetricGolden(t *testing.T) {
	m := AppMetric{
		Timestamp:        MetricTime{time.Date(2023, 12, 14, 12, 2, 0, 0, time.UTC)},
		TeamID:           123,
		PluginConfigID:   456,
		Category:         CategoryWebhook,
		Successes:        10,
		SuccessesOnRetry: 0,
		Failures:         2,
		ErrorUUID:        new(uuid.MustParse("550e8400-e29b-41d4-a716-446655447777")),
		ErrorType:        new(ErrorTypeConnection),
		ErrorDetails:     &ErrorDetails{Error: AppMetricError{Name: "FooError", Message: new("Error Message")}},
	}
	want := `{"timestamp":"2023-12-14 12:02:00","team_id":123,"plugin_config_id":456,"category":"webhook","successes":10,"successes_on_retry":0,"failures":2,"error_uuid":"550e8400-e29b-41d4-a716-446655447777","error_type":"Connection Error","error_details":{"error":{"name":"FooError","message":"Error Message"}}}`
	got, err := json.Marshal(m)
	if err != nil || string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	var back AppMetric
	if err := json.Unmarshal(got, &back); err != nil || !back.Timestamp.Equal(m.Timestamp.Time) || *back.ErrorType != ErrorTypeConnection {
		t.Fatalf("%+v %v", back, err)
	}
	minimal := AppMetric{Timestamp: m.Timestamp, TeamID: 1, PluginConfigID: 2, Category: CategoryOnEvent}
	got, _ = json.Marshal(minimal)
	if string(got) != `{"timestamp":"2023-12-14 12:02:00","team_id":1,"plugin_config_id":2,"category":"onEvent","successes":0,"successes_on_retry":0,"failures":0}` {
		t.Fatalf("minimal %s", got)
	}
	if err := json.Unmarshal([]byte(`{"timestamp":"2023-12-14T12:02:00Z"}`), &back); err == nil {
		t.Fatal("RFC 3339 timestamp accepted")
	}
	if err := json.Unmarshal([]byte(`{"timestamp":"2023-12-14 12:02:00","category":"nope"}`), &back); err == nil {
		t.Fatal("unknown category accepted")
	}
}

func TestErrorType(t *testing.T) {
	for in, want := range map[string]ErrorType{
		"Connection Error": ErrorTypeConnection, "ConnectionError": ErrorTypeConnection,
		"TimeoutError": ErrorTypeTimeout, "Parse Error": ErrorTypeParse,
		"Bad HTTP Status: 503": "Bad HTTP Status: 503", "Bad HTTP Status:  404 ": "Bad HTTP Status: 404",
	} {
		if got, err := ParseErrorType(in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	for _, in := range []string{"", "Bad HTTP Status: x", "Bad HTTP Status: 70000", "Other"} {
		if _, err := ParseErrorType(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
	if BadHTTPStatus(418) != "Bad HTTP Status: 418" {
		t.Error(BadHTTPStatus(418))
	}
}

func TestAppMetric2Golden(t *testing.T) {
	m := AppMetric2{
		TeamID: 123, Timestamp: MetricTime{time.Date(2023, 12, 14, 12, 2, 0, 0, time.UTC)},
		AppSource: SourceHoghooks, AppSourceID: "hog-function-1", InstanceID: new("hash"),
		MetricKind: KindSuccess, MetricName: "fetch", Count: 456,
	}
	want := `{"team_id":123,"timestamp":"2023-12-14 12:02:00","app_source":"hoghooks","app_source_id":"hog-function-1","instance_id":"hash","metric_kind":"success","metric_name":"fetch","count":456}`
	got, err := json.Marshal(m)
	if err != nil || string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	m.InstanceID = nil
	got, _ = json.Marshal(m)
	if string(got) != `{"team_id":123,"timestamp":"2023-12-14 12:02:00","app_source":"hoghooks","app_source_id":"hog-function-1","metric_kind":"success","metric_name":"fetch","count":456}` {
		t.Fatalf("no instance %s", got)
	}
}
