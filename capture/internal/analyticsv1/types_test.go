package analyticsv1

import (
	"strings"
	"testing"
)

const validEvent = `{"event":"$pageview","uuid":"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d","distinct_id":"user-42","timestamp":"2026-03-19T14:29:58.123Z"`

func TestDecodeBatchValid(t *testing.T) {
	b, err := DecodeBatch([]byte(`{"created_at":"2026-03-19T14:30:00.000Z","batch":[` + validEvent + `,"options":{}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if b.CreatedAt != "2026-03-19T14:30:00.000Z" || b.HistoricalMigration || b.CaptureInternal || len(b.Events) != 1 {
		t.Fatalf("%+v", b)
	}
	ev := b.Events[0]
	if ev.Event != "$pageview" || ev.UUID != "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d" || ev.DistinctID != "user-42" ||
		ev.Timestamp != "2026-03-19T14:29:58.123Z" || string(ev.Properties) != "{}" || ev.SessionID != nil {
		t.Fatalf("%+v", ev)
	}
}

func TestDecodeBatchTrimsAndKeepsPropertiesRaw(t *testing.T) {
	b, err := DecodeBatch([]byte(`{"created_at":"x","historical_migration":true,"capture_internal":true,"unknown":1,"batch":[
		{"event":"$identify","uuid":"  a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d  ","distinct_id":"  user-42  ","timestamp":"t","extra":"ignored",
		 "session_id":"sess-abc","window_id":null,
		 "properties":{"$current_url":"https://example.com", "$set":{"email":"a@b.c"},"$set_once":{"x":1},"$groups":{"company":"posthog"},"custom_prop":42}},
		{"event":"e","uuid":"u","distinct_id":"   ","timestamp":"t","properties":[1,2,3]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if !b.HistoricalMigration || !b.CaptureInternal {
		t.Fatalf("flags %+v", b)
	}
	ev := b.Events[0]
	if ev.UUID != "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d" || ev.DistinctID != "user-42" || *ev.SessionID != "sess-abc" || ev.WindowID != nil {
		t.Fatalf("%+v", ev)
	}
	if want := `{"$current_url":"https://example.com", "$set":{"email":"a@b.c"},"$set_once":{"x":1},"$groups":{"company":"posthog"},"custom_prop":42}`; string(ev.Properties) != want {
		t.Fatalf("properties %s", ev.Properties)
	}
	if b.Events[1].DistinctID != "" || string(b.Events[1].Properties) != "[1,2,3]" {
		t.Fatalf("%+v", b.Events[1])
	}
}

func TestDecodeBatchErrors(t *testing.T) {
	for _, body := range []string{
		``, `garbage`, `[]`, `{"batch":[]}`, `{"created_at":"x"}`, `{"created_at":"x","batch":null}`,
		`{"created_at":"x","batch":[{"uuid":"u","distinct_id":"d","timestamp":"t"}]}`,
		`{"created_at":"x","batch":[{"event":"e","distinct_id":"d","timestamp":"t"}]}`,
		`{"created_at":"x","batch":[{"event":"e","uuid":"u","timestamp":"t"}]}`,
		`{"created_at":"x","batch":[{"event":"e","uuid":"u","distinct_id":"d"}]}`,
		`{"created_at":"x","batch":[{"properties":{"key":"value"}}]}`,
		`{"created_at":"x","batch":[{"event":5,"uuid":"u","distinct_id":"d","timestamp":"t"}]}`,
		`{"created_at":"x","batch":[{"event":"e","uuid":"u","distinct_id":"d","timestamp":"t","session_id":123}]}`,
		`{"created_at":"x","batch":[{"event":null,"uuid":"u","distinct_id":"d","timestamp":"t"}]}`,
		"{\"created_at\":\"x\",\"batch\":[{\"event\":\"\xff\",\"uuid\":\"u\",\"distinct_id\":\"d\",\"timestamp\":\"t\"}]}",
		`{"created_at":"x","batch":[]}trailing`,
		// serde-compatible strictness: exact keys, no duplicate fields, bool not null.
		`{"Created_At":"x","batch":[]}`,
		`{"created_at":"x","created_at":"y","batch":[]}`,
		`{"created_at":"x","historical_migration":null,"batch":[]}`,
		`{"created_at":"x","batch":[{"EVENT":"e","uuid":"u","distinct_id":"d","timestamp":"t"}]}`,
		`{"created_at":"x","batch":[{"event":"e","event":"f","uuid":"u","distinct_id":"d","timestamp":"t"}]}`,
		`{"created_at":"x","batch":[{"event":"e","uuid":"u","distinct_id":"d","timestamp":"t","properties":{"a":01}}]}`,
		`{"created_at":"x","batch":[{"event":"e","uuid":"u","distinct_id":"d","timestamp":"t","properties":{"a":"\x"}}]}`,
		`{"created_at":"x","batch":[{"event":"e","uuid":"u","distinct_id":"d","timestamp":"t","properties":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}]}`,
		"{\"created_at\":\"x\",\"batch\":[{\"event\":\"a\tb\",\"uuid\":\"u\",\"distinct_id\":\"d\",\"timestamp\":\"t\"}]}",
	} {
		if _, err := DecodeBatch([]byte(body)); err == nil {
			t.Errorf("%s: no error", body)
		}
	}
	b, err := DecodeBatch([]byte(` {"created_at":"2026-03-19T14:30:00.000Z","capture_internal":null,"batch":[]} `))
	if err != nil || len(b.Events) != 0 || b.HistoricalMigration || b.CaptureInternal {
		t.Fatalf("empty array: %v %+v", err, b)
	}
}

func TestParseOptions(t *testing.T) {
	o, err := ParseOptions([]byte(`{"cookieless_mode":true,"disable_skew_correction":true,"product_tour_id":"tour-123","process_person_profile":false,"unknown":[1]}`))
	if err != nil || !*o.CookielessMode || !*o.DisableSkewCorrection || *o.ProductTourID != "tour-123" || *o.ProcessPersonProfile {
		t.Fatalf("%v %+v", err, o)
	}
	for _, raw := range []string{``, `null`, `{}`, `{"cookieless_mode":null,"product_tour_id":null}`} {
		o, err := ParseOptions([]byte(raw))
		if err != nil || o != (EventOptions{}) {
			t.Errorf("%q: %v %+v", raw, err, o)
		}
	}
	bools := map[string]bool{
		`true`: true, `false`: false, `"true"`: true, `"TRUE"`: true, `" True "`: true, `"1"`: true,
		`"false"`: false, `"0"`: false, `1`: true, `0`: false, `-2.5`: true, `0.0`: false, `1e400`: true,
	}
	for raw, want := range bools {
		o, err := ParseOptions([]byte(`{"process_person_profile":` + raw + `}`))
		if err != nil || *o.ProcessPersonProfile != want {
			t.Errorf("bool %s: %v", raw, err)
		}
	}
	for _, raw := range []string{`"yes"`, `""`, `[]`, `{}`, `"2"`} {
		if _, err := ParseOptions([]byte(`{"cookieless_mode":` + raw + `}`)); err != errInvalidOptions {
			t.Errorf("bool %s: %v", raw, err)
		}
	}
	strs := map[string]string{`"t"`: "t", `""`: "", `123`: "123", `-5`: "-5", `18446744073709551615`: "18446744073709551615"}
	for raw, want := range strs {
		o, err := ParseOptions([]byte(`{"product_tour_id":` + raw + `}`))
		if err != nil || *o.ProductTourID != want {
			t.Errorf("string %s: %v", raw, err)
		}
	}
	for _, raw := range []string{`1.5`, `true`, `[]`, `{}`, `1e3`} {
		if _, err := ParseOptions([]byte(`{"product_tour_id":` + raw + `}`)); err != errInvalidOptions {
			t.Errorf("string %s: %v", raw, err)
		}
	}
	for _, raw := range []string{`[]`, `"x"`, `5`, `true`} {
		if _, err := ParseOptions([]byte(raw)); err != errInvalidOptions {
			t.Errorf("non-object %s: %v", raw, err)
		}
	}
}

func TestIllegalDistinctIDs(t *testing.T) {
	for _, id := range []string{"0", "00000000-0000-0000-0000-000000000000", "[object Object]", "Anonymous", "anonymous-user",
		"backend", "distinct_id", "DistinctId", "email", "false", "guest", "id", "NaN", "None", "not_authenticated",
		"NULL", "system", "true", "undefined", "user"} {
		if !IsIllegalDistinctID(id) {
			t.Errorf("%q not illegal", id)
		}
	}
	for _, id := range []string{"user-42", "users", "1", strings.Repeat("a", 300)} {
		if IsIllegalDistinctID(id) {
			t.Errorf("%q illegal", id)
		}
	}
}

func TestDecodeBatchEscapes(t *testing.T) {
	b, err := DecodeBatch([]byte(`{"created_\u0061t":"x","batch":[{"event":"caf\u00e9 \"q\"","uuid":"u","distinct_id":"a\/b","timestamp":"t",` +
		`"session_id":null,"window_id":"w","options":null,"properties":{"k":"\ud83d\ude00","n":-1.5e+3}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	ev := b.Events[0]
	if b.CreatedAt != "x" || ev.Event != `café "q"` || ev.DistinctID != "a/b" || ev.SessionID != nil || *ev.WindowID != "w" ||
		string(ev.Options) != "null" || string(ev.Properties) != `{"k":"\ud83d\ude00","n":-1.5e+3}` {
		t.Fatalf("%+v", ev)
	}
}
