package analyticsv1

import (
	"github.com/hoggo/common/types"

	"fmt"
	"net/http"
	"strings"
)

// Error is a request-level failure of the v1 endpoint: a non-200 answer
// with the body {"error","error_description","error_uri"} (spec §2.6).
type Error struct {
	Status int
	// Tag is the machine-readable "error" field and the metric label.
	Tag string
	// Message is the human text; fixed descriptions replace it for some
	// tags (see Description).
	Message string
}

func (e *Error) Error() string { return e.Tag + ": " + e.Message }

// The tags of spec §2.6.
const (
	TagMissingRequiredHeaders = "missing_required_headers"
	TagInvalidHeaderValue     = "invalid_header_value"
	TagRequestDecoding        = "request_decoding_error"
	TagRequestParsing         = "request_parsing_error"
	TagEmptyBody              = "empty_body"
	TagEmptyBatch             = "empty_batch"
	TagInvalidBatch           = "invalid_batch"
	TagMissingEventUUID       = "missing_event_uuid"
	TagInvalidEventUUID       = "invalid_event_uuid"
	TagDuplicateEventUUID     = "duplicate_event_uuid"
	TagInvalidAPIToken        = "invalid_api_token"
	TagBillingLimitExceeded   = "billing_limit_exceeded"
	TagBodyReadTimeout        = "body_read_timeout"
	TagPayloadTooLarge        = "payload_too_large"
	TagUnsupportedContentType = "unsupported_content_type"
	TagUnsupportedEncoding    = "unsupported_encoding"
	TagRateLimited            = "rate_limited"
	TagInternal               = "internal_error"
	TagServiceUnavailable     = "service_unavailable"
	TagGatewayTimeout         = "gateway_timeout"
)

const (
	docsURI    = "https://posthog.com/docs/api"
	billingURI = "https://posthog.com/docs/billing/limits"
)

func newError(status int, tag, format string, args ...any) *Error {
	return &Error{Status: status, Tag: tag, Message: fmt.Sprintf(format, args...)}
}

func errMissingAuthorization() *Error {
	// Newest reference: a dedicated check before every other header, 401.
	return newError(http.StatusUnauthorized, TagInvalidAPIToken, "request is missing the authorization header")
}

func errMissingHeaders(names []string) *Error {
	// Rendered like Rust's {:?} of a Vec<String>.
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = `"` + n + `"`
	}
	return newError(http.StatusBadRequest, TagMissingRequiredHeaders,
		"request is missing required headers: [%s]", strings.Join(quoted, ", "))
}

func errInvalidHeader(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, TagInvalidHeaderValue, "invalid header value: "+format, args...)
}

func errInvalidToken(reason string) *Error {
	return newError(http.StatusUnauthorized, TagInvalidAPIToken, "API token is not valid: %s", reason)
}

func errDecoding(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, TagRequestDecoding, "failed to decode request: "+format, args...)
}

func errParsing(err error) *Error {
	return newError(http.StatusBadRequest, TagRequestParsing, "failed to parse request: %v", err)
}

func errTooLarge(format string, args ...any) *Error {
	return newError(http.StatusRequestEntityTooLarge, TagPayloadTooLarge, "payload too large: "+format, args...)
}

var (
	errEmptyBody    = &Error{Status: http.StatusBadRequest, Tag: TagEmptyBody, Message: "request body is empty"}
	errEmptyBatch   = &Error{Status: http.StatusBadRequest, Tag: TagEmptyBatch, Message: "request batch is empty"}
	errMissingUUID  = &Error{Status: http.StatusBadRequest, Tag: TagMissingEventUUID, Message: "event submitted without a uuid"}
	errBillingLimit = &Error{Status: http.StatusPaymentRequired, Tag: TagBillingLimitExceeded, Message: "billing limit exceeded"}
	errNoSink       = &Error{Status: http.StatusServiceUnavailable, Tag: TagServiceUnavailable, Message: "service unavailable: no sink configured"}
)

// Description is the error_description: a fixed sentence for decode,
// parse, token, billing and rate-limit errors, the HTTP reason phrase for
// 5xx, else the message.
func (e *Error) Description() string {
	switch {
	case e.Tag == TagRequestDecoding:
		return "Failed to decode request body."
	case e.Tag == TagRequestParsing:
		return "Failed to parse request body."
	case e.Tag == TagInvalidAPIToken:
		return "The provided API token is not valid."
	case e.Tag == TagBillingLimitExceeded:
		return "Billing limit exceeded."
	case e.Tag == TagRateLimited:
		return "Rate limit exceeded."
	case e.Status >= 500:
		return http.StatusText(e.Status)
	}
	return e.Message
}

// URI is the error_uri.
func (e *Error) URI() string {
	if e.Tag == TagBillingLimitExceeded {
		return billingURI
	}
	return docsURI
}

// level is the log level label of capture_v1_analytics_error.
func (e *Error) level() string {
	if e.Status >= 500 || e.Tag == TagBodyReadTimeout {
		return "error"
	}
	return "warn"
}

// retryable reports whether the answer carries Retry-After: 1 (408, 429
// and the 5xx the SDK retries).
func (e *Error) retryable() bool {
	switch e.Status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// appendJSON appends the error body.
func (e *Error) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"error":`...)
	dst = types.AppendJSONString(dst, e.Tag)
	dst = append(dst, `,"error_description":`...)
	dst = types.AppendJSONString(dst, e.Description())
	dst = append(dst, `,"error_uri":`...)
	dst = types.AppendJSONString(dst, e.URI())
	return append(dst, '}')
}

// writeError sends e with the hint headers the reference adds.
func writeError(w http.ResponseWriter, e *Error) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json")
	h.Set("Accept-Encoding", "gzip, deflate, br, zstd")
	if e.retryable() {
		h.Set("Retry-After", "1")
	}
	w.WriteHeader(e.Status)
	_, _ = w.Write(e.appendJSON(nil))
}
