// Package apierr is capture's error taxonomy: every way a request can fail,
// with the HTTP status, the machine-readable code and the metric tag the
// reference assigns to it (capture spec §2.1.4).
package apierr

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Kind identifies one of the reference's CaptureError variants.
type Kind int

// The error kinds, in the order of the spec's table.
const (
	RequestDecoding Kind = iota + 1
	RequestParsing
	RequestHydration
	EmptyBatch
	EmptyPayload
	EmptyPayloadFiltered
	MissingEventName
	MissingDistinctID
	InvalidCookielessMode
	InvalidTimestamp
	MissingSnapshotData
	MissingSessionID
	MissingWindowID
	InvalidSessionID
	NoToken
	MultipleTokens
	TokenValidation
	UnknownToken
	EventTooBig
	NonRetryableSink
	RetryableSink
	ServiceUnavailable
	BillingLimit
	RateLimited
	GlobalRateLimitExceeded
	BodyReadTimeout
	Internal
)

type kindInfo struct {
	status int
	code   string
	tag    string
	prefix string // message; a detail is appended after ": " when present
}

var kinds = map[Kind]kindInfo{
	RequestDecoding:         {400, "request_decoding_error", "req_decoding", "failed to decode request"},
	RequestParsing:          {400, "request_parsing_error", "req_parsing", "failed to parse request"},
	RequestHydration:        {400, "request_hydration_error", "req_hydration", "failed to hydrate events from request"},
	EmptyBatch:              {400, "empty_batch", "empty_batch", "request holds no event"},
	EmptyPayload:            {400, "empty_payload", "empty_payload", "request missing data payload"},
	EmptyPayloadFiltered:    {400, "empty_payload_filtered", "empty_filtered_payload", "payload empty after filtering invalid event types"},
	MissingEventName:        {400, "missing_event_name", "no_event_name", "event submitted with an empty event name"},
	MissingDistinctID:       {400, "missing_distinct_id", "no_distinct_id", "event submitted without a distinct_id"},
	InvalidCookielessMode:   {400, "invalid_cookieless_mode", "invalid_cookieless", "event submitted with invalid cookieless mode"},
	InvalidTimestamp:        {400, "invalid_timestamp", "invalid_timestamp", "event submitted with invalid timestamp"},
	MissingSnapshotData:     {400, "missing_snapshot_data", "no_snapshot", "replay event submitted without snapshot data"},
	MissingSessionID:        {400, "missing_session_id", "no_session_id", "replay event submitted without session id"},
	MissingWindowID:         {400, "missing_window_id", "no_window_id", "replay event submitted without window id"},
	InvalidSessionID:        {400, "invalid_session_id", "invalid_session", "replay event has invalid session id"},
	NoToken:                 {401, "ingest_key_required", "no_token", "event submitted without an api_key"},
	MultipleTokens:          {400, "unroutable_events", "multiple_tokens", "batch submitted with inconsistent api_key values"},
	TokenValidation:         {403, "ingest_key_unknown", "invalid_token", "API key is not valid"},
	UnknownToken:            {403, "ingest_key_unknown", "unknown_token", "api_key does not resolve to a known project"},
	EventTooBig:             {413, "payload_too_large", "oversize_event", "maximum event size exceeded"},
	NonRetryableSink:        {400, "invalid_event", "non_retry_sink", "invalid event could not be processed"},
	RetryableSink:           {503, "service_unavailable", "retryable_sink", "transient error, please retry"},
	ServiceUnavailable:      {503, "service_unavailable", "service_unavailable", "service unavailable"},
	BillingLimit:            {429, "billing_limit", "billing_limit", "billing limit reached"},
	RateLimited:             {429, "rate_limited", "rate_limited", "rate limited"},
	GlobalRateLimitExceeded: {429, "rate_limited", "global_rate_limit", "rate limit exceeded: events per minute"},
	BodyReadTimeout:         {408, "body_read_timeout", "body_read_timeout", "client stopped sending data"},
	Internal:                {500, "internal_error", "internal_error", "internal server error"},
}

// Error is a request failure of a given Kind with an optional detail.
type Error struct {
	Kind   Kind
	Detail string
	Err    error // underlying cause, for logs; never shown to clients
}

// New returns an *Error of kind k with detail (may be empty).
func New(k Kind, detail string) *Error { return &Error{Kind: k, Detail: detail} }

// Wrap returns an *Error of kind k carrying cause for logging.
func Wrap(k Kind, detail string, cause error) *Error {
	return &Error{Kind: k, Detail: detail, Err: cause}
}

// Error returns the client-facing message, e.g. "failed to decode request: invalid GZIP data".
func (e *Error) Error() string {
	info := kinds[e.Kind]
	if e.Detail == "" {
		return info.prefix
	}
	return info.prefix + ": " + e.Detail
}

func (e *Error) Unwrap() error { return e.Err }

// Status is the HTTP status code of the error.
func (e *Error) Status() int { return kinds[e.Kind].status }

// Code is the machine-readable code of the JSON error body.
func (e *Error) Code() string { return kinds[e.Kind].code }

// Tag is the metric label used by the reference for this error.
func (e *Error) Tag() string { return kinds[e.Kind].tag }

// From converts any error into an *Error; unknown errors become Internal.
func From(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: Internal, Err: err}
}

type body struct {
	Status int    `json:"status"`
	Code   string `json:"code"`
	Error  string `json:"error"`
}

// Write sends the [current] JSON error body {"status","code","error"}.
// Internal errors never leak their detail.
func Write(w http.ResponseWriter, e *Error) {
	msg := e.Error()
	if e.Kind == Internal {
		msg = "internal server error"
	}
	b, err := json.Marshal(body{Status: e.Status(), Code: e.Code(), Error: msg})
	if err != nil {
		panic(fmt.Sprintf("marshal error body: %v", err)) // unreachable: plain struct
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status())
	_, _ = w.Write(b)
}
