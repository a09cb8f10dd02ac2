package types

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Kafka topics of the app-metrics messages.
const (
	AppMetricsTopic  = "clickhouse_app_metrics"
	AppMetrics2Topic = "clickhouse_app_metrics2"
)

// MetricTime is a UTC time serialised as "YYYY-MM-DD HH:MM:SS" (no zone,
// no fraction), the format of the app-metrics messages.
type MetricTime struct{ time.Time }

const metricTimeLayout = "2006-01-02 15:04:05"

// MarshalJSON implements json.Marshaler.
func (t MetricTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + t.UTC().Format(metricTimeLayout) + `"`), nil
}

// UnmarshalJSON implements json.Unmarshaler; the text is read as UTC.
func (t *MetricTime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("metric time: %w", err)
	}
	v, err := time.ParseInLocation(metricTimeLayout, s, time.UTC)
	if err != nil {
		return fmt.Errorf("invalid metric datetime %q, want YYYY-MM-DD HH:MM:SS", s)
	}
	t.Time = v
	return nil
}

// AppMetricCategory is AppMetric.category.
type AppMetricCategory string

// The categories.
const (
	CategoryProcessEvent   AppMetricCategory = "processEvent"
	CategoryOnEvent        AppMetricCategory = "onEvent"
	CategoryScheduledTask  AppMetricCategory = "scheduledTask"
	CategoryWebhook        AppMetricCategory = "webhook"
	CategoryComposeWebhook AppMetricCategory = "composeWebhook"
)

// UnmarshalJSON rejects unknown categories, as the reference does.
func (c *AppMetricCategory) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("app metric category: %w", err)
	}
	switch v := AppMetricCategory(s); v {
	case CategoryProcessEvent, CategoryOnEvent, CategoryScheduledTask, CategoryWebhook, CategoryComposeWebhook:
		*c = v
		return nil
	}
	return fmt.Errorf("unknown app metric category %q", s)
}

// ErrorType is AppMetric.error_type: "Connection Error", "Timeout Error",
// "Bad HTTP Status: <code>" or "Parse Error". These strings are stored in
// Postgres by hooks and must stay stable.
type ErrorType string

// The fixed error types; see BadHTTPStatus for the parameterised one.
const (
	ErrorTypeConnection ErrorType = "Connection Error"
	ErrorTypeTimeout    ErrorType = "Timeout Error"
	ErrorTypeParse      ErrorType = "Parse Error"
)

// BadHTTPStatus returns the error type for an unexpected HTTP status.
func BadHTTPStatus(code uint16) ErrorType {
	return ErrorType("Bad HTTP Status: " + strconv.Itoa(int(code)))
}

// ParseErrorType reads an error type, accepting the reference's aliases
// ("ConnectionError", "TimeoutError", "ParseError") and normalising them.
func ParseErrorType(s string) (ErrorType, error) {
	switch s {
	case "Connection Error", "ConnectionError":
		return ErrorTypeConnection, nil
	case "Timeout Error", "TimeoutError":
		return ErrorTypeTimeout, nil
	case "Parse Error", "ParseError":
		return ErrorTypeParse, nil
	}
	if rest, ok := strings.CutPrefix(s, "Bad HTTP Status:"); ok {
		code, err := strconv.ParseUint(strings.TrimSpace(rest), 10, 16)
		if err != nil {
			return "", fmt.Errorf("parse HTTP status: %w", err)
		}
		return BadHTTPStatus(uint16(code)), nil
	}
	return "", fmt.Errorf("unknown error type %q", s)
}

// UnmarshalJSON implements json.Unmarshaler via ParseErrorType.
func (e *ErrorType) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("error type: %w", err)
	}
	v, err := ParseErrorType(s)
	if err != nil {
		return err
	}
	*e = v
	return nil
}

// ErrorDetails is AppMetric.error_details: {"error":{"name","message","stack"}}.
type ErrorDetails struct {
	Error AppMetricError `json:"error"`
}

// AppMetricError is the error inside ErrorDetails; message and stack are
// omitted when nil.
type AppMetricError struct {
	Name    string  `json:"name"`
	Message *string `json:"message,omitempty"`
	Stack   *string `json:"stack,omitempty"`
}

// AppMetric is a message of clickhouse_app_metrics (common-and-stack.md §2.7).
// job_id, error_uuid, error_type and error_details are omitted when nil.
type AppMetric struct {
	Timestamp        MetricTime        `json:"timestamp"`
	TeamID           uint32            `json:"team_id"`
	PluginConfigID   int32             `json:"plugin_config_id"`
	JobID            *string           `json:"job_id,omitempty"`
	Category         AppMetricCategory `json:"category"`
	Successes        uint32            `json:"successes"`
	SuccessesOnRetry uint32            `json:"successes_on_retry"`
	Failures         uint32            `json:"failures"`
	ErrorUUID        *uuid.UUID        `json:"error_uuid,omitempty"`
	ErrorType        *ErrorType        `json:"error_type,omitempty"`
	ErrorDetails     *ErrorDetails     `json:"error_details,omitempty"`
}

// MarshalJSON writes the reference's bytes (no HTML escaping).
func (m AppMetric) MarshalJSON() ([]byte, error) {
	type plain AppMetric
	return marshalNoHTMLEscape(plain(m))
}

// AppMetric2Source is AppMetric2.app_source.
type AppMetric2Source string

// The sources.
const (
	SourceHoghooks  AppMetric2Source = "hoghooks"
	SourceCyclotron AppMetric2Source = "cyclotron"
)

// AppMetric2Kind is AppMetric2.metric_kind.
type AppMetric2Kind string

// The kinds.
const (
	KindSuccess AppMetric2Kind = "success"
	KindFailure AppMetric2Kind = "failure"
	KindUnknown AppMetric2Kind = "unknown"
)

// AppMetric2 is a message of clickhouse_app_metrics2 (common-and-stack.md
// §2.7); instance_id is omitted when nil.
type AppMetric2 struct {
	TeamID      uint32           `json:"team_id"`
	Timestamp   MetricTime       `json:"timestamp"`
	AppSource   AppMetric2Source `json:"app_source"`
	AppSourceID string           `json:"app_source_id"`
	InstanceID  *string          `json:"instance_id,omitempty"`
	MetricKind  AppMetric2Kind   `json:"metric_kind"`
	MetricName  string           `json:"metric_name"`
	Count       uint32           `json:"count"`
}

// MarshalJSON writes the reference's bytes (no HTML escaping).
func (m AppMetric2) MarshalJSON() ([]byte, error) {
	type plain AppMetric2
	return marshalNoHTMLEscape(plain(m))
}
