package types

import (
	"time"

	"github.com/google/uuid"
)

// CapturedEvent is the value of the messages capture writes to
// events_plugin_ingestion* (common-and-stack.md §2.2, capture.md §2.3.1).
// Serialised field order: uuid, distinct_id, ip, data, now, sent_at (omitted
// when nil), token, event, timestamp, is_cookieless_mode (omitted when false),
// historical_migration (omitted when false). SessionID is never serialised;
// it only feeds the Kafka headers, as in the reference.
type CapturedEvent struct {
	UUID       uuid.UUID
	DistinctID string
	// SessionID is kept in memory for the session_id header only.
	SessionID *string
	IP        string
	// Data is the serialised RawEvent JSON; it is written as a JSON string
	// (double-encoded on purpose).
	Data string
	// Now is the receive time string, written verbatim (FormatTimestamp of
	// the clock in current capture).
	Now string
	// SentAt is written as RFC 3339 with trailing fraction zeros trimmed and
	// the original offset ("Z" for UTC); nil omits the field.
	SentAt *time.Time
	Token  string
	Event  string
	// Timestamp is the computed event time, written like chrono's
	// DateTime<Utc> (see FormatTimestamp).
	Timestamp           time.Time
	IsCookielessMode    bool
	HistoricalMigration bool
}

// InternallyCapturedEvent is a CapturedEvent with a team_id, flattened on
// the wire: the CapturedEvent fields followed by "team_id". Rust services
// emit it to bypass token lookup.
type InternallyCapturedEvent struct {
	CapturedEvent
	TeamID int32
}

// MarshalJSON implements json.Marshaler; see AppendJSON.
func (e CapturedEvent) MarshalJSON() ([]byte, error) {
	return e.AppendJSON(nil), nil
}

// AppendJSON appends the exact JSON bytes the reference produces for e.
func (e *CapturedEvent) AppendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	dst = e.appendFields(dst)
	return append(dst, '}')
}

// UnmarshalJSON implements json.Unmarshaler. sent_at "" or null is absent;
// timestamp must be RFC 3339.
func (e *CapturedEvent) UnmarshalJSON(b []byte) error {
	return e.unmarshal(b)
}

// Key returns the Kafka message key: "<token>:<distinct_id>", or
// "<token>:<ip>" in cookieless mode (common-and-stack.md §2.4).
func (e *CapturedEvent) Key() string {
	if e.IsCookielessMode {
		return e.Token + ":" + e.IP
	}
	return e.Token + ":" + e.DistinctID
}

// ToHeaders builds the Kafka headers of e the way the reference's to_headers
// does: historical_migration only when true, force_disable_person_processing
// left unset (callers set it for overflow), timestamp in epoch milliseconds.
func (e *CapturedEvent) ToHeaders() CapturedEventHeaders {
	h := CapturedEventHeaders{
		Token:      new(e.Token),
		DistinctID: new(e.DistinctID),
		SessionID:  e.SessionID,
		Timestamp:  new(formatMillis(e.Timestamp)),
		Event:      new(e.Event),
		UUID:       new(e.UUID.String()),
		Now:        new(e.Now),
	}
	if e.HistoricalMigration {
		h.HistoricalMigration = new(true)
	}
	return h
}

// MarshalJSON implements json.Marshaler: the CapturedEvent fields then team_id.
func (e InternallyCapturedEvent) MarshalJSON() ([]byte, error) {
	return e.AppendJSON(nil), nil
}

// AppendJSON appends the flattened JSON of e.
func (e *InternallyCapturedEvent) AppendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	dst = e.CapturedEvent.appendFields(dst)
	dst = append(dst, `,"team_id":`...)
	dst = appendInt(dst, int64(e.TeamID))
	return append(dst, '}')
}

// UnmarshalJSON implements json.Unmarshaler.
func (e *InternallyCapturedEvent) UnmarshalJSON(b []byte) error {
	return e.unmarshal(b)
}

// FormatTimestamp formats t in UTC as chrono's DateTime<Utc> serialises:
// RFC 3339 with "Z" and 0, 3, 6 or 9 fraction digits, the fewest that are
// exact ("2023-09-15T09:15:02.328551Z"). Capture uses it for "now" and
// "timestamp".
func FormatTimestamp(t time.Time) string {
	return string(AppendTimestamp(nil, t))
}

// FormatSentAt formats t as the time crate's RFC 3339: fraction trimmed of
// trailing zeros, "Z" for a zero offset, the original offset otherwise.
func FormatSentAt(t time.Time) string {
	return t.Format(time.RFC3339Nano)
}
