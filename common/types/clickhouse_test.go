package types

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestClickHouseEventGolden(t *testing.T) {
	e := ClickHouseEvent{
		UUID:       uuid.MustParse("018eec80-f044-7c2d-b966-35efc8ed61d5"),
		TeamID:     2,
		Event:      "$pageview",
		DistinctID: "d",
		Properties: new(`{"$lib":"web","a":"<b>"}`),
		Timestamp:  FormatDateTime64(time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)),
		CreatedAt:  "2024-01-01 12:00:01.123456",
		PersonMode: PersonModeFull,
	}
	want := `{"uuid":"018eec80-f044-7c2d-b966-35efc8ed61d5","team_id":2,"project_id":null,"event":"$pageview","distinct_id":"d",` +
		`"properties":"{\"$lib\":\"web\",\"a\":\"<b>\"}","timestamp":"2024-01-01 12:00:00.000000","created_at":"2024-01-01 12:00:01.123456",` +
		`"elements_chain":null,"person_mode":"full"}`
	// MarshalJSON itself; json.Marshal would re-escape <, > and & on top.
	got, err := e.MarshalJSON()
	if err != nil || string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	e.ProjectID = new(int64(7))
	e.PersonID = new("p")
	e.Group2Properties = new("{}")
	e.HistoricalMigration = new(false)
	want = `{"uuid":"018eec80-f044-7c2d-b966-35efc8ed61d5","team_id":2,"project_id":7,"event":"$pageview","distinct_id":"d",` +
		`"properties":"{\"$lib\":\"web\",\"a\":\"<b>\"}","person_id":"p","timestamp":"2024-01-01 12:00:00.000000","created_at":"2024-01-01 12:00:01.123456",` +
		`"elements_chain":null,"group2_properties":"{}","person_mode":"full","historical_migration":false}`
	got, _ = e.MarshalJSON()
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	var back ClickHouseEvent
	if err := json.Unmarshal(got, &back); err != nil || *back.Group2Properties != "{}" || *back.ProjectID != 7 {
		t.Fatalf("%+v %v", back, err)
	}
	props, err := back.RawProperties()
	if err != nil || string(props["$lib"]) != `"web"` {
		t.Fatalf("%v %v", props, err)
	}
}

func TestDateTime64(t *testing.T) {
	for in, want := range map[string]time.Time{
		"2021-08-02 12:34:56.789":    time.Date(2021, 8, 2, 12, 34, 56, 789e6, time.UTC),
		"2021-08-02 12:34:56":        time.Date(2021, 8, 2, 12, 34, 56, 0, time.UTC),
		"2021-08-02 12:34:56.123456": time.Date(2021, 8, 2, 12, 34, 56, 123456e3, time.UTC),
	} {
		got, err := ParseDateTime64(in)
		if err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
	for _, in := range []string{"2021-08-02T12:34:56Z", "", "2021-08-02"} {
		if _, err := ParseDateTime64(in); err == nil {
			t.Errorf("%q parsed", in)
		}
	}
	if got := FormatDateTime64(time.Date(2021, 8, 2, 14, 34, 56, 789e6, time.FixedZone("", 7200))); got != "2021-08-02 12:34:56.789000" {
		t.Errorf("format: %s", got)
	}
}
