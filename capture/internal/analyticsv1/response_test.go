package analyticsv1

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/uuid"
)

func res(rs ...Result) *results {
	r := &results{}
	for i, x := range rs {
		d := ""
		if x == ResultRetry {
			d = DetailNotPersisted
		}
		r.entries = append(r.entries, eventResult{id: uuid.MustParse(uuidN(i + 1)), result: x, details: d})
	}
	return r
}

func TestResultsJSON(t *testing.T) {
	r := &results{entries: []eventResult{
		{id: uuid.MustParse("A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D"), result: ResultOK},
		{id: uuid.MustParse("b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e"), result: ResultDrop, details: TagBillingLimitExceeded},
		{id: uuid.MustParse("c3d4e5f6-a7b8-4c9d-8e0f-2a3b4c5d6e7f"), result: ResultWarning, details: DetailPersonProcessingDisabled},
		{id: uuid.MustParse("d4e5f6a7-b8c9-4d0e-9f1a-3b4c5d6e7f80"), result: ResultRetry, details: DetailNotPersisted},
	}}
	want := `{"results":{"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d":{"result":"ok"},` +
		`"b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e":{"result":"drop","details":"billing_limit_exceeded"},` +
		`"c3d4e5f6-a7b8-4c9d-8e0f-2a3b4c5d6e7f":{"result":"warning","details":"person_processing_disabled"},` +
		`"d4e5f6a7-b8c9-4d0e-9f1a-3b4c5d6e7f80":{"result":"retry","details":"not_persisted"}}}`
	if got := string(r.appendJSON(nil)); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	rec := httptest.NewRecorder()
	r.write(rec)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Retry-After") != "1" || rec.Body.String() != want {
		t.Fatalf("%d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	rec = httptest.NewRecorder()
	res(ResultOK, ResultDrop).write(rec)
	if rec.Header().Get("Retry-After") != "" {
		t.Fatal("Retry-After without a retry")
	}
}

func TestResultsOutcome(t *testing.T) {
	for _, c := range []struct {
		r     *results
		want  string
		retry bool
	}{
		{res(ResultOK, ResultWarning), "all_ok", false},
		{res(ResultDrop, ResultDrop), "all_drop", false},
		{res(ResultRetry, ResultRetry), "all_retry", true},
		{res(ResultOK, ResultDrop), "partial_failure", false},
		{res(ResultDrop, ResultRetry), "partial_failure", true},
		{res(), "none", false},
	} {
		if got := c.r.outcome(); got != c.want || c.r.hasRetry() != c.retry {
			t.Errorf("%+v: %s %v", c.r.entries, got, c.r.hasRetry())
		}
	}
}

func TestErrorResponses(t *testing.T) {
	for _, c := range []struct {
		e          *Error
		status     int
		body       string
		retryAfter bool
	}{
		{errInvalidToken("personal_api_key"), 401,
			`{"error":"invalid_api_token","error_description":"The provided API token is not valid.","error_uri":"https://posthog.com/docs/api"}`, false},
		{errBillingLimit, 402,
			`{"error":"billing_limit_exceeded","error_description":"Billing limit exceeded.","error_uri":"https://posthog.com/docs/billing/limits"}`, false},
		{newError(http.StatusTooManyRequests, TagRateLimited, "rate limited: x"), 429,
			`{"error":"rate_limited","error_description":"Rate limit exceeded.","error_uri":"https://posthog.com/docs/api"}`, true},
		{newError(http.StatusInternalServerError, TagInternal, "internal server error: boom"), 500,
			`{"error":"internal_error","error_description":"Internal Server Error","error_uri":"https://posthog.com/docs/api"}`, true},
		{newError(http.StatusGatewayTimeout, TagGatewayTimeout, "gateway timeout"), 504,
			`{"error":"gateway_timeout","error_description":"Gateway Timeout","error_uri":"https://posthog.com/docs/api"}`, true},
		{errEmptyBatch, 400,
			`{"error":"empty_batch","error_description":"request batch is empty","error_uri":"https://posthog.com/docs/api"}`, false},
		{errMissingHeaders([]string{"user-agent"}), 400,
			`{"error":"missing_required_headers","error_description":"request is missing required headers: [\"user-agent\"]","error_uri":"https://posthog.com/docs/api"}`, false},
	} {
		rec := httptest.NewRecorder()
		writeError(rec, c.e)
		if rec.Code != c.status || rec.Body.String() != c.body || (rec.Header().Get("Retry-After") == "1") != c.retryAfter {
			t.Errorf("%s: %d %v %s", c.e.Tag, rec.Code, rec.Header(), rec.Body)
		}
	}
}
