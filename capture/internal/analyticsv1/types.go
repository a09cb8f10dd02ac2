package analyticsv1

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Batch is the decoded request body (spec §2.3).
type Batch struct {
	CreatedAt           string
	HistoricalMigration bool
	CaptureInternal     bool
	Events              []Event
}

// Event is one entry of "batch". UUID and DistinctID are trimmed;
// Properties is the raw JSON text as sent ({} when absent) and is never
// parsed; Options is the raw "options" value (nil when absent).
type Event struct {
	Event      string
	UUID       string
	DistinctID string
	Timestamp  string
	SessionID  *string
	WindowID   *string
	Options    json.RawMessage
	Properties json.RawMessage
}

// wireBatch and wireEvent mirror the reference's serde structs: pointer
// fields are required (absent or null fails the parse), the rest optional.
type wireBatch struct {
	CreatedAt           *string      `json:"created_at"`
	HistoricalMigration *bool        `json:"historical_migration"`
	CaptureInternal     *bool        `json:"capture_internal"`
	Batch               *[]wireEvent `json:"batch"`
}

type wireEvent struct {
	Event      *string         `json:"event"`
	UUID       *string         `json:"uuid"`
	DistinctID *string         `json:"distinct_id"`
	Timestamp  *string         `json:"timestamp"`
	SessionID  *string         `json:"session_id"`
	WindowID   *string         `json:"window_id"`
	Options    json.RawMessage `json:"options"`
	Properties json.RawMessage `json:"properties"`
}

var emptyObject = json.RawMessage("{}")

// DecodeBatch parses the decompressed body. Any schema failure (not JSON,
// invalid UTF-8, a required key missing or null, a wrong type) is an error;
// the handler answers it with 400 request_parsing_error.
//
// Known differences from serde: object keys match case-insensitively and a
// repeated key keeps its last value (encoding/json), where serde is
// case-sensitive and rejects duplicate fields.
func DecodeBatch(body []byte) (*Batch, error) {
	if !utf8.Valid(body) {
		return nil, errors.New("body is not valid UTF-8")
	}
	var w wireBatch
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, err
	}
	switch {
	case w.CreatedAt == nil:
		return nil, errors.New("missing field `created_at`")
	case w.Batch == nil:
		return nil, errors.New("missing field `batch`")
	}
	b := &Batch{
		CreatedAt:           *w.CreatedAt,
		HistoricalMigration: w.HistoricalMigration != nil && *w.HistoricalMigration,
		CaptureInternal:     w.CaptureInternal != nil && *w.CaptureInternal,
		Events:              make([]Event, len(*w.Batch)),
	}
	for i := range *w.Batch {
		we := &(*w.Batch)[i]
		var missing string
		switch {
		case we.Event == nil:
			missing = "event"
		case we.UUID == nil:
			missing = "uuid"
		case we.DistinctID == nil:
			missing = "distinct_id"
		case we.Timestamp == nil:
			missing = "timestamp"
		}
		if missing != "" {
			return nil, fmt.Errorf("batch[%d]: missing field `%s`", i, missing)
		}
		ev := Event{
			Event:      *we.Event,
			UUID:       strings.TrimSpace(*we.UUID),
			DistinctID: strings.TrimSpace(*we.DistinctID),
			Timestamp:  *we.Timestamp,
			SessionID:  we.SessionID,
			WindowID:   we.WindowID,
			Options:    we.Options,
			Properties: we.Properties,
		}
		if ev.Properties == nil {
			ev.Properties = emptyObject
		}
		b.Events[i] = ev
	}
	return b, nil
}

// EventOptions are the coerced per-event options; nil fields were not given.
type EventOptions struct {
	CookielessMode        *bool
	DisableSkewCorrection *bool
	ProductTourID         *string
	ProcessPersonProfile  *bool
}

// errInvalidOptions marks options that are not an object or hold a known
// key that cannot be coerced; the event is dropped with invalid_options.
var errInvalidOptions = errors.New("invalid options")

// ParseOptions coerces raw options tolerantly (spec §4.3): null or absent
// is the default, unknown keys and null values are ignored, booleans take
// bools, "true"/"1"/"false"/"0" strings and numbers, product_tour_id takes
// strings and integers.
func ParseOptions(raw json.RawMessage) (EventOptions, error) {
	var o EventOptions
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return o, nil
	}
	if s[0] != '{' {
		return o, errInvalidOptions
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return o, errInvalidOptions
	}
	ok := true
	for key, dst := range map[string]**bool{
		"cookieless_mode":         &o.CookielessMode,
		"disable_skew_correction": &o.DisableSkewCorrection,
		"process_person_profile":  &o.ProcessPersonProfile,
	} {
		v, present := m[key]
		if !present || isNull(v) {
			continue
		}
		b, valid := coerceBool(v)
		if !valid {
			ok = false
			continue
		}
		*dst = &b
	}
	if v, present := m["product_tour_id"]; present && !isNull(v) {
		if id, valid := coerceString(v); valid {
			o.ProductTourID = &id
		} else {
			ok = false
		}
	}
	if !ok {
		return o, errInvalidOptions
	}
	return o, nil
}

func isNull(v json.RawMessage) bool { return string(v) == "null" }

func coerceBool(v json.RawMessage) (bool, bool) {
	switch v[0] {
	case 't', 'f':
		return v[0] == 't', true
	case '"':
		var s string
		if json.Unmarshal(v, &s) != nil {
			return false, false
		}
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true", "1":
			return true, true
		case "false", "0":
			return false, true
		}
		return false, false
	case '[', '{':
		return false, false
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return false, false
	}
	return f != 0, true
}

// coerceString accepts strings and integers (i64 or u64 range, like
// serde_json's as_i64/as_u64); floats are invalid.
func coerceString(v json.RawMessage) (string, bool) {
	if v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) != nil {
			return "", false
		}
		return s, true
	}
	n := string(v)
	if i, err := strconv.ParseInt(n, 10, 64); err == nil {
		return strconv.FormatInt(i, 10), true
	}
	if u, err := strconv.ParseUint(n, 10, 64); err == nil {
		return strconv.FormatUint(u, 10), true
	}
	return "", false
}
