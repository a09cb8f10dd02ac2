package analyticsv1

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
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

var emptyObject = json.RawMessage("{}")

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
	d := newDecoder(raw)
	d.ws()
	if d.Pos == len(raw) || d.null() {
		return o, nil
	}
	// Last occurrence wins, as in a serde_json map.
	var cookieless, skew, persons, tour json.RawMessage
	empty, err := d.objStart()
	for done := empty; err == nil && !done; done, err = d.objNext() {
		var (
			key []byte
			v   json.RawMessage
		)
		if key, err = d.objKey(); err != nil {
			break
		}
		if v, err = d.raw(); err != nil {
			break
		}
		switch string(key) {
		case "cookieless_mode":
			cookieless = v
		case "disable_skew_correction":
			skew = v
		case "process_person_profile":
			persons = v
		case "product_tour_id":
			tour = v
		}
	}
	if err != nil {
		return o, errInvalidOptions
	}
	ok := true
	for _, f := range [...]struct {
		raw json.RawMessage
		dst **bool
	}{{cookieless, &o.CookielessMode}, {skew, &o.DisableSkewCorrection}, {persons, &o.ProcessPersonProfile}} {
		if f.raw == nil || isNull(f.raw) {
			continue
		}
		b, valid := coerceBool(f.raw)
		if !valid {
			ok = false
			continue
		}
		*f.dst = &b
	}
	if tour != nil && !isNull(tour) {
		if id, valid := coerceString(tour); valid {
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
		s, err := newDecoder(v).str()
		if err != nil {
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
		s, err := newDecoder(v).str()
		return s, err == nil
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
