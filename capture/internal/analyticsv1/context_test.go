package analyticsv1

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2026, 3, 19, 14, 30, 0, 0, time.UTC)

const (
	testToken     = "phc_test_token"
	testRequestID = "0d5a4f9e-3b7c-4d2a-9e1f-5a6b7c8d9e0f"
)

func validHeaders() http.Header {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+testToken)
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "posthog-rs/1.0.0")
	h.Set("PostHog-Sdk-Info", "posthog-rs/1.0.0")
	h.Set("PostHog-Attempt", "1")
	h.Set("PostHog-Request-Id", testRequestID)
	h.Set("PostHog-Request-Timestamp", "2026-03-19T14:30:00Z")
	return h
}

func headerErr(t *testing.T, h http.Header) *Error {
	t.Helper()
	_, e := parseHeaders(h, testNow)
	return e
}

func TestHeadersValid(t *testing.T) {
	ctx, e := parseHeaders(validHeaders(), testNow)
	if e != nil {
		t.Fatal(e)
	}
	if ctx.token != testToken || ctx.requestID.String() != testRequestID || ctx.attempt != 1 ||
		!ctx.clientTimestamp.Equal(testNow) || ctx.lib != "posthog-rs" || ctx.libVersion != "1.0.0" ||
		ctx.contentEncoding != "" || ctx.userAgent != "posthog-rs/1.0.0" {
		t.Fatalf("%+v", ctx)
	}
}

func TestHeadersMissingAuthorization(t *testing.T) {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	e := headerErr(t, h)
	if e == nil || e.Status != 401 || e.Tag != TagInvalidAPIToken {
		t.Fatalf("%v", e)
	}
}

func TestHeadersMissingRequired(t *testing.T) {
	h := validHeaders()
	h.Del("PostHog-Attempt")
	e := headerErr(t, h)
	if e == nil || e.Status != 400 || e.Tag != TagMissingRequiredHeaders || e.Message != `request is missing required headers: ["posthog-attempt"]` {
		t.Fatalf("%v", e)
	}
	// Only Authorization + Content-Type: every other name is listed.
	h = http.Header{}
	h.Set("Authorization", "Bearer "+testToken)
	h.Set("Content-Type", "application/json")
	e = headerErr(t, h)
	want := `request is missing required headers: ["posthog-sdk-info", "posthog-attempt", "posthog-request-id", "posthog-request-timestamp", "user-agent"]`
	if e == nil || e.Status != 400 || e.Message != want {
		t.Fatalf("%v", e)
	}
}

func TestHeadersAuthorization(t *testing.T) {
	for _, v := range []string{"bearer " + testToken, "BEARER " + testToken, "beaRER " + testToken, "Bearer   " + testToken + "  "} {
		h := validHeaders()
		h.Set("Authorization", v)
		ctx, e := parseHeaders(h, testNow)
		if e != nil || ctx.token != testToken {
			t.Errorf("%q: %v", v, e)
		}
	}
	h := validHeaders()
	h.Set("Authorization", "Basic dXNlcjpwYXNz")
	if e := headerErr(t, h); e == nil || e.Status != 400 || e.Tag != TagInvalidHeaderValue {
		t.Errorf("Basic: %v", e)
	}
	for v, reason := range map[string]string{
		"Bearer phx_personal":               "personal_api_key",
		"Bearer ":                           "empty",
		"Bearer " + strings.Repeat("a", 65): "too_long",
		"Bearer phc_é":                      "not_ascii",
		"Bearer phc_\x00x":                  "null_byte",
		"Bearer  \t\r\n ":                   "empty",
	} {
		h := validHeaders()
		h.Set("Authorization", v)
		e := headerErr(t, h)
		if e == nil || e.Status != 401 || e.Tag != TagInvalidAPIToken || !strings.HasSuffix(e.Message, reason) {
			t.Errorf("%q: %v, want %s", v, e, reason)
		}
	}
	// Token trimming of newlines, spaces and tabs.
	for _, v := range []string{"Bearer phc_abc\n", "Bearer  phc_abc ", "Bearer \tphc_abc\r\n"} {
		h := validHeaders()
		h.Set("Authorization", v)
		if ctx, e := parseHeaders(h, testNow); e != nil || ctx.token != "phc_abc" {
			t.Errorf("%q: %v", v, e)
		}
	}
}

func TestHeadersContentTypeAndEncoding(t *testing.T) {
	for _, ct := range []string{"application/json; charset=utf-8", "Application/JSON", " application/json "} {
		h := validHeaders()
		h.Set("Content-Type", ct)
		if ctx, e := parseHeaders(h, testNow); e != nil || ctx.contentType != ct {
			t.Errorf("%q: %v", ct, e)
		}
	}
	h := validHeaders()
	h.Set("Content-Type", "text/plain")
	if e := headerErr(t, h); e == nil || e.Status != 415 || e.Tag != TagUnsupportedContentType {
		t.Errorf("text/plain: %v", e)
	}
	for enc, want := range map[string]string{"gzip": "gzip", "GZIP": "gzip", "deflate": "deflate", "br": "br", "zstd": "zstd"} {
		h := validHeaders()
		h.Set("Content-Encoding", enc)
		if ctx, e := parseHeaders(h, testNow); e != nil || ctx.contentEncoding != want {
			t.Errorf("%q: %v", enc, e)
		}
	}
	h = validHeaders()
	h.Set("Content-Encoding", "lz4")
	if e := headerErr(t, h); e == nil || e.Status != 415 || e.Tag != TagUnsupportedEncoding {
		t.Errorf("lz4: %v", e)
	}
}

func TestHeadersInvalidValues(t *testing.T) {
	for name, v := range map[string]string{
		"PostHog-Request-Id":        "not-a-uuid",
		"PostHog-Attempt":           "abc",
		"User-Agent":                "agent\x01",
		"PostHog-Sdk-Info":          "posthog-rs/1.0.0\x7f",
		"PostHog-Request-Timestamp": "2026-03-19 14:30:00",
	} {
		h := validHeaders()
		h.Set(name, v)
		if e := headerErr(t, h); e == nil || e.Status != 400 || e.Tag != TagInvalidHeaderValue {
			t.Errorf("%s=%q: %v", name, v, e)
		}
	}
	h := validHeaders()
	h.Set("PostHog-Attempt", "0")
	if e := headerErr(t, h); e == nil || e.Tag != TagInvalidHeaderValue {
		t.Errorf("attempt 0: %v", e)
	}
	h = validHeaders()
	h.Set("PostHog-Attempt", "7")
	if ctx, e := parseHeaders(h, testNow); e != nil || ctx.attempt != 7 {
		t.Errorf("attempt 7: %v", e)
	}
}

func TestParseSdkInfo(t *testing.T) {
	cases := []struct{ in, lib, version, warning string }{
		{"posthog-rs/1.0.0", "posthog-rs", "1.0.0", ""},
		{"posthog/sub-sdk/2.3.4", "posthog/sub-sdk", "2.3.4", ""},
		{"  posthog-rs / 1.2.3  ", "posthog-rs", "1.2.3", ""},
		{"no-slash", "", "", "sdk_info_unparseable"},
		{"/1.0.0", "", "", "sdk_info_unparseable"},
		{"posthog-rs/", "", "", "sdk_info_unparseable"},
		{"/", "", "", "sdk_info_unparseable"},
		{"", "", "", "sdk_info_unparseable"},
		{strings.Repeat("a", 199) + "/1", "", "", "sdk_info_oversized"},
		{strings.Repeat("a", 198) + "/1", strings.Repeat("a", 198), "1", ""},
	}
	for _, c := range cases {
		lib, version, warning := parseSdkInfo(c.in)
		if lib != c.lib || version != c.version || warning != c.warning {
			t.Errorf("%q: got (%q,%q,%q)", c.in, lib, version, warning)
		}
	}
	// Unusable SDK info is not an error.
	h := validHeaders()
	h.Set("PostHog-Sdk-Info", "no-slash")
	if ctx, e := parseHeaders(h, testNow); e != nil || ctx.lib != "" || ctx.sdkInfoWarning != "sdk_info_unparseable" {
		t.Errorf("%v %+v", e, ctx)
	}
}

func TestParseRFC3339(t *testing.T) {
	for _, s := range []string{"2026-03-19T14:30:00Z", "2026-03-19t14:30:00.123456789z", "2026-03-19T14:30:00+05:30", "2026-03-19T14:30:00.1-00:00"} {
		if _, ok := parseRFC3339(s); !ok {
			t.Errorf("%q rejected", s)
		}
	}
	for _, s := range []string{"", "2026-03-19", "2026-03-19 14:30:00Z", "2026-03-19T4:30:00Z", "2026-03-19T14:30:00,123Z",
		"2026-03-19T14:30:00", "2026-03-19T14:30:00.Z", "2026-03-19T14:30:00+0530", "2026-13-19T14:30:00Z", "0000-01-01T0:00:00Z"} {
		if _, ok := parseRFC3339(s); ok {
			t.Errorf("%q accepted", s)
		}
	}
	if got := inRange(time.Date(-1, 12, 31, 0, 0, 0, 0, time.UTC)); !got.Equal(time.Unix(0, 0)) {
		t.Errorf("year -1: %v", got)
	}
}
