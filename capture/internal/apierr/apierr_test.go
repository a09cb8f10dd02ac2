package apierr

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"testing"
)

func TestStatusCodesAndBodies(t *testing.T) {
	cases := []struct {
		err    *Error
		status int
		body   string
	}{
		{New(NoToken, ""), 401, `{"status":401,"code":"ingest_key_required","error":"event submitted without an api_key"}`},
		{New(TokenValidation, "personal_api_key"), 403, `{"status":403,"code":"ingest_key_unknown","error":"API key is not valid: personal_api_key"}`},
		{New(MultipleTokens, ""), 400, `{"status":400,"code":"unroutable_events","error":"batch submitted with inconsistent api_key values"}`},
		{New(RequestDecoding, "invalid GZIP data"), 400, `{"status":400,"code":"request_decoding_error","error":"failed to decode request: invalid GZIP data"}`},
		{New(EventTooBig, "x"), 413, `{"status":413,"code":"payload_too_large","error":"maximum event size exceeded: x"}`},
		{New(RetryableSink, ""), 503, `{"status":503,"code":"service_unavailable","error":"transient error, please retry"}`},
		{New(BodyReadTimeout, ""), 408, `{"status":408,"code":"body_read_timeout","error":"client stopped sending data"}`},
		{New(RateLimited, ""), 429, `{"status":429,"code":"rate_limited","error":"rate limited"}`},
		{Wrap(Internal, "db exploded", errors.New("secret")), 500, `{"status":500,"code":"internal_error","error":"internal server error"}`},
	}
	for _, c := range cases {
		w := httptest.NewRecorder()
		Write(w, c.err)
		if w.Code != c.status || w.Body.String() != c.body {
			t.Errorf("%v: %d %s", c.err, w.Code, w.Body.String())
		}
	}
	// Every kind has a status, code and tag.
	for k := RequestDecoding; k <= Internal; k++ {
		e := New(k, "")
		if e.Status() < 400 || e.Code() == "" || e.Tag() == "" {
			t.Errorf("kind %d incomplete", k)
		}
	}
	if From(fmt.Errorf("wrapped: %w", New(NoToken, ""))).Kind != NoToken {
		t.Error("From does not unwrap")
	}
	if From(errors.New("plain")).Kind != Internal {
		t.Error("unknown errors must be Internal")
	}
}
