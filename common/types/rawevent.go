package types

import (
	"encoding/json"
	"errors"

	"github.com/google/uuid"
)

// RawEvent is one event as an SDK sends it (common-and-stack.md §2.1,
// capture.md §2.2). It is also the JSON text capture double-encodes into
// CapturedEvent.Data.
//
// Decoding follows serde's rules for the Rust struct: "token" also accepts
// "$token" and "api_key", "distinct_id" also accepts "$distinct_id"; a field
// given twice (directly or through an alias) is an error; JSON null counts as
// absent; an empty "uuid" string is absent; unknown keys are dropped.
//
// The JSON-valued fields hold raw, validated and compacted JSON bytes: they
// are passed through to Kafka untouched, never parsed into maps.
type RawEvent struct {
	// Token is the project API key, nil when absent.
	Token *string
	// DistinctID is the raw JSON value (any type), nil when absent or null.
	DistinctID json.RawMessage
	// UUID is the event id, nil when absent or "".
	UUID *uuid.UUID
	// Event is the event name (required for RawEvent).
	Event string
	// Properties is a raw JSON object; "{}" when absent.
	Properties json.RawMessage
	// Timestamp is passed through as sent, nil when absent.
	Timestamp *string
	// Offset is milliseconds before now, nil when absent.
	Offset *int64
	// Set is the raw "$set" object, nil when absent or null.
	Set json.RawMessage
	// SetOnce is the raw "$set_once" object, nil when absent or null.
	SetOnce json.RawMessage
}

// RawEngageEvent is a RawEvent without a name (/engage payloads); capture
// turns it into "$identify". Any "event" key in the input is ignored.
type RawEngageEvent struct {
	Token      *string
	DistinctID json.RawMessage
	UUID       *uuid.UUID
	Properties json.RawMessage
	Timestamp  *string
	Offset     *int64
	Set        json.RawMessage
	SetOnce    json.RawMessage
}

// ErrMissingEvent is returned when a RawEvent has no string "event" field.
var ErrMissingEvent = errors.New("missing field `event`")

// ParseRawEvent decodes one JSON object into a RawEvent with serde's rules
// (see RawEvent). The returned raw fields alias b when b needs no rewriting,
// so b must not be modified while the event is in use.
func ParseRawEvent(b []byte) (RawEvent, error) {
	var e RawEvent
	err := e.parse(b, true)
	return e, err
}

// ParseRawEngageEvent decodes one JSON object into a RawEngageEvent.
func ParseRawEngageEvent(b []byte) (RawEngageEvent, error) {
	var e RawEvent
	if err := e.parse(b, false); err != nil {
		return RawEngageEvent{}, err
	}
	return e.engage(), nil
}

// UnmarshalJSON implements json.Unmarshaler with ParseRawEvent's rules. It
// copies b, since encoding/json reuses its buffers.
func (e *RawEvent) UnmarshalJSON(b []byte) error {
	return e.parse(append([]byte(nil), b...), true)
}

// MarshalJSON implements json.Marshaler; see AppendJSON.
func (e RawEvent) MarshalJSON() ([]byte, error) {
	return e.AppendJSON(nil), nil
}

// AppendJSON appends the compact JSON of e in the reference's field order:
// token, distinct_id (omitted when absent), uuid (always, null when absent),
// event, properties (always), timestamp, offset, $set, $set_once (omitted
// when absent).
func (e *RawEvent) AppendJSON(dst []byte) []byte {
	return e.appendJSON(dst)
}

// AsRawEvent returns the engage event as a RawEvent named name ("$identify").
func (e RawEngageEvent) AsRawEvent(name string) RawEvent {
	return RawEvent{
		Token: e.Token, DistinctID: e.DistinctID, UUID: e.UUID, Event: name,
		Properties: e.Properties, Timestamp: e.Timestamp, Offset: e.Offset,
		Set: e.Set, SetOnce: e.SetOnce,
	}
}

// UnmarshalJSON implements json.Unmarshaler with ParseRawEngageEvent's rules.
func (e *RawEngageEvent) UnmarshalJSON(b []byte) error {
	v, err := ParseRawEngageEvent(append([]byte(nil), b...))
	if err != nil {
		return err
	}
	*e = v
	return nil
}

// Property returns the raw JSON value of the top-level property key, or
// false when properties has no such key. For duplicate keys the last one wins,
// as in serde's map.
func (e *RawEvent) Property(key string) (json.RawMessage, bool) {
	return lookupKey(e.Properties, key)
}

// PropertyString returns the property key when it is a JSON string.
func (e *RawEvent) PropertyString(key string) (string, bool) {
	v, ok := e.Property(key)
	if !ok {
		return "", false
	}
	return rawString(v)
}

// ExtractToken returns the root token, else properties.token when it is a
// string (RawEvent::extract_token).
func (e *RawEvent) ExtractToken() (string, bool) {
	if e.Token != nil {
		return *e.Token, true
	}
	return e.PropertyString("token")
}

// ExtractDistinctID returns the event's distinct id as capture ingests it
// (capture.md §4.3): the root distinct_id unless absent or null, else
// properties.distinct_id unless absent or null; strings as-is, other values
// as compact JSON with object keys sorted; NUL replaced by U+FFFD; an id that
// is empty or only whitespace is missing (false); cut to 200 characters.
func (e *RawEvent) ExtractDistinctID() (string, bool) {
	return e.extractDistinctID()
}

// IsCookielessMode reads the "$cookieless_mode" property: absent → false;
// a bool → its value; any other value → ok=false (invalid).
func (e *RawEvent) IsCookielessMode() (mode bool, ok bool) {
	v, found := e.Property("$cookieless_mode")
	if !found {
		return false, true
	}
	switch string(v) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}
