package types

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func mustParse(t *testing.T, in string) RawEvent {
	t.Helper()
	e, err := ParseRawEvent([]byte(in))
	if err != nil {
		t.Fatalf("ParseRawEvent(%s): %v", in, err)
	}
	return e
}

// RawEvent serialises exactly as the reference: aliases normalised, unknown
// keys dropped, uuid always present, properties defaulted, absent options
// omitted.
func TestRawEventGolden(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"event":"e"}`, `{"uuid":null,"event":"e","properties":{}}`},
		{`{"api_key":"phc_1","$distinct_id":23,"event":"e","type":"capture","library":"x"}`,
			`{"token":"phc_1","distinct_id":23,"uuid":null,"event":"e","properties":{}}`},
		{`{"$token":"t","distinct_id":{"b":1,"a":[1,2]},"event":"e"}`,
			`{"token":"t","distinct_id":{"b":1,"a":[1,2]},"uuid":null,"event":"e","properties":{}}`},
		{`{"token":"t","event":"e","uuid":"","properties":{"a":1}}`,
			`{"token":"t","uuid":null,"event":"e","properties":{"a":1}}`},
		{`{"event":"e","uuid":"018A981F-4B35-7C66-825E-8B0EEAE65714"}`,
			`{"uuid":"018a981f-4b35-7c66-825e-8b0eeae65714","event":"e","properties":{}}`},
		{`{"event":"e","uuid":"{018a981f-4b35-7c66-825e-8b0eeae65714}"}`,
			`{"uuid":"018a981f-4b35-7c66-825e-8b0eeae65714","event":"e","properties":{}}`},
		{`{"timestamp":"2024-04-17T14:40:56.900Z","offset":-308,"$set":{"a":1},"$set_once":{"b":"c"},"event":"e"}`,
			`{"uuid":null,"event":"e","properties":{},"timestamp":"2024-04-17T14:40:56.900Z","offset":-308,"$set":{"a":1},"$set_once":{"b":"c"}}`},
		// null means absent for every optional field.
		{`{"token":null,"distinct_id":null,"uuid":null,"event":"e","timestamp":null,"offset":null,"$set":null,"$set_once":null}`,
			`{"uuid":null,"event":"e","properties":{}}`},
		// Whitespace inside raw values is compacted; numbers keep their text.
		{"{ \"event\" : \"e\" ,\n \"properties\" : { \"a\" : [ 1 , 2.50 , 1e3 ] ,\t\"b\" : \"x y\" } }",
			`{"uuid":null,"event":"e","properties":{"a":[1,2.50,1e3],"b":"x y"}}`},
		{"{\"event\":\"e\",\"properties\":{ \"a\" : \"x \\\" y\\\\\" ,\n\"b\\\\\" : [ 1 , { } ] }}",
			`{"uuid":null,"event":"e","properties":{"a":"x \" y\\","b\\":[1,{}]}}`},
		// Escapes in strings are decoded and re-escaped the serde way.
		{`{"event":"a\"b\\c\u00e9\n\u0001\/<>&"}`, "{\"uuid\":null,\"event\":\"a\\\"b\\\\cé\\n\\u0001/<>&\",\"properties\":{}}"},
		// Escaped keys are matched by their text.
		{`{"\u0065vent":"e","\u0074oken":"t"}`, `{"token":"t","uuid":null,"event":"e","properties":{}}`},
		// Raw values keep their escapes untouched.
		{`{"event":"e","properties":{"k":"\u00e9\ud83e\udd94"}}`, `{"uuid":null,"event":"e","properties":{"k":"\u00e9\ud83e\udd94"}}`},
	}
	for _, c := range cases {
		e := mustParse(t, c.in)
		if got := string(e.AppendJSON(nil)); got != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.in, got, c.want)
		}
		// MarshalJSON through encoding/json gives the same bytes (given no
		// HTML escaping, which encoding/json would add on top).
		got, err := marshalNoHTMLEscape(e)
		if err != nil || string(got) != c.want {
			t.Errorf("json.Marshal(%s) = %s, %v", c.in, got, err)
		}
	}
}

func TestRawEventErrors(t *testing.T) {
	for _, in := range []string{
		``, `[]`, `"x"`, `{}`, `{"event":null}`, `{"event":1}`,
		`{"event":"e","token":"a","api_key":"b"}`,        // duplicate through alias
		`{"event":"e","$token":"a","api_key":"b"}`,       // duplicate through alias
		`{"event":"e","distinct_id":1,"$distinct_id":2}`, // duplicate through alias
		`{"event":"e","event":"f"}`,                      // duplicate
		`{"event":"e","uuid":"not-a-uuid"}`,
		`{"event":"e","uuid":5}`,
		`{"event":"e","properties":null}`,
		`{"event":"e","properties":[]}`,
		`{"event":"e","timestamp":1700000000}`,
		`{"event":"e","offset":1.5}`,
		`{"event":"e","offset":1e3}`,
		`{"event":"e","offset":9223372036854775808}`,
		`{"event":"e","$set":"x"}`,
		`{"event":"e","token":5}`,
		`{"event":"e"} x`,
		`{"event":"e",}`,
		`{"event":"e","properties":{"a":01}}`,
		`{"event":"e","properties":{"a":"` + "\x01" + `"}}`,
		`{"event":"e","properties":{"a":"` + "\xff" + `"}}`,
		`{"event":"e","properties":{"a":tru}}`,
		`{"event":"e","properties":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}`,
	} {
		if e, err := ParseRawEvent([]byte(in)); err == nil {
			t.Errorf("%q parsed: %s", in, e.AppendJSON(nil))
		}
	}
	// Unknown keys may hold anything valid, including deep values under the limit.
	deep := strings.Repeat("[", 120) + strings.Repeat("]", 120)
	mustParse(t, `{"event":"e","x":`+deep+`,"y":{"event":5}}`)
}

func TestRawEventOffsetBounds(t *testing.T) {
	e := mustParse(t, `{"event":"e","offset":-9223372036854775808}`)
	if e.Offset == nil || *e.Offset != -9223372036854775808 {
		t.Fatalf("offset %v", e.Offset)
	}
}

func TestRawEngageEvent(t *testing.T) {
	// Any "event" key, even of the wrong type, is ignored.
	e, err := ParseRawEngageEvent([]byte(`{"api_key":"t","distinct_id":"d","event":5,"properties":{"$set":{"a":1}}}`))
	if err != nil {
		t.Fatal(err)
	}
	got := e.AsRawEvent("$identify")
	want := `{"token":"t","distinct_id":"d","uuid":null,"event":"$identify","properties":{"$set":{"a":1}}}`
	if s := string(got.AppendJSON(nil)); s != want {
		t.Fatalf("got %s", s)
	}
	var viaJSON RawEngageEvent
	if err := json.Unmarshal([]byte(`{"token":"t"}`), &viaJSON); err != nil || *viaJSON.Token != "t" || string(viaJSON.Properties) != "{}" {
		t.Fatalf("UnmarshalJSON: %+v, %v", viaJSON, err)
	}
}

func TestRawEventUnmarshalJSONCopies(t *testing.T) {
	var evs []RawEvent
	if err := json.Unmarshal([]byte(`[{"event":"a","properties":{"x":1}},{"event":"b"}]`), &evs); err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].Event != "a" || string(evs[0].Properties) != `{"x":1}` || evs[1].Event != "b" {
		t.Fatalf("got %+v", evs)
	}
}

func TestRawEventProperties(t *testing.T) {
	e := mustParse(t, `{"event":"e","properties":{"token":"pt","n":1,"nested":{"token":"no"},"d\u0069stinct_id":"esc","dup":1,"dup":2,"$cookieless_mode":true}}`)
	if v, ok := e.Property("n"); !ok || string(v) != "1" {
		t.Errorf("n = %s, %v", v, ok)
	}
	if v, ok := e.Property("dup"); !ok || string(v) != "2" {
		t.Errorf("dup = %s, %v (last wins)", v, ok)
	}
	if _, ok := e.Property("missing"); ok {
		t.Error("missing found")
	}
	if s, ok := e.PropertyString("distinct_id"); !ok || s != "esc" {
		t.Errorf("escaped key: %q %v", s, ok)
	}
	if _, ok := e.PropertyString("n"); ok {
		t.Error("PropertyString of a number")
	}
	if tok, ok := e.ExtractToken(); !ok || tok != "pt" {
		t.Errorf("token from properties: %q %v", tok, ok)
	}
	e2 := mustParse(t, `{"event":"e","api_key":"root","properties":{"token":"pt"}}`)
	if tok, _ := e2.ExtractToken(); tok != "root" {
		t.Errorf("root token should win, got %q", tok)
	}
	e3 := mustParse(t, `{"event":"e","properties":{"token":5}}`)
	if _, ok := e3.ExtractToken(); ok {
		t.Error("non-string properties.token accepted")
	}
	if m, ok := e.IsCookielessMode(); !m || !ok {
		t.Errorf("cookieless = %v %v", m, ok)
	}
	for props, want := range map[string][2]bool{`{}`: {false, true}, `{"$cookieless_mode":false}`: {false, true}, `{"$cookieless_mode":"true"}`: {false, false}} {
		ev := mustParse(t, `{"event":"e","properties":`+props+`}`)
		if m, ok := ev.IsCookielessMode(); m != want[0] || ok != want[1] {
			t.Errorf("%s: %v %v", props, m, ok)
		}
	}
}

func TestExtractDistinctID(t *testing.T) {
	long := strings.Repeat("x", 250)
	euro := strings.Repeat("€", 250)
	cases := []struct {
		in   string
		want string
		ok   bool
	}{
		{`{"event":"e"}`, "", false},
		{`{"event":"e","distinct_id":null}`, "", false},
		{`{"event":"e","distinct_id":""}`, "", false},
		{`{"event":"e","distinct_id":" \t\n"}`, "", false},
		{`{"event":"e","distinct_id":"  hello  "}`, "  hello  ", true},
		{`{"event":"e","$distinct_id":"alias"}`, "alias", true},
		{`{"event":"e","properties":{"distinct_id":"prop"}}`, "prop", true},
		{`{"event":"e","distinct_id":null,"properties":{"distinct_id":"prop"}}`, "prop", true},
		{`{"event":"e","properties":{"distinct_id":null}}`, "", false},
		{`{"event":"e","distinct_id":"root","properties":{"distinct_id":"prop"}}`, "root", true},
		{`{"event":"e","distinct_id":23}`, "23", true},
		{`{"event":"e","distinct_id":23.4}`, "23.4", true},
		{`{"event":"e","distinct_id":true}`, "true", true},
		{`{"event":"e","distinct_id":["a","b"]}`, `["a","b"]`, true},
		{`{"event":"e","distinct_id":{"string":"a","number":3}}`, `{"number":3,"string":"a"}`, true},
		{`{"event":"e","distinct_id":{"z":{"b":1,"a":"<&>"}}}`, `{"z":{"a":"<&>","b":1}}`, true},
		{`{"event":"e","distinct_id":"a\u0000b"}`, "a\uFFFDb", true},
		{`{"event":"e","distinct_id":"` + long + `"}`, long[:200], true},
		{`{"event":"e","distinct_id":"` + euro[:150*3] + `"}`, euro[:150*3], true},
		{`{"event":"e","distinct_id":"` + euro + `"}`, euro[:200*3], true},
	}
	for _, c := range cases {
		e := mustParse(t, c.in)
		got, ok := e.ExtractDistinctID()
		if got != c.want || ok != c.ok {
			t.Errorf("%.60s: got %q %v, want %q %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestParseRawRequest(t *testing.T) {
	t.Run("array", func(t *testing.T) {
		r, err := ParseRawRequest([]byte(` [{"event":"a","properties":{"token":"t"}}, {"event":"b"}] `))
		if err != nil || r.Shape != ShapeArray || len(r.Events) != 2 || r.Events[1].Event != "b" || r.Token != nil {
			t.Fatalf("%+v, %v", r, err)
		}
	})
	t.Run("empty array", func(t *testing.T) {
		r, err := ParseRawRequest([]byte(`[]`))
		if err != nil || r.Shape != ShapeArray || len(r.Events) != 0 {
			t.Fatalf("%+v, %v", r, err)
		}
	})
	t.Run("batch", func(t *testing.T) {
		r, err := ParseRawRequest([]byte(`{"api_key":"phc","historical_migration":true,"sent_at":"2024-04-17T14:40:56.900Z","batch":[{"event":"a","token":"ignored"}],"x":1}`))
		if err != nil || r.Shape != ShapeBatch || *r.Token != "phc" || !*r.HistoricalMigration || *r.SentAt != "2024-04-17T14:40:56.900Z" || len(r.Events) != 1 {
			t.Fatalf("%+v, %v", r, err)
		}
		r, err = ParseRawRequest([]byte(`{"token":"phc","batch":[]}`))
		if err != nil || r.Shape != ShapeBatch || len(r.Events) != 0 || r.HistoricalMigration != nil || r.SentAt != nil {
			t.Fatalf("%+v, %v", r, err)
		}
	})
	t.Run("one", func(t *testing.T) {
		r, err := ParseRawRequest([]byte(`{"event":"a","api_key":"t"}`))
		if err != nil || r.Shape != ShapeOne || len(r.Events) != 1 || *r.Events[0].Token != "t" {
			t.Fatalf("%+v, %v", r, err)
		}
		// A batch whose events do not parse is not a batch; with an event
		// name the object is a single event ("batch" is an unknown key).
		r, err = ParseRawRequest([]byte(`{"api_key":"t","event":"x","batch":[{"no":"name"}]}`))
		if err != nil || r.Shape != ShapeOne || r.Events[0].Event != "x" {
			t.Fatalf("%+v, %v", r, err)
		}
		// "$token" is not a batch alias.
		r, err = ParseRawRequest([]byte(`{"$token":"t","event":"x","batch":[]}`))
		if err != nil || r.Shape != ShapeOne {
			t.Fatalf("%+v, %v", r, err)
		}
	})
	t.Run("engage", func(t *testing.T) {
		r, err := ParseRawRequest([]byte(`{"api_key":"t","distinct_id":"d","$set":{"a":1}}`))
		if err != nil || r.Shape != ShapeEngage || r.Events[0].Event != "" || string(r.Events[0].Set) != `{"a":1}` {
			t.Fatalf("%+v, %v", r, err)
		}
		r, err = ParseRawRequest([]byte(`{"event":7}`))
		if err != nil || r.Shape != ShapeEngage {
			t.Fatalf("%+v, %v", r, err)
		}
	})
	for _, in := range []string{``, ` `, `"x"`, `1`, `null`, `[{"event":"a"},{"nope":1}]`, `[1]`, `{"event":"a"`,
		`{"uuid":"bad"}`, `{"event":"a","batch":[1,}`, `[{"event":"a"}] []`} {
		if r, err := ParseRawRequest([]byte(in)); err == nil {
			t.Errorf("%q parsed as %+v", in, r)
		}
	}
}

// Every special byte at every offset of a word is found by the word-at-a-time
// skip in strings (the scanner's skip is tested in common/jsonscan).
func TestSkipPlain(t *testing.T) {
	specials := []byte{'"', '\\', 0x00, 0x1f, 0x80, 0xff}
	for n := 8; n <= 24; n++ {
		for pos := 0; pos < n; pos++ {
			for _, c := range specials {
				b := bytes.Repeat([]byte("a"), n)
				b[pos] = c
				if c < 0x80 {
					if got := skipPlainString(string(b), 0); got > pos {
						t.Fatalf("skipPlainString(%q) = %d past special at %d", b, got, pos)
					}
				}
			}
		}
	}
	// Bytes just outside the special sets are skipped.
	if got := skipPlainString("é€🦔abcdefgh", 0); got != 16 {
		t.Fatalf("skipPlainString stopped at %d on non-ASCII", got)
	}
}
