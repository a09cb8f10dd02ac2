package payload

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/google/uuid"

	"github.com/hoggo/common/jsonscan"
	"github.com/hoggo/common/types"
)

// RawEvent is one event as an SDK sent it (common-and-stack spec §2.1).
// Values capture never needs to understand (properties, $set, $set_once,
// distinct_id) are kept as validated raw JSON and copied out verbatim.
type RawEvent struct {
	Token        string // root token / $token / api_key
	HasToken     bool
	DistinctID   []byte // raw JSON value; nil when absent or null
	UUID         uuid.UUID
	HasUUID      bool
	Event        string
	HasEvent     bool
	Properties   []byte // raw JSON object; nil when absent (serialised as {})
	Timestamp    string
	HasTimestamp bool
	Offset       int64
	HasOffset    bool
	Set          []byte // raw JSON object; nil when absent or null
	SetOnce      []byte

	// Props holds the few properties capture itself looks at.
	Props Props
}

// Props are the properties capture reads; raw values are nil when absent.
type Props struct {
	Token           string // properties.token when it is a string
	HasToken        bool
	DistinctID      []byte // raw, nil when absent or null
	IgnoreSentAt    bool   // $ignore_sent_at == true
	CaptureInternal bool   // key capture_internal present
	CookielessMode  []byte // raw $cookieless_mode
	SessionID       []byte // raw $session_id
	WindowID        []byte // raw $window_id
	SnapshotData    []byte // raw $snapshot_data
	SnapshotSource  []byte // raw $snapshot_source
	Lib             []byte // raw $lib
	ProductTourID   bool   // key $product_tour_id present
}

// ExtractToken returns the event's own token: the root token, else a string
// properties.token.
func (e *RawEvent) ExtractToken() (string, bool) {
	if e.HasToken {
		return e.Token, true
	}
	if e.Props.HasToken {
		return e.Props.Token, true
	}
	return "", false
}

// shapeError is a value of the wrong type for a known field: the document is
// valid JSON but does not match the RawEvent schema.
type shapeError struct{ msg string }

func (e *shapeError) Error() string { return e.msg }

func shapef(format string, args ...any) error { return &shapeError{msg: fmt.Sprintf(format, args...)} }

// parseEvent parses one event object. A shape error leaves the scanner
// positioned after the object (the object is still syntax-checked), so the
// caller may try another interpretation.
func (s *scanner) parseEvent(ev *RawEvent) error {
	start, depth := s.Pos, s.Depth
	var shapeErr error
	err := s.EachMember(func(key []byte, escaped bool) error {
		if escaped {
			key = jsonscan.Unescape(nil, key)
		}
		ferr := s.parseEventField(ev, key)
		if ferr == nil {
			return nil
		}
		if isSyntax(ferr) {
			return ferr
		}
		shapeErr = ferr
		return errAbandon
	})
	if errors.Is(err, errAbandon) {
		s.Pos, s.Depth = start, depth
		if _, err := s.SkipValue(); err != nil {
			return err
		}
		return shapeErr
	}
	return err
}

var errAbandon = errors.New("abandon object")

func (s *scanner) parseEventField(ev *RawEvent, key []byte) error {
	switch string(key) {
	case "token", "$token", "api_key":
		str, isNull, err := s.optString(key)
		if err != nil {
			return err
		}
		ev.Token, ev.HasToken = str, !isNull
	case "distinct_id", "$distinct_id":
		raw, err := s.SkipValue()
		if err != nil {
			return err
		}
		if string(raw) == "null" {
			ev.DistinctID = nil
		} else {
			ev.DistinctID = raw
		}
	case "uuid":
		str, isNull, err := s.optString(key)
		if err != nil {
			return err
		}
		ev.HasUUID = false
		if isNull || str == "" {
			return nil
		}
		id, perr := uuid.Parse(str)
		if perr != nil {
			return shapef("invalid uuid %q: %v", str, perr)
		}
		ev.UUID, ev.HasUUID = id, true
	case "event":
		if s.Peek() != '"' {
			return shapef("invalid type for event: expected a string")
		}
		str, err := s.ReadString()
		if err != nil {
			return err
		}
		ev.Event, ev.HasEvent = str, true
	case "properties":
		if s.Peek() != '{' {
			if _, err := s.SkipValue(); err != nil {
				return err
			}
			return shapef("invalid type for properties: expected a map")
		}
		start := s.Pos
		ev.Props = Props{}
		if err := s.parseProps(&ev.Props); err != nil {
			return err
		}
		ev.Properties = s.Data[start:s.Pos]
	case "timestamp":
		str, isNull, err := s.optString(key)
		if err != nil {
			return err
		}
		ev.Timestamp, ev.HasTimestamp = str, !isNull
	case "offset":
		raw, err := s.SkipValue()
		if err != nil {
			return err
		}
		if string(raw) == "null" {
			ev.HasOffset = false
			return nil
		}
		n, perr := strconv.ParseInt(string(raw), 10, 64)
		if perr != nil {
			return shapef("invalid type for offset: expected i64, got %s", raw)
		}
		ev.Offset, ev.HasOffset = n, true
	case "$set", "$set_once":
		raw, err := s.SkipValue()
		if err != nil {
			return err
		}
		if raw[0] != '{' && string(raw) != "null" {
			return shapef("invalid type for %s: expected a map", key)
		}
		if string(raw) == "null" {
			raw = nil
		}
		if string(key) == "$set" {
			ev.Set = raw
		} else {
			ev.SetOnce = raw
		}
	default:
		_, err := s.SkipValue()
		return err
	}
	return nil
}

// optString reads a string or null.
func (s *scanner) optString(key []byte) (str string, isNull bool, err error) {
	switch s.Peek() {
	case '"':
		str, err = s.ReadString()
		return str, false, err
	case 'n':
		return "", true, s.Literal("null")
	default:
		if _, err := s.SkipValue(); err != nil {
			return "", false, err
		}
		return "", false, shapef("invalid type for %s: expected a string", key)
	}
}

// parseProps walks the properties object, noting the keys capture uses.
// Later duplicates win, like a map.
func (s *scanner) parseProps(p *Props) error {
	return s.EachMember(func(key []byte, escaped bool) error {
		if escaped {
			key = jsonscan.Unescape(nil, key)
		}
		raw, err := s.SkipValue()
		if err != nil {
			return err
		}
		if len(key) == 0 {
			return nil
		}
		switch string(key) {
		case "token":
			p.HasToken = false
			if raw[0] == '"' {
				p.Token, p.HasToken = decodeStringValue(raw), true
			}
		case "distinct_id":
			p.DistinctID = nil
			if string(raw) != "null" {
				p.DistinctID = raw
			}
		case "$ignore_sent_at":
			p.IgnoreSentAt = string(raw) == "true"
		case "capture_internal":
			p.CaptureInternal = true
		case "$cookieless_mode":
			p.CookielessMode = raw
		case "$session_id":
			p.SessionID = raw
		case "$window_id":
			p.WindowID = raw
		case "$snapshot_data":
			p.SnapshotData = raw
		case "$snapshot_source":
			p.SnapshotSource = raw
		case "$lib":
			p.Lib = raw
		case "$product_tour_id":
			p.ProductTourID = true
		}
		return nil
	})
}

// decodeStringValue decodes a validated raw JSON string (with quotes).
func decodeStringValue(raw []byte) string {
	body := raw[1 : len(raw)-1]
	for _, c := range body {
		if c == '\\' {
			return string(jsonscan.Unescape(nil, body))
		}
	}
	return string(body)
}

// DecodeString decodes a raw JSON string value; ok is false for non-strings.
func DecodeString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	return decodeStringValue(raw), true
}

// AppendJSON appends the event re-serialised as the reference does for the
// CapturedEvent `data` field: token, distinct_id, uuid (null when absent),
// event, properties ({} when absent), timestamp, offset, $set, $set_once;
// unknown top-level keys are dropped.
func (e *RawEvent) AppendJSON(dst []byte) []byte {
	d := types.EventData{DistinctID: e.DistinctID, Event: e.Event, Properties: e.Properties, Set: e.Set, SetOnce: e.SetOnce}
	if e.HasToken {
		d.Token = &e.Token
	}
	if e.HasUUID {
		d.UUID = &e.UUID
	}
	if e.HasTimestamp {
		d.Timestamp = &e.Timestamp
	}
	if e.HasOffset {
		d.Offset = &e.Offset
	}
	return types.AppendEventData(dst, &d)
}
