package event

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hoggo/capture/internal/apierr"
	"github.com/hoggo/capture/internal/payload"
)

func parse(t *testing.T, js string) *payload.Body {
	t.Helper()
	b, err := payload.ParseBody([]byte(js), "/i/v0/e")
	if err != nil {
		t.Fatalf("ParseBody(%s): %v", js, err)
	}
	return b
}

func kind(err error) apierr.Kind {
	var e *apierr.Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

func TestDistinctID(t *testing.T) {
	missing := []string{
		`{"event":"e"}`,
		`{"event":"e","distinct_id":null}`,
		`{"event":"e","distinct_id":""}`,
	}
	for _, js := range missing {
		_, err := DistinctID(&parse(t, js).Events[0])
		if kind(err) != apierr.MissingDistinctID {
			t.Errorf("%s: got %v, want MissingDistinctID", js, err)
		}
	}
	ok := map[string]string{
		`{"event":"e","distinct_id":"myid"}`:                                 "myid",
		`{"event":"e","$distinct_id":"23"}`:                                  "23",
		`{"event":"e","properties":{"distinct_id":"myid"}}`:                  "myid",
		`{"event":"e","distinct_id":23,"properties":{"distinct_id":"myid"}}`: "23",
		`{"event":"e","distinct_id":null,"properties":{"distinct_id":"p"}}`:  "p",
		`{"event":"e","distinct_id":23}`:                                     "23",
		`{"event":"e","distinct_id":23.4}`:                                   "23.4",
		`{"event":"e","distinct_id":["a","b"]}`:                              `["a","b"]`,
		`{"event":"e","distinct_id":{"string":"a","number":3}}`:              `{"number":3,"string":"a"}`,
		`{"event":"e","distinct_id":"a\u0000b"}`:                             "a\uFFFDb",
		`{"event":"e","distinct_id":"` + strings.Repeat("é", 222) + `"}`:     strings.Repeat("é", 200),
	}
	for js, want := range ok {
		got, err := DistinctID(&parse(t, js).Events[0])
		if err != nil || got != want {
			t.Errorf("%s: got %q, %v; want %q", js, got, err, want)
		}
	}
}

func TestExtractToken(t *testing.T) {
	errs := map[string]apierr.Kind{
		`{"event":"e"}`:                                           apierr.NoToken,
		`{"api_key":"","batch":[{"event":"e"}]}`:                  apierr.TokenValidation,
		`[{"event":"e","token":"phx_hellothere"}]`:                apierr.TokenValidation,
		`[{"event":"e","token":"t1"},{"event":"e","token":"t2"}]`: apierr.MultipleTokens,
		`[{"event":"e"}]`:                                         apierr.NoToken,
	}
	for js, want := range errs {
		_, err := ExtractToken(parse(t, js))
		if kind(err) != want {
			t.Errorf("%s: got %v, want kind %d", js, err, want)
		}
	}
	ok := map[string]string{
		`[{"event":"e","token":"t1"},{"event":"e","token":"t1"}]`:    "t1",
		`[{"event":"e","token":"t1"},{"event":"e"}]`:                 "t1",
		`{"batch":[{"event":"e","token":"t1"}],"api_key":"batched"}`: "batched",
		`{"event":"e","$token":"single_token"}`:                      "single_token",
		`{"event":"e","api_key":"single_token"}`:                     "single_token",
		`{"event":"e","properties":{"token":"prop"}}`:                "prop",
		`{"event":"e","token":"  spaced\n"}`:                         "spaced",
	}
	for js, want := range ok {
		got, err := ExtractToken(parse(t, js))
		if err != nil || got != want {
			t.Errorf("%s: got %q, %v; want %q", js, got, err, want)
		}
	}
}

func TestValidateToken(t *testing.T) {
	cases := map[string]string{
		"":                      ReasonEmpty,
		strings.Repeat("a", 65): ReasonTooLong,
		"phc_é":                 ReasonNotASCII,
		"phx_abc":               ReasonPersonalAPIKey,
		"phc_\x00":              ReasonNullByte,
	}
	for in, reason := range cases {
		_, err := ValidateToken(in)
		var e *apierr.Error
		if !errors.As(err, &e) || e.Kind != apierr.TokenValidation || e.Detail != reason {
			t.Errorf("ValidateToken(%q) = %v, want %s", in, err, reason)
		}
		if e != nil && e.Status() != 403 {
			t.Errorf("status = %d", e.Status())
		}
	}
	if tok, err := ValidateToken(strings.Repeat("a", 64)); err != nil || len(tok) != 64 {
		t.Errorf("64 chars: %v", err)
	}
}

func TestUUIDParsing(t *testing.T) {
	b := parse(t, `{"event":"e","uuid":""}`)
	if b.Events[0].HasUUID {
		t.Error(`"" uuid should be absent`)
	}
	b = parse(t, `{"event":"e","uuid":"550e8400-e29b-41d4-a716-446655440000"}`)
	if !b.Events[0].HasUUID || b.Events[0].UUID != uuid.MustParse("550e8400-e29b-41d4-a716-446655440000") {
		t.Error("valid uuid not parsed")
	}
	if _, err := payload.ParseBody([]byte(`{"event":"e","uuid":"not-a-uuid"}`), "/e"); kind(err) != apierr.RequestParsing {
		t.Errorf("invalid uuid: %v", err)
	}
}

func TestUUIDv7(t *testing.T) {
	at := time.Date(2024, 1, 2, 3, 4, 5, 678e6, time.UTC)
	u := NewUUIDv7(at)
	if u.Version() != 7 || u.Variant() != uuid.RFC4122 {
		t.Fatalf("version %d variant %v", u.Version(), u.Variant())
	}
	sec, nsec := u.Time().UnixTime()
	if got := time.Unix(sec, nsec).UnixMilli(); got != at.UnixMilli() {
		t.Errorf("encoded ms %d, want %d", got, at.UnixMilli())
	}
	pre := NewUUIDv7(time.Unix(-100, 0))
	for _, b := range pre[:6] {
		if b != 0 {
			t.Fatalf("pre-epoch instant not floored: %s", pre)
		}
	}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func i64(v int64) *int64 { return &v }

func TestComputeTimestamp(t *testing.T) {
	now := mustTime("2023-01-01T12:00:00Z")
	sentAt := mustTime("2023-01-01T12:00:05Z")
	cases := []struct {
		name string
		in   TimestampInput
		want string
	}{
		{"sent_at skew", TimestampInput{Timestamp: "2023-01-01T11:59:55Z", SentAt: sentAt, Now: now}, "2023-01-01T11:59:50Z"},
		{"no sent_at", TimestampInput{Timestamp: "2023-01-01T11:59:55Z", Now: now}, "2023-01-01T11:59:55Z"},
		{"ignore sent_at", TimestampInput{Timestamp: "2023-01-01T11:00:00Z", SentAt: sentAt, IgnoreSentAt: true, Now: now}, "2023-01-01T11:00:00Z"},
		{"offset", TimestampInput{Offset: i64(3600000), Now: now}, "2023-01-01T11:00:00Z"},
		{"offset wins", TimestampInput{Timestamp: "2020-01-01T00:00:00Z", SentAt: sentAt, Offset: i64(3600000), Now: now}, "2023-01-01T11:00:00Z"},
		{"no timestamp", TimestampInput{Now: now}, "2023-01-01T12:00:00Z"},
		{"unparseable", TimestampInput{Timestamp: "garbage", Now: now}, "2023-01-01T12:00:00Z"},
		{"future clamp", TimestampInput{Timestamp: "2023-01-02T12:00:00Z", Now: now}, "2023-01-01T12:00:00Z"},
		{"future within 23h", TimestampInput{Timestamp: "2023-01-02T10:00:00Z", Now: now}, "2023-01-02T10:00:00Z"},
		{"clock skew +", TimestampInput{Timestamp: "2023-01-01T11:00:00Z", ClockSkew: i64(60000), Now: now}, "2023-01-01T11:01:00Z"},
		{"clock skew -", TimestampInput{Timestamp: "2023-01-01T11:00:00Z", ClockSkew: i64(-60000), Now: now}, "2023-01-01T10:59:00Z"},
		{"short offset", TimestampInput{Timestamp: "2023-01-01T13:00:00+01", Now: now}, "2023-01-01T12:00:00Z"},
		{"date only", TimestampInput{Timestamp: "2023-01-01", Now: now}, "2023-01-01T00:00:00Z"},
		{"naive", TimestampInput{Timestamp: "2023-01-01T10:00:00", Now: now}, "2023-01-01T10:00:00Z"},
		{"out of range", TimestampInput{Offset: i64(-9e15), Now: now}, "2023-01-01T12:00:00Z"},
		{"year < 0", TimestampInput{Offset: i64(9e16), Now: now}, "1970-01-01T00:00:00Z"},
	}
	for _, c := range cases {
		got := ComputeTimestamp(c.in)
		if !got.Equal(mustTime(c.want)) {
			t.Errorf("%s: got %s, want %s", c.name, got.Format(time.RFC3339Nano), c.want)
		}
	}
}

func TestProcessHistoricalAndClassification(t *testing.T) {
	now := mustTime("2024-04-29T14:49:29.5537Z")
	b := parse(t, `{"api_key":"tok","historical_migration":true,"batch":[{"event":"e","distinct_id":"d","timestamp":"2023-04-24T06:34:00+00:00"},{"event":"$exception","distinct_id":"d"}]}`)
	ctx := &Context{Token: "tok", Now: now, NowString: "n", ClientIP: "1.2.3.4", HistoricalMigration: b.HistoricalMigration}
	out, err := Process(ctx, b.Events)
	if err != nil {
		t.Fatal(err)
	}
	if out[0].DataType != AnalyticsHistorical || !out[0].Event.HistoricalMigration {
		t.Errorf("historical: %v %v", out[0].DataType, out[0].Event.HistoricalMigration)
	}
	if out[1].DataType != ExceptionMain || out[1].Event.HistoricalMigration {
		t.Errorf("$exception: %v historical_migration=%v", out[1].DataType, out[1].Event.HistoricalMigration)
	}
	if !out[0].Event.Timestamp.Equal(mustTime("2023-04-24T06:34:00Z")) {
		t.Errorf("timestamp %v", out[0].Event.Timestamp)
	}
	// Rerouting by age.
	b = parse(t, `{"event":"e","distinct_id":"d","token":"tok","timestamp":"2024-04-20T00:00:00Z","properties":{"capture_internal":1}}`)
	ctx = &Context{Token: "tok", Now: now, ClientIP: "1.2.3.4", RerouteHistorical: true, RerouteThreshold: 24 * time.Hour}
	out, err = Process(ctx, b.Events)
	if err != nil {
		t.Fatal(err)
	}
	if out[0].DataType != AnalyticsHistorical || out[0].RerouteReason != "timestamp" || !out[0].Event.HistoricalMigration {
		t.Errorf("reroute: %v %q historical_migration=%v", out[0].DataType, out[0].RerouteReason, out[0].Event.HistoricalMigration)
	}
	if out[0].Event.IP != "127.0.0.1" {
		t.Errorf("capture_internal ip = %q", out[0].Event.IP)
	}
	for js, want := range map[string]apierr.Kind{
		`{"event":"","distinct_id":"d"}`: apierr.MissingEventName,
		`{"event":"e"}`:                  apierr.MissingDistinctID,
		`{"event":"e","distinct_id":"d","properties":{"$cookieless_mode":"yes"}}`: apierr.InvalidCookielessMode,
	} {
		_, err := Process(&Context{Now: now}, parse(t, js).Events)
		if kind(err) != want {
			t.Errorf("%s: %v", js, err)
		}
	}
}
