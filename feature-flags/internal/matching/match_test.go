package matching

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

func filter(t testing.TB, js string) *Filter {
	t.Helper()
	var f Filter
	if err := json.Unmarshal([]byte(js), &f); err != nil {
		t.Fatalf("filter %s: %v", js, err)
	}
	return &f
}

func props(t testing.TB, js string) map[string]any {
	t.Helper()
	v, err := DecodeValue([]byte(js))
	if err != nil {
		t.Fatalf("props %s: %v", js, err)
	}
	return v.(map[string]any)
}

func f(op string, value string) string {
	return fmt.Sprintf(`{"key":"key","type":"person","operator":%q,"value":%s}`, op, value)
}

// Cases ported from the reference's property_matching.rs tests (full
// properties, i.e. not the partial-override mode).
var matchCases = []struct {
	filter, props string
	want          bool
}{
	// exact
	{f("exact", `"value"`), `{"key":"value"}`, true},
	{f("exact", `"value"`), `{"key":"value2"}`, false},
	{f("exact", `"value"`), `{"key":""}`, false},
	{f("exact", `"value"`), `{"key":null}`, false},
	{f("exact", `"value"`), `{"key2":"value"}`, false},
	{`{"key":"key","value":"value"}`, `{"key":"VALUE"}`, true},
	{f("exact", `["value1","value2","value3"]`), `{"key":"value2"}`, true},
	{f("exact", `["value1","value2","value3"]`), `{"key":"value4"}`, false},
	{f("exact", `["US","CA","Uk"]`), `{"key":"uk"}`, true},
	{f("exact", `["US","CA","Uk"]`), `{"key":"de"}`, false},
	{f("exact", `[]`), `{"key":"us"}`, false},
	{f("exact", `true`), `{"key":"true"}`, true},
	{f("exact", `true`), `{"key":"True"}`, true},
	{f("exact", `"true"`), `{"key":true}`, true},
	{f("exact", `["true"]`), `{"key":true}`, true},
	{f("exact", `false`), `{"key":false}`, true},
	{f("exact", `false`), `{"key":"false"}`, true},
	{f("exact", `false`), `{"key":0}`, true},
	{f("exact", `5`), `{"key":5}`, true},
	{f("exact", `5`), `{"key":"5"}`, true},
	{f("exact", `"null"`), `{"key":null}`, true},
	// is_not
	{f("is_not", `"value"`), `{"key":"value2"}`, true},
	{f("is_not", `"value"`), `{"key":""}`, true},
	{f("is_not", `"value"`), `{"key":null}`, true},
	{f("is_not", `"value"`), `{"other":1}`, true},
	{f("is_not", `["value1","value2","value3"]`), `{"key":"value4"}`, true},
	{f("is_not", `["value1","value2","value3"]`), `{"key":"value2"}`, false},
	// is_set / is_not_set
	{f("is_set", `"value"`), `{"key":null}`, true},
	{f("is_set", `"value"`), `{"key2":"x"}`, false},
	{f("is_not_set", `"value"`), `{"key2":"x"}`, true},
	{f("is_not_set", `"value"`), `{"key":"x"}`, false},
	{`{"key":"key","type":"person","operator":"is_set"}`, `{"key":1}`, true},
	// icontains
	{f("icontains", `"valUe"`), `{"key":"343tfvalue5"}`, true},
	{f("icontains", `"valUe"`), `{"key":"Alakazam"}`, false},
	{f("icontains", `"valUe"`), `{"key":123}`, false},
	{f("icontains", `"3"`), `{"key":323}`, true},
	{f("icontains", `"3"`), `{"key":"three"}`, false},
	{f("not_icontains", `"valUe"`), `{"key":"Alakazam"}`, true},
	{f("not_icontains", `"valUe"`), `{"key":"VALUE"}`, false},
	{f("not_icontains", `"valUe"`), `{}`, true},
	{f("icontains_multi", `["foo","BAR"]`), `{"key":"xxbarxx"}`, true},
	{f("icontains_multi", `["foo","BAR"]`), `{"key":"baz"}`, false},
	{f("not_icontains_multi", `["foo","BAR"]`), `{"key":"baz"}`, true},
	{f("icontains_multi", `"foo"`), `{"key":"FOOD"}`, true},
	// starts/ends with
	{f("starts_with", `"Val"`), `{"key":"value"}`, true},
	{f("starts_with", `"Val"`), `{"key":"avalue"}`, false},
	{f("not_starts_with", `"Val"`), `{"key":"avalue"}`, true},
	{f("ends_with", `"UE"`), `{"key":"value"}`, true},
	{f("not_ends_with", `"UE"`), `{"key":"value"}`, false},
	{f("not_ends_with", `"UE"`), `{}`, true},
	// regex
	{f("regex", `"\\.com$"`), `{"key":"value.com"}`, true},
	{f("regex", `"\\.com$"`), `{"key":"value2.com"}`, true},
	{f("regex", `"\\.com$"`), `{"key":".com343tfvalue5"}`, false},
	{f("regex", `"\\.com$"`), `{"key":123}`, false},
	{f("not_regex", `"\\.com$"`), `{"key":"Alakazam"}`, true},
	{f("regex", `"3"`), `{"key":323}`, true},
	{f("regex", `"3"`), `{"key":"val3"}`, true},
	{f("regex", `"3"`), `{"key":"three"}`, false},
	{f("regex", `"?*"`), `{"key":"value"}`, false},
	{f("not_regex", `"?*"`), `{"key":"value"}`, false},
	{f("regex", `"4"`), `{"key":"value"}`, false},
	{f("regex", `"foo(?=bar)"`), `{"key":"foobar"}`, true},
	{f("regex", `"foo(?=bar)"`), `{"key":"foobaz"}`, false},
	{f("regex", `"(a)\\1"`), `{"key":"aa"}`, true},
	{f("regex", `"^(?!.*admin).*$"`), `{"key":"user"}`, true},
	{f("regex", `"^(?!.*admin).*$"`), `{"key":"superadmin"}`, false},
	{f("regex", `"x"`), `{}`, false},
	{f("not_regex", `"x"`), `{}`, true},
	// math
	{f("gt", `1`), `{"key":2}`, true},
	{f("gt", `1`), `{"key":0}`, false},
	{f("gt", `1`), `{"key":"2"}`, true},
	{f("gt", `"1"`), `{"key":2}`, true},
	{f("gte", `1`), `{"key":1}`, true},
	{f("lt", `1`), `{"key":0}`, true},
	{f("lt", `1`), `{"key":1}`, false},
	{f("lte", `1`), `{"key":1}`, true},
	{f("lt", `1`), `{"key":-1}`, true},
	{f("gt", `"10"`), `{"key":"9"}`, false},
	{f("gt", `1`), `{"key":"abc"}`, false},
	{f("lt", `"abc"`), `{"key":1}`, false},
	{f("gt", `1`), `{"key":null}`, false},
	{f("gt", `1`), `{}`, false},
	{f("gte", `1.5`), `{"key":"1.5"}`, true},
	// between
	{f("between", `[1, 5]`), `{"key":5}`, true},
	{f("between", `[1, 5]`), `{"key":"3"}`, true},
	{f("between", `[1, 5]`), `{"key":6}`, false},
	{f("not_between", `[1, 5]`), `{"key":6}`, true},
	{f("not_between", `[1, 5]`), `{}`, true},
	{f("between", `[1, 5]`), `{}`, false},
	{f("between", `[5, 1]`), `{"key":3}`, false},
	{f("not_between", `[5, 1]`), `{"key":3}`, false},
	{f("not_between", `[1, 5]`), `{"key":"NaN"}`, false},
	{f("between", `[1]`), `{"key":1}`, false},
	// semver
	{f("semver_eq", `"1.2.3"`), `{"key":"1.2.3"}`, true},
	{f("semver_eq", `"1.2.3"`), `{"key":"v1.2.3"}`, true},
	{f("semver_eq", `"1.2.0"`), `{"key":"1.2"}`, true},
	{f("semver_eq", `"3.8.0"`), `{"key":"3.08"}`, true},
	{f("semver_eq", `"1.0.0"`), `{"key":"1"}`, true},
	{f("semver_neq", `"1.2.3"`), `{"key":"1.2.4"}`, true},
	{f("semver_gt", `"1.2.3"`), `{"key":"1.10.0"}`, true},
	{f("semver_gt", `"1.2.3"`), `{"key":"1.2.3-alpha"}`, false},
	{f("semver_lt", `"1.2.3"`), `{"key":"1.2.3-alpha"}`, true},
	{f("semver_lt", `"1.0.0-beta"`), `{"key":"1.0.0-alpha"}`, true},
	{f("semver_lt", `"1.0.0-alpha.10"`), `{"key":"1.0.0-alpha.9"}`, true},
	{f("semver_gte", `"2.0.0"`), `{"key":"2.0.0"}`, true},
	{f("semver_lte", `"2.0.0"`), `{"key":"not-a-version"}`, false},
	{f("semver_gt", `"garbage"`), `{"key":"1.0.0"}`, false},
	{f("semver_gt", `"1.2.3"`), `{}`, false},
	{f("semver_tilde", `"1.2.3"`), `{"key":"1.2.9"}`, true},
	{f("semver_tilde", `"1.2.3"`), `{"key":"1.3.0"}`, false},
	{f("semver_tilde", `"1.2.3"`), `{"key":"1.2.2"}`, false},
	{f("semver_tilde", `"3.08"`), `{"key":"3.8.5"}`, true},
	{f("semver_caret", `"1.2.3"`), `{"key":"1.9.0"}`, true},
	{f("semver_caret", `"1.2.3"`), `{"key":"2.0.0"}`, false},
	{f("semver_caret", `"0.2.3"`), `{"key":"0.2.9"}`, true},
	{f("semver_caret", `"0.2.3"`), `{"key":"0.3.0"}`, false},
	{f("semver_caret", `"0.0.3"`), `{"key":"0.0.4"}`, false},
	{f("semver_caret", `"0.0.3"`), `{"key":"0.0.3"}`, true},
	{f("semver_wildcard", `"1.*"`), `{"key":"1.9.9"}`, true},
	{f("semver_wildcard", `"1.*"`), `{"key":"2.0.0"}`, false},
	{f("semver_wildcard", `"1.2.*"`), `{"key":"1.2.7"}`, true},
	{f("semver_wildcard", `"1.2.*"`), `{"key":"1.3.0"}`, false},
	{f("semver_wildcard", `"1.*.*"`), `{"key":"1.3.0"}`, true},
	{f("semver_wildcard", `"*"`), `{"key":"7.3.0"}`, true},
	{f("semver_wildcard", `"1.*.3"`), `{"key":"1.3.3"}`, false},
	{f("semver_wildcard", `"3.08.*"`), `{"key":"3.8.1"}`, true},
	// dates
	{f("is_date_before", `"2024-06-01"`), `{"key":"2024-05-31"}`, true},
	{f("is_date_before", `"2024-06-01"`), `{"key":"2024-06-01"}`, false},
	{f("is_date_exact", `"2024-06-01"`), `{"key":"2024-06-01T00:00:00Z"}`, true},
	{f("is_date_after", `"2024-06-01"`), `{"key":"2024-06-01 00:00:01"}`, true},
	{f("is_date_after", `"2024-06-01T00:00:00+02:00"`), `{"key":"2024-05-31T23:00:00Z"}`, true},
	{f("is_date_before", `"2024-06-01"`), `{"key":1717199999}`, true},
	{f("is_date_before", `"2024-06-01"`), `{"key":"1717200001"}`, false},
	{f("is_date_before", `"-1d"`), `{"key":"2020-01-01"}`, true},
	{f("is_date_after", `"-30d"`), `{"key":"2020-01-01"}`, false},
	{f("is_date_after", `"-30d"`), `{"key":"2999-01-01"}`, true},
	{f("is_date_after", `"-100000d"`), `{"key":"2999-01-01"}`, false},
	{f("is_date_before", `"bad"`), `{"key":"2020-01-01"}`, false},
	{f("is_date_before", `"2024-06-01"`), `{"key":"bad"}`, false},
	{f("is_date_before", `"2024-06-01"`), `{}`, false},
	{f("is_date_before", `5`), `{"key":"2020-01-01"}`, false},
	// operators that are not property operators
	{f("in", `1`), `{"key":1}`, false},
	{f("flag_evaluates_to", `true`), `{"key":true}`, false},
	{f("made_up", `1`), `{"key":1}`, false},
	// null filter value
	{f("exact", `null`), `{"key":null}`, false},
	{f("is_not", `null`), `{"key":"x"}`, false},
}

func TestMatch(t *testing.T) {
	for i, c := range matchCases {
		got := filter(t, c.filter).Match(props(t, c.props), time.UTC)
		if got != c.want {
			t.Errorf("case %d: %s on %s = %v, want %v", i, c.filter, c.props, got, c.want)
		}
	}
	t.Logf("%d property matching cases", len(matchCases))
}

func TestDateTeamTimezone(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tz database")
	}
	fl := filter(t, f("is_date_before", `"2024-06-01"`))
	// Midnight in New York is 04:00 UTC.
	if !fl.Match(props(t, `{"key":"2024-06-01T03:59:00Z"}`), ny) {
		t.Error("03:59Z is before NY midnight")
	}
	if fl.Match(props(t, `{"key":"2024-06-01T04:00:00Z"}`), ny) {
		t.Error("04:00Z is NY midnight, not before")
	}
	if !fl.Match(props(t, `{"key":"2024-06-01T03:59:00Z"}`), ny) || fl.Match(props(t, `{"key":"2024-06-01 00:00:00"}`), ny) {
		t.Error("naive property values are read in the team timezone")
	}
}

func TestRelativeDates(t *testing.T) {
	now := time.Date(2020, 1, 1, 12, 1, 20, 134000000, time.UTC)
	cases := map[string]time.Time{
		"1h":   time.Date(2020, 1, 1, 11, 1, 20, 134000000, time.UTC),
		"-24h": time.Date(2019, 12, 31, 12, 1, 20, 134000000, time.UTC),
		"7d":   time.Date(2019, 12, 25, 12, 1, 20, 134000000, time.UTC),
		"1w":   time.Date(2019, 12, 25, 12, 1, 20, 134000000, time.UTC),
		"1m":   time.Date(2019, 12, 1, 12, 1, 20, 134000000, time.UTC),
		"12m":  time.Date(2019, 1, 1, 12, 1, 20, 134000000, time.UTC),
		"1y":   time.Date(2019, 1, 1, 12, 1, 20, 134000000, time.UTC),
		"000h": now,
	}
	for in, want := range cases {
		got, ok := ParseDate(in, time.UTC, now)
		if !ok || !got.Equal(want) {
			t.Errorf("%s = %v (%v), want %v", in, got, ok, want)
		}
	}
	mar31 := time.Date(2020, 3, 31, 0, 0, 0, 0, time.UTC)
	if got, _ := ParseDate("1m", time.UTC, mar31); !got.Equal(time.Date(2020, 2, 29, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("1m from Mar 31 = %v, want Feb 29", got)
	}
	for _, bad := range []string{"1", "1x", "1.2y", "bazinga", "10000d", "1s"} {
		if _, ok := ParseDate(bad, time.UTC, now); ok && bad != "1" {
			t.Errorf("%s parsed", bad)
		}
	}
}

func TestString(t *testing.T) {
	cases := map[string]string{
		`1`: "1", `1.5`: "1.5", `1.0`: "1.0", `1e2`: "100.0", `1e20`: "1e20", `0.0000001`: "1e-7",
		`123.45`: "123.45", `true`: "true", `null`: "null", `"x"`: "x", `[1,"a"]`: `[1,"a"]`,
		`{"a":1.50}`: `{"a":1.5}`, `18446744073709551615`: "18446744073709551615", `0.001`: "0.001",
		`-2.5`: "-2.5", `123456789012345678901`: "1.2345678901234568e20", `12345678901234567890`: "12345678901234567890",
	}
	for in, want := range cases {
		v, err := DecodeValue([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if got := String(v); got != want {
			t.Errorf("String(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestRegexTimeout(t *testing.T) {
	fl := filter(t, f("regex", `"^(a+)+$"`))
	long := `{"key":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"}`
	start := time.Now()
	if fl.Match(props(t, long), time.UTC) {
		t.Error("catastrophic pattern must not match")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("regex ran %v despite the timeout", d)
	}
}

func FuzzMatch(f *testing.F) {
	for _, c := range matchCases {
		f.Add(c.filter, c.props)
	}
	f.Fuzz(func(t *testing.T, filterJSON, propsJSON string) {
		var fl Filter
		if err := json.Unmarshal([]byte(filterJSON), &fl); err != nil {
			return
		}
		v, err := DecodeValue([]byte(propsJSON))
		if err != nil {
			return
		}
		p, _ := v.(map[string]any)
		fl.Match(p, time.UTC)
	})
}

func BenchmarkMatchExact(b *testing.B) {
	fl := filter(b, f("exact", `["a","b","enterprise"]`))
	p := props(b, `{"key":"Enterprise","other":1}`)
	b.ReportAllocs()
	for b.Loop() {
		fl.Match(p, time.UTC)
	}
}
