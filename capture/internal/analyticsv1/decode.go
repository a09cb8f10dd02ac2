package analyticsv1

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxDepth bounds nesting inside properties and options, like serde_json's
// recursion limit.
const maxDepth = 128

// DecodeBatch parses the decompressed body in one pass (spec §2.3),
// following the reference's serde structs: required keys (created_at,
// batch; per event event, uuid, distinct_id, timestamp) must be present and
// not null, types must match, keys are case-sensitive, a repeated known
// key is an error ("duplicate field"), unknown keys are validated and
// skipped, trailing data is an error. properties and options are kept as
// slices of body (never parsed beyond validation), so body must not be
// modified while the Batch is in use.
//
// TODO(capture, common/types): payload's and types' scanners do the same
// validation for v0 bodies; export one strict scanner and use it here.
func DecodeBatch(body []byte) (*Batch, error) {
	if !utf8.Valid(body) {
		return nil, errors.New("body is not valid UTF-8")
	}
	d := &decoder{b: body}
	b, err := d.batch()
	if err != nil {
		return nil, err
	}
	d.ws()
	if d.i != len(d.b) {
		return nil, d.errf("trailing characters")
	}
	return b, nil
}

type decoder struct {
	b     []byte
	i     int
	depth int
}

func (d *decoder) errf(format string, args ...any) error {
	return fmt.Errorf("%s at offset %d", fmt.Sprintf(format, args...), d.i)
}

func (d *decoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// objStart consumes the '{' at the cursor; empty reports "{}" (consumed).
func (d *decoder) objStart() (empty bool, err error) {
	d.ws()
	if d.i >= len(d.b) || d.b[d.i] != '{' {
		return false, d.errf("expected an object")
	}
	d.i++
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == '}' {
		d.i++
		return true, nil
	}
	return false, nil
}

// objKey reads a member name and its ':'. The returned bytes alias the
// body unless the name had escapes.
func (d *decoder) objKey() ([]byte, error) {
	d.ws()
	start := d.i
	escaped, err := d.scanString()
	if err != nil {
		return nil, err
	}
	key := d.b[start+1 : d.i-1]
	if escaped {
		var s string
		if err := json.Unmarshal(d.b[start:d.i], &s); err != nil {
			return nil, fmt.Errorf("key at offset %d: %w", start, err)
		}
		key = []byte(s)
	}
	d.ws()
	if d.i >= len(d.b) || d.b[d.i] != ':' {
		return nil, d.errf("expected ':'")
	}
	d.i++
	d.ws()
	return key, nil
}

// objNext consumes the ',' or '}' after a member value.
func (d *decoder) objNext() (done bool, err error) {
	d.ws()
	if d.i >= len(d.b) {
		return false, d.errf("unterminated object")
	}
	switch d.b[d.i] {
	case ',':
		d.i++
		return false, nil
	case '}':
		d.i++
		return true, nil
	}
	return false, d.errf("expected ',' or '}'")
}

func (d *decoder) batch() (*Batch, error) {
	var (
		b                             Batch
		seenCreated, seenHist, seenCI bool
		seenBatch                     bool
	)
	dup := func(seen *bool, name string) error {
		if *seen {
			return d.errf("duplicate field `%s`", name)
		}
		*seen = true
		return nil
	}
	empty, err := d.objStart()
	for done := empty; err == nil && !done; done, err = d.objNext() {
		var key []byte
		if key, err = d.objKey(); err != nil {
			break
		}
		switch string(key) {
		case "created_at":
			if err = dup(&seenCreated, "created_at"); err == nil {
				b.CreatedAt, err = d.str()
			}
		case "historical_migration":
			if err = dup(&seenHist, "historical_migration"); err == nil {
				b.HistoricalMigration, err = d.boolean()
			}
		case "capture_internal":
			if err = dup(&seenCI, "capture_internal"); err == nil && !d.null() {
				b.CaptureInternal, err = d.boolean()
			}
		case "batch":
			if err = dup(&seenBatch, "batch"); err == nil {
				b.Events, err = d.events()
			}
		default:
			err = d.skip()
		}
		if err != nil {
			break
		}
	}
	switch {
	case err != nil:
		return nil, err
	case !seenCreated:
		return nil, errors.New("missing field `created_at`")
	case !seenBatch:
		return nil, errors.New("missing field `batch`")
	}
	return &b, nil
}

func (d *decoder) events() ([]Event, error) {
	if d.i >= len(d.b) || d.b[d.i] != '[' {
		return nil, d.errf("batch: expected an array")
	}
	d.i++
	d.ws()
	events := make([]Event, 0, 16)
	if d.i < len(d.b) && d.b[d.i] == ']' {
		d.i++
		return events, nil
	}
	for {
		d.ws()
		ev, err := d.event(len(events))
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
		d.ws()
		if d.i >= len(d.b) {
			return nil, d.errf("unterminated array")
		}
		switch d.b[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			return events, nil
		default:
			return nil, d.errf("expected ',' or ']'")
		}
	}
}

// Bits of the per-event fields seen.
const (
	fEvent = 1 << iota
	fUUID
	fDistinctID
	fTimestamp
	fSessionID
	fWindowID
	fOptions
	fProperties
)

func eventFieldBit(key []byte) int {
	switch string(key) {
	case "event":
		return fEvent
	case "uuid":
		return fUUID
	case "distinct_id":
		return fDistinctID
	case "timestamp":
		return fTimestamp
	case "session_id":
		return fSessionID
	case "window_id":
		return fWindowID
	case "options":
		return fOptions
	case "properties":
		return fProperties
	}
	return 0
}

func (d *decoder) event(n int) (Event, error) {
	var (
		ev   Event
		seen int
	)
	empty, err := d.objStart()
	for done := empty; err == nil && !done; done, err = d.objNext() {
		var key []byte
		if key, err = d.objKey(); err != nil {
			break
		}
		bit := eventFieldBit(key)
		if bit == 0 {
			if err = d.skip(); err != nil {
				break
			}
			continue
		}
		if seen&bit != 0 {
			return ev, d.errf("batch[%d]: duplicate field `%s`", n, key)
		}
		seen |= bit
		switch bit {
		case fEvent:
			ev.Event, err = d.str()
		case fUUID:
			ev.UUID, err = d.str()
			ev.UUID = strings.TrimSpace(ev.UUID)
		case fDistinctID:
			ev.DistinctID, err = d.str()
			ev.DistinctID = strings.TrimSpace(ev.DistinctID)
		case fTimestamp:
			ev.Timestamp, err = d.str()
		case fSessionID:
			ev.SessionID, err = d.optStr()
		case fWindowID:
			ev.WindowID, err = d.optStr()
		case fOptions:
			ev.Options, err = d.raw()
		case fProperties:
			ev.Properties, err = d.raw()
		}
		if err != nil {
			break
		}
	}
	if err != nil {
		return ev, err
	}
	for _, f := range [...]struct {
		bit  int
		name string
	}{{fEvent, "event"}, {fUUID, "uuid"}, {fDistinctID, "distinct_id"}, {fTimestamp, "timestamp"}} {
		if seen&f.bit == 0 {
			return ev, fmt.Errorf("batch[%d]: missing field `%s`", n, f.name)
		}
	}
	if ev.Properties == nil {
		ev.Properties = emptyObject
	}
	return ev, nil
}

// null consumes a null literal if one is at the cursor.
func (d *decoder) null() bool {
	if string(d.b[d.i:min(d.i+4, len(d.b))]) == "null" {
		d.i += 4
		return true
	}
	return false
}

func (d *decoder) boolean() (bool, error) {
	rest := d.b[d.i:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		d.i += 4
		return true, nil
	case len(rest) >= 5 && string(rest[:5]) == "false":
		d.i += 5
		return false, nil
	}
	return false, d.errf("expected a boolean")
}

func (d *decoder) optStr() (*string, error) {
	if d.null() {
		return nil, nil
	}
	s, err := d.str()
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// str decodes the string at the cursor.
func (d *decoder) str() (string, error) {
	start := d.i
	escaped, err := d.scanString()
	if err != nil {
		return "", err
	}
	lit := d.b[start:d.i]
	if !escaped {
		return string(lit[1 : len(lit)-1]), nil
	}
	// Rare: let the standard library apply the escapes.
	var s string
	if err := json.Unmarshal(lit, &s); err != nil {
		return "", fmt.Errorf("string at offset %d: %w", start, err)
	}
	return s, nil
}

// raw validates the value at the cursor and returns its text (a slice of
// the body).
func (d *decoder) raw() (json.RawMessage, error) {
	start := d.i
	if err := d.skip(); err != nil {
		return nil, err
	}
	return d.b[start:d.i:d.i], nil
}

// scanString moves past the string literal at the cursor, validating its
// escapes and rejecting raw control characters (UTF-8 was checked up front).
func (d *decoder) scanString() (escaped bool, err error) {
	b := d.b
	if d.i >= len(b) || b[d.i] != '"' {
		return false, d.errf("expected a string")
	}
	i := d.i + 1
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			d.i = i + 1
			return escaped, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(b) {
				d.i = i
				return false, d.errf("unterminated escape")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !isHex4(b[i+2:i+6]) {
					d.i = i
					return false, d.errf("invalid \\u escape")
				}
				i += 6
			default:
				d.i = i
				return false, d.errf("invalid escape")
			}
		case c < 0x20:
			d.i = i
			return false, d.errf("control character in string")
		default:
			i++
		}
	}
	d.i = i
	return false, d.errf("unterminated string")
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// skip validates and moves past any JSON value.
func (d *decoder) skip() error {
	d.ws()
	if d.i >= len(d.b) {
		return d.errf("unexpected end of input")
	}
	switch c := d.b[d.i]; {
	case c == '"':
		_, err := d.scanString()
		return err
	case c == '{' || c == '[':
		if d.depth++; d.depth > maxDepth {
			return d.errf("recursion limit exceeded")
		}
		defer func() { d.depth-- }()
		if c == '{' {
			return d.skipObject()
		}
		return d.array()
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '-' || ('0' <= c && c <= '9'):
		return d.number()
	}
	return d.errf("unexpected character %q", d.b[d.i])
}

func (d *decoder) skipObject() error {
	empty, err := d.objStart()
	for done := empty; err == nil && !done; done, err = d.objNext() {
		if _, err = d.objKey(); err == nil {
			err = d.skip()
		}
		if err != nil {
			break
		}
	}
	return err
}

func (d *decoder) array() error {
	d.i++ // '['
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == ']' {
		d.i++
		return nil
	}
	for {
		if err := d.skip(); err != nil {
			return err
		}
		d.ws()
		if d.i >= len(d.b) {
			return d.errf("unterminated array")
		}
		switch d.b[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			return nil
		default:
			return d.errf("expected ',' or ']'")
		}
	}
}

func (d *decoder) literal(lit string) error {
	if string(d.b[d.i:min(d.i+len(lit), len(d.b))]) != lit {
		return d.errf("invalid literal")
	}
	d.i += len(lit)
	return nil
}

// number validates the RFC 8259 number grammar.
func (d *decoder) number() error {
	b, i := d.b, d.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		d.i = i
		return d.errf("invalid number")
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			d.i = i
			return d.errf("invalid number")
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			d.i = i
			return d.errf("invalid number")
		}
	}
	d.i = i
	return nil
}
