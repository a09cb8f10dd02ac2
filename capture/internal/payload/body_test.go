package payload

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/hoggo/capture/internal/apierr"
)

func TestParseBodyShapes(t *testing.T) {
	cases := []struct {
		js    string
		path  string
		shape Shape
		n     int
	}{
		{`[{"event":"a"},{"event":"b"}]`, "/e", ShapeArray, 2},
		{`{"api_key":"t","batch":[{"event":"a"}]}`, "/batch", ShapeBatch, 1},
		{`{"token":"t","batch":[{"event":"a"}],"historical_migration":true,"sent_at":"2024-04-17T14:40:56.900Z"}`, "/batch", ShapeBatch, 1},
		{`{"event":"a","batch":[]}`, "/capture", ShapeOne, 1}, // no token: not a batch
		{`{"event":"a"}`, "/capture", ShapeOne, 1},
		{` {"distinct_id":"d"} `, "/engage/", ShapeEngage, 1},
	}
	for _, c := range cases {
		b, err := ParseBody([]byte(c.js), c.path)
		if err != nil {
			t.Errorf("%s: %v", c.js, err)
			continue
		}
		if b.Shape != c.shape || len(b.Events) != c.n {
			t.Errorf("%s: shape %d n %d", c.js, b.Shape, len(b.Events))
		}
	}
	b, _ := ParseBody([]byte(`{"distinct_id":"d"}`), "/engage/")
	if b.Events[0].Event != "$identify" {
		t.Errorf("engage event = %q", b.Events[0].Event)
	}
	b, _ = ParseBody([]byte(cases[2].js), "/batch")
	if !b.HistoricalMigration || b.SentAt.IsZero() || b.BatchToken != "t" {
		t.Errorf("batch fields: %+v", b)
	}
}

func TestParseBodyErrors(t *testing.T) {
	cases := map[string]apierr.Kind{
		`{"distinct_id":"d"}`:              apierr.RequestHydration, // nameless, not /engage
		`[]`:                               apierr.EmptyBatch,
		`{"api_key":"t","batch":[]}`:       apierr.EmptyBatch,
		`[{"event":"$performance_event"}]`: apierr.EmptyPayloadFiltered,
		`not json`:                         apierr.RequestParsing,
		`{"event":"a"} trailing`:           apierr.RequestParsing,
		`[{"event":"a"},{"distinct_id":"no name"}]`: apierr.RequestParsing,
		`{"event":42}`:                    apierr.RequestParsing,
		`{"event":"a","properties":null}`: apierr.RequestParsing,
		`{"event":"a","properties":[]}`:   apierr.RequestParsing,
		`{"event":"a","offset":1.5}`:      apierr.RequestParsing,
		`{"event":"a","token":5}`:         apierr.RequestParsing,
		`{"event":"a","timestamp":5}`:     apierr.RequestParsing,
		`{"event":"a","$set":"x"}`:        apierr.RequestParsing,
		`"string"`:                        apierr.RequestParsing,
		`[1,2]`:                           apierr.RequestParsing,
		`{"event":"a",}`:                  apierr.RequestParsing,
		`{"event":"a\u0001"}`:             0,
		"{\"event\":\"a\x01\"}":           apierr.RequestParsing,
		strings.Repeat("[", 200) + strings.Repeat("]", 200): apierr.RequestParsing,
	}
	for js, want := range cases {
		_, err := ParseBody([]byte(js), "/e")
		if want == 0 {
			if err != nil {
				t.Errorf("%s: unexpected %v", js, err)
			}
			continue
		}
		if got := kindOf(t, err); got != want {
			t.Errorf("%s: kind %d (%v), want %d", js, got, err, want)
		}
	}
}

func TestPerformanceEventsDropped(t *testing.T) {
	b, err := ParseBody([]byte(`[{"event":"$performance_event"},{"event":"keep"}]`), "/e")
	if err != nil || len(b.Events) != 1 || b.Events[0].Event != "keep" {
		t.Fatalf("got %+v, %v", b, err)
	}
}

func TestAppendJSONReserialises(t *testing.T) {
	in := `{"type":"capture","library":"x","$token":"tok","$distinct_id":{"b":1},"event":"e",
		"properties":{"a":[1,2,{"c":null}],"token":"p"},"timestamp":"2024-01-01T00:00:00Z","offset":-5,
		"$set":{"x":1},"$set_once":null,"sent_at":"ignored"}`
	b, err := ParseBody([]byte(in), "/e")
	if err != nil {
		t.Fatal(err)
	}
	out := b.Events[0].AppendJSON(nil)
	want := `{"token":"tok","distinct_id":{"b":1},"uuid":null,"event":"e","properties":{"a":[1,2,{"c":null}],"token":"p"},"timestamp":"2024-01-01T00:00:00Z","offset":-5,"$set":{"x":1}}`
	var gotV, wantV any
	if err := json.Unmarshal(out, &gotV); err != nil {
		t.Fatalf("output not JSON: %s", out)
	}
	json.Unmarshal([]byte(want), &wantV)
	if !reflect.DeepEqual(gotV, wantV) {
		t.Errorf("got  %s\nwant %s", out, want)
	}
	if !strings.HasPrefix(string(out), `{"token":"tok","distinct_id":{"b":1},"uuid":null,"event":"e","properties":{`) {
		t.Errorf("field order: %s", out)
	}
}

func TestInvalidSurrogateFixtureAccepted(t *testing.T) {
	text := RepairSurrogates(readFixture(t, "invalid_surrogate.json"))
	if _, err := parseUnion(text); err != nil {
		t.Fatalf("invalid_surrogate.json: %v", err)
	}
	if !json.Valid(text) {
		t.Fatal("repaired text is not valid JSON")
	}
}
