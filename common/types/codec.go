package types

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// field indexes of the keys the request and event decoders care about.
const (
	fToken = iota
	fDollarToken
	fAPIKey
	fDistinctID
	fDollarDistinctID
	fUUID
	fEvent
	fProperties
	fTimestamp
	fOffset
	fSet
	fSetOnce
	fBatch
	fHistoricalMigration
	fSentAt
	numFields
)

func fieldIndex(k string) int {
	switch k {
	case "token":
		return fToken
	case "$token":
		return fDollarToken
	case "api_key":
		return fAPIKey
	case "distinct_id":
		return fDistinctID
	case "$distinct_id":
		return fDollarDistinctID
	case "uuid":
		return fUUID
	case "event":
		return fEvent
	case "properties":
		return fProperties
	case "timestamp":
		return fTimestamp
	case "offset":
		return fOffset
	case "$set":
		return fSet
	case "$set_once":
		return fSetOnce
	case "batch":
		return fBatch
	case "historical_migration":
		return fHistoricalMigration
	case "sent_at":
		return fSentAt
	}
	return -1
}

// fields holds the raw values of the known keys of one JSON object and how
// often each key occurred.
type fields struct {
	raw   [numFields]json.RawMessage
	count [numFields]uint8
	// batchEvents/batchErr hold the result of decoding "batch" in place.
	batchEvents []RawEvent
	batchErr    error
}

// collect scans the object at i, recording known keys. When parseBatch is
// set, an array under "batch" is decoded as events while scanning.
func (s *scanner) collect(i int, f *fields, parseBatch bool) (int, error) {
	b := s.b
	if i >= len(b) || b[i] != '{' {
		return i, errors.New("expected a JSON object")
	}
	if err := s.enter(); err != nil {
		return i, err
	}
	defer func() { s.depth-- }()
	i = s.ws(i + 1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, syntaxErr(i, "expected object key")
		}
		kend, escaped, err := s.str(i)
		if err != nil {
			return kend, err
		}
		var idx int
		if !escaped {
			idx = fieldIndex(string(b[i+1 : kend-1]))
		} else {
			k, err := decodeKey(b[i:kend], true)
			if err != nil {
				return kend, err
			}
			idx = fieldIndex(k)
		}
		i = s.ws(kend)
		if i >= len(b) || b[i] != ':' {
			return i, syntaxErr(i, "expected ':'")
		}
		i = s.ws(i + 1)
		if idx < 0 {
			if i, err = s.value(i); err != nil {
				return i, err
			}
		} else {
			if f.count[idx] < 255 {
				f.count[idx]++
			}
			if idx == fBatch && parseBatch && i < len(b) && b[i] == '[' {
				start := i
				f.batchEvents, i, f.batchErr = s.events(i)
				if f.batchErr != nil {
					// Not a batch of events, but the whole document must
					// still be valid JSON for the other shapes.
					f.batchEvents = nil
					if i, err = s.value(start); err != nil {
						return i, err
					}
				}
				f.raw[idx] = b[start:i:i]
			} else {
				var raw json.RawMessage
				if raw, i, err = s.rawValue(i); err != nil {
					return i, err
				}
				f.raw[idx] = raw
			}
		}
		i = s.ws(i)
		if i >= len(b) {
			return i, syntaxErr(i, "unterminated object")
		}
		switch b[i] {
		case ',':
			i = s.ws(i + 1)
		case '}':
			return i + 1, nil
		default:
			return i, syntaxErr(i, "expected ',' or '}'")
		}
	}
}

// events decodes the array at i as RawEvents.
func (s *scanner) events(i int) ([]RawEvent, int, error) {
	b := s.b
	if err := s.enter(); err != nil {
		return nil, i, err
	}
	defer func() { s.depth-- }()
	i = s.ws(i + 1)
	if i < len(b) && b[i] == ']' {
		return []RawEvent{}, i + 1, nil
	}
	var evs []RawEvent
	for {
		var f fields
		end, err := s.collect(i, &f, false)
		if err != nil {
			return nil, end, err
		}
		var e RawEvent
		if err := e.fromFields(&f, true); err != nil {
			return nil, end, err
		}
		evs = append(evs, e)
		i = s.ws(end)
		if i >= len(b) {
			return nil, i, syntaxErr(i, "unterminated array")
		}
		switch b[i] {
		case ',':
			i = s.ws(i + 1)
		case ']':
			return evs, i + 1, nil
		default:
			return nil, i, syntaxErr(i, "expected ',' or ']'")
		}
	}
}

func (e *RawEvent) parse(b []byte, named bool) error {
	s := scanner{b: b}
	var f fields
	end, err := s.collect(s.ws(0), &f, false)
	if err != nil {
		return err
	}
	if s.ws(end) != len(b) {
		return syntaxErr(end, "trailing characters")
	}
	return e.fromFields(&f, named)
}

func (e RawEvent) engage() RawEngageEvent {
	return RawEngageEvent{
		Token: e.Token, DistinctID: e.DistinctID, UUID: e.UUID, Properties: e.Properties,
		Timestamp: e.Timestamp, Offset: e.Offset, Set: e.Set, SetOnce: e.SetOnce,
	}
}

func isNull(v json.RawMessage) bool { return string(v) == "null" }

func typeErr(field, want string, v json.RawMessage) error {
	got := "value"
	switch {
	case len(v) == 0:
	case v[0] == '"':
		got = "string"
	case v[0] == '{':
		got = "map"
	case v[0] == '[':
		got = "sequence"
	case v[0] == 't' || v[0] == 'f':
		got = "boolean"
	case v[0] == 'n':
		got = "null"
	default:
		got = "number"
	}
	return fmt.Errorf("invalid type for `%s`: %s, expected %s", field, got, want)
}

// optString decodes an Option<String>: absent or null → nil.
func optString(field string, v json.RawMessage) (*string, error) {
	if v == nil || isNull(v) {
		return nil, nil
	}
	s, ok := rawString(v)
	if !ok {
		return nil, typeErr(field, "a string", v)
	}
	return &s, nil
}

// optObject decodes an Option<HashMap>: absent or null → nil.
func optObject(field string, v json.RawMessage) (json.RawMessage, error) {
	if v == nil || isNull(v) {
		return nil, nil
	}
	if v[0] != '{' {
		return nil, typeErr(field, "a map", v)
	}
	return v, nil
}

// fromFields applies serde's rules for RawEvent (named) or RawEngageEvent.
func (e *RawEvent) fromFields(f *fields, named bool) error {
	if n := f.count[fToken] + f.count[fDollarToken] + f.count[fAPIKey]; n > 1 {
		return errors.New("duplicate field `token`")
	}
	if f.count[fDistinctID]+f.count[fDollarDistinctID] > 1 {
		return errors.New("duplicate field `distinct_id`")
	}
	for _, x := range []struct {
		i    int
		name string
	}{{fUUID, "uuid"}, {fEvent, "event"}, {fProperties, "properties"}, {fTimestamp, "timestamp"},
		{fOffset, "offset"}, {fSet, "$set"}, {fSetOnce, "$set_once"}} {
		if x.i == fEvent && !named {
			continue
		}
		if f.count[x.i] > 1 {
			return fmt.Errorf("duplicate field `%s`", x.name)
		}
	}
	var err error
	tok := f.raw[fToken]
	if tok == nil {
		tok = f.raw[fDollarToken]
	}
	if tok == nil {
		tok = f.raw[fAPIKey]
	}
	if e.Token, err = optString("token", tok); err != nil {
		return err
	}
	did := f.raw[fDistinctID]
	if did == nil {
		did = f.raw[fDollarDistinctID]
	}
	if did != nil && !isNull(did) {
		e.DistinctID = did
	}
	if v := f.raw[fUUID]; v != nil && !isNull(v) {
		s, ok := rawString(v)
		if !ok {
			return typeErr("uuid", "a string", v)
		}
		if s != "" {
			u, err := uuid.Parse(s)
			if err != nil {
				return fmt.Errorf("invalid uuid %q: %w", s, err)
			}
			e.UUID = &u
		}
	}
	if named {
		v := f.raw[fEvent]
		if v == nil {
			return ErrMissingEvent
		}
		s, ok := rawString(v)
		if !ok {
			return typeErr("event", "a string", v)
		}
		e.Event = s
	}
	if v := f.raw[fProperties]; v != nil {
		if v[0] != '{' {
			return typeErr("properties", "a map", v)
		}
		e.Properties = v
	} else {
		e.Properties = json.RawMessage("{}")
	}
	if e.Timestamp, err = optString("timestamp", f.raw[fTimestamp]); err != nil {
		return err
	}
	if v := f.raw[fOffset]; v != nil && !isNull(v) {
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return typeErr("offset", "i64", v)
		}
		e.Offset = &n
	}
	if e.Set, err = optObject("$set", f.raw[fSet]); err != nil {
		return err
	}
	if e.SetOnce, err = optObject("$set_once", f.raw[fSetOnce]); err != nil {
		return err
	}
	return nil
}

func parseRawRequest(b []byte) (RawRequest, error) {
	s := scanner{b: b}
	i := s.ws(0)
	if i >= len(b) {
		return RawRequest{}, errors.New("empty JSON payload")
	}
	switch b[i] {
	case '[':
		evs, end, err := s.events(i)
		if err != nil {
			return RawRequest{}, fmt.Errorf("parse event array: %w", err)
		}
		if s.ws(end) != len(b) {
			return RawRequest{}, syntaxErr(end, "trailing characters")
		}
		return RawRequest{Shape: ShapeArray, Events: evs}, nil
	case '{':
	default:
		return RawRequest{}, errors.New("payload is neither a JSON object nor an array")
	}
	var f fields
	end, err := s.collect(i, &f, true)
	if err != nil {
		return RawRequest{}, err
	}
	if s.ws(end) != len(b) {
		return RawRequest{}, syntaxErr(end, "trailing characters")
	}
	if req, ok := batchFromFields(&f); ok {
		return req, nil
	}
	var one RawEvent
	oneErr := one.fromFields(&f, true)
	if oneErr == nil {
		return RawRequest{Shape: ShapeOne, Events: []RawEvent{one}}, nil
	}
	var eng RawEvent
	if err := eng.fromFields(&f, false); err != nil {
		return RawRequest{}, fmt.Errorf("data did not match any request shape: %w", oneErr)
	}
	return RawRequest{Shape: ShapeEngage, Events: []RawEvent{eng}}, nil
}

// batchFromFields applies serde's rules for BatchedRequest: token (alias
// api_key) required string, batch required array of events,
// historical_migration Option<bool>, sent_at Option<String>.
func batchFromFields(f *fields) (RawRequest, bool) {
	if f.count[fToken]+f.count[fAPIKey] != 1 || f.count[fBatch] != 1 ||
		f.count[fHistoricalMigration] > 1 || f.count[fSentAt] > 1 || f.batchEvents == nil {
		return RawRequest{}, false
	}
	tok := f.raw[fToken]
	if tok == nil {
		tok = f.raw[fAPIKey]
	}
	t, ok := rawString(tok)
	if !ok {
		return RawRequest{}, false
	}
	req := RawRequest{Shape: ShapeBatch, Events: f.batchEvents, Token: &t}
	switch v := f.raw[fHistoricalMigration]; string(v) {
	case "", "null":
	case "true":
		req.HistoricalMigration = new(true)
	case "false":
		req.HistoricalMigration = new(false)
	default:
		return RawRequest{}, false
	}
	if v := f.raw[fSentAt]; v != nil && !isNull(v) {
		s, ok := rawString(v)
		if !ok {
			return RawRequest{}, false
		}
		req.SentAt = &s
	}
	return req, true
}

func (e *RawEvent) appendJSON(dst []byte) []byte {
	return AppendEventData(dst, &EventData{
		Token: e.Token, DistinctID: e.DistinctID, UUID: e.UUID, Event: e.Event, Properties: e.Properties,
		Timestamp: e.Timestamp, Offset: e.Offset, Set: e.Set, SetOnce: e.SetOnce,
	})
}

// EventData is what the reference re-serialises of a RawEvent for the
// CapturedEvent `data` field; raw JSON fields are copied verbatim. Both
// common/types' RawEvent and capture's scanner-built events write it.
type EventData struct {
	Token        *string
	DistinctID   json.RawMessage
	UUID         *uuid.UUID
	Event        string
	Properties   json.RawMessage
	Timestamp    *string
	Offset       *int64
	Set, SetOnce json.RawMessage
}

// AppendEventData appends e in the reference's field order: token,
// distinct_id, uuid (null when absent), event, properties ({} when absent),
// timestamp, offset, $set, $set_once; nil fields are omitted.
func AppendEventData(dst []byte, e *EventData) []byte {
	dst = append(dst, '{')
	if e.Token != nil {
		dst = append(dst, `"token":`...)
		dst = AppendJSONString(dst, *e.Token)
		dst = append(dst, ',')
	}
	if e.DistinctID != nil {
		dst = append(dst, `"distinct_id":`...)
		dst = append(dst, e.DistinctID...)
		dst = append(dst, ',')
	}
	dst = append(dst, `"uuid":`...)
	if e.UUID != nil {
		dst = AppendUUID(dst, *e.UUID)
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"event":`...)
	dst = AppendJSONString(dst, e.Event)
	dst = append(dst, `,"properties":`...)
	if e.Properties != nil {
		dst = append(dst, e.Properties...)
	} else {
		dst = append(dst, "{}"...)
	}
	if e.Timestamp != nil {
		dst = append(dst, `,"timestamp":`...)
		dst = AppendJSONString(dst, *e.Timestamp)
	}
	if e.Offset != nil {
		dst = append(dst, `,"offset":`...)
		dst = strconv.AppendInt(dst, *e.Offset, 10)
	}
	if e.Set != nil {
		dst = append(dst, `,"$set":`...)
		dst = append(dst, e.Set...)
	}
	if e.SetOnce != nil {
		dst = append(dst, `,"$set_once":`...)
		dst = append(dst, e.SetOnce...)
	}
	return append(dst, '}')
}

// AppendUUID appends u as a quoted, hyphenated, lower-case JSON string.
func AppendUUID(dst []byte, u uuid.UUID) []byte {
	dst = append(dst, '"')
	var buf [36]byte
	hexEncodeUUID(buf[:], u)
	dst = append(dst, buf[:]...)
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

func hexEncodeUUID(dst []byte, u uuid.UUID) {
	j := 0
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst[j] = '-'
			j++
		}
		dst[j] = hexDigits[c>>4]
		dst[j+1] = hexDigits[c&0xf]
		j += 2
	}
}

// AppendJSONString appends s as a JSON string escaped the way serde_json
// escapes: only '"', '\\' and control characters (\b \t \n \f \r short
// forms, others \u00XX); everything else, including non-ASCII, is copied.
// Invalid UTF-8 is replaced by U+FFFD.
func AppendJSONString(dst []byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		if i+8 <= len(s) {
			if j := skipPlainString(s, i); j != i {
				i = j - 1
				continue
			}
		}
		c := s[i]
		if !needsEscape[c] {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"':
			dst = append(dst, `\"`...)
		case '\\':
			dst = append(dst, `\\`...)
		case '\b':
			dst = append(dst, `\b`...)
		case '\f':
			dst = append(dst, `\f`...)
		case '\n':
			dst = append(dst, `\n`...)
		case '\r':
			dst = append(dst, `\r`...)
		case '\t':
			dst = append(dst, `\t`...)
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// skipPlainString skips 8-byte words of s from i that hold no control
// character, '"' or '\\' (non-ASCII bytes are plain).
func skipPlainString(s string, i int) int {
	for i+8 <= len(s) {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		q := x ^ (lsb * '"')
		bs := x ^ (lsb * '\\')
		m := (x - lsb*0x20) &^ x
		m |= (q - lsb) &^ q
		m |= (bs - lsb) &^ bs
		if m&msb != 0 {
			return i
		}
		i += 8
	}
	return i
}

// needsEscape marks the bytes serde_json escapes in strings.
var needsEscape = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

func (e *RawEvent) extractDistinctID() (string, bool) {
	v := e.DistinctID
	if v == nil || isNull(v) {
		p, ok := e.Property("distinct_id")
		if !ok || isNull(p) {
			return "", false
		}
		v = p
	}
	id, ok := rawString(v)
	if !ok {
		sorted, err := StringifySorted(v)
		if err != nil {
			return "", false
		}
		id = sorted
	}
	if strings.IndexByte(id, 0) >= 0 {
		id = strings.ReplaceAll(id, "\x00", "\uFFFD")
	}
	if strings.TrimSpace(id) == "" {
		return "", false
	}
	return TruncateChars(id, 200), true
}

// TruncateChars returns s cut to at most n characters (runes), as the
// reference truncates distinct_ids.
func TruncateChars(s string, n int) string {
	if len(s) <= n {
		return s
	}
	count := 0
	for i := range s {
		if count == n {
			return s[:i]
		}
		count++
	}
	return s
}

// StringifySorted renders a JSON value compactly with object keys sorted,
// as serde_json's Value (a BTreeMap) prints it: how a non-string
// distinct_id becomes the string capture and ingestion use.
func StringifySorted(v json.RawMessage) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return "", fmt.Errorf("stringify distinct_id: %w", err)
	}
	return string(appendSorted(nil, x)), nil
}

func appendSorted(dst []byte, x any) []byte {
	switch v := x.(type) {
	case nil:
		return append(dst, "null"...)
	case bool:
		return strconv.AppendBool(dst, v)
	case json.Number:
		return append(dst, v...)
	case string:
		return AppendJSONString(dst, v)
	case []any:
		dst = append(dst, '[')
		for i, el := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendSorted(dst, el)
		}
		return append(dst, ']')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendJSONString(dst, k)
			dst = append(dst, ':')
			dst = appendSorted(dst, v[k])
		}
		return append(dst, '}')
	}
	return dst
}

// AppendTimestamp appends FormatTimestamp(t).
func AppendTimestamp(dst []byte, t time.Time) []byte {
	t = t.UTC()
	if t.Year() < 0 || t.Year() > 9999 {
		return t.AppendFormat(dst, time.RFC3339Nano)
	}
	dst = t.AppendFormat(dst, "2006-01-02T15:04:05")
	ns := t.Nanosecond()
	switch {
	case ns == 0:
	case ns%1_000_000 == 0:
		dst = appendFrac(dst, ns/1_000_000, 3)
	case ns%1_000 == 0:
		dst = appendFrac(dst, ns/1_000, 6)
	default:
		dst = appendFrac(dst, ns, 9)
	}
	return append(dst, 'Z')
}

func appendFrac(dst []byte, v, digits int) []byte {
	dst = append(dst, '.')
	var buf [9]byte
	for i := digits - 1; i >= 0; i-- {
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, buf[:digits]...)
}

func formatMillis(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

func appendInt(dst []byte, n int64) []byte { return strconv.AppendInt(dst, n, 10) }

func (e *CapturedEvent) appendFields(dst []byte) []byte {
	dst = append(dst, `"uuid":`...)
	dst = AppendUUID(dst, e.UUID)
	dst = append(dst, `,"distinct_id":`...)
	dst = AppendJSONString(dst, e.DistinctID)
	dst = append(dst, `,"ip":`...)
	dst = AppendJSONString(dst, e.IP)
	dst = append(dst, `,"data":`...)
	dst = AppendJSONString(dst, e.Data)
	dst = append(dst, `,"now":`...)
	dst = AppendJSONString(dst, e.Now)
	if e.SentAt != nil {
		dst = append(dst, `,"sent_at":"`...)
		dst = e.SentAt.AppendFormat(dst, time.RFC3339Nano)
		dst = append(dst, '"')
	}
	dst = append(dst, `,"token":`...)
	dst = AppendJSONString(dst, e.Token)
	dst = append(dst, `,"event":`...)
	dst = AppendJSONString(dst, e.Event)
	dst = append(dst, `,"timestamp":"`...)
	dst = AppendTimestamp(dst, e.Timestamp)
	dst = append(dst, '"')
	if e.IsCookielessMode {
		dst = append(dst, `,"is_cookieless_mode":true`...)
	}
	if e.HistoricalMigration {
		dst = append(dst, `,"historical_migration":true`...)
	}
	return dst
}

// capturedWire is the decoding shape of CapturedEvent and
// InternallyCapturedEvent.
type capturedWire struct {
	UUID                uuid.UUID `json:"uuid"`
	DistinctID          string    `json:"distinct_id"`
	SessionID           *string   `json:"session_id"`
	IP                  string    `json:"ip"`
	Data                string    `json:"data"`
	Now                 string    `json:"now"`
	SentAt              *string   `json:"sent_at"`
	Token               string    `json:"token"`
	Event               string    `json:"event"`
	Timestamp           *string   `json:"timestamp"`
	IsCookielessMode    bool      `json:"is_cookieless_mode"`
	HistoricalMigration bool      `json:"historical_migration"`
	TeamID              int32     `json:"team_id"`
}

func (w *capturedWire) event() (CapturedEvent, error) {
	e := CapturedEvent{
		UUID: w.UUID, DistinctID: w.DistinctID, SessionID: w.SessionID, IP: w.IP, Data: w.Data,
		Now: w.Now, Token: w.Token, Event: w.Event,
		IsCookielessMode: w.IsCookielessMode, HistoricalMigration: w.HistoricalMigration,
	}
	if w.SentAt != nil && *w.SentAt != "" {
		t, err := time.Parse(time.RFC3339Nano, *w.SentAt)
		if err != nil {
			return e, fmt.Errorf("parse sent_at: %w", err)
		}
		e.SentAt = &t
	}
	if w.Timestamp != nil {
		t, err := time.Parse(time.RFC3339Nano, *w.Timestamp)
		if err != nil {
			return e, fmt.Errorf("parse timestamp: %w", err)
		}
		e.Timestamp = t.UTC()
	}
	return e, nil
}

func (e *CapturedEvent) unmarshal(b []byte) error {
	var w capturedWire
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("decode captured event: %w", err)
	}
	ev, err := w.event()
	if err != nil {
		return err
	}
	*e = ev
	return nil
}

func (e *InternallyCapturedEvent) unmarshal(b []byte) error {
	var w capturedWire
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("decode internally captured event: %w", err)
	}
	ev, err := w.event()
	if err != nil {
		return err
	}
	*e = InternallyCapturedEvent{CapturedEvent: ev, TeamID: w.TeamID}
	return nil
}

// marshalNoHTMLEscape is json.Marshal without escaping <, > and &, which
// serde_json never escapes.
func marshalNoHTMLEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
