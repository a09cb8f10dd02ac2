package analyticsv1

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/hoggo/common/jsonscan"
)

// DecodeBatch parses the decompressed body in one pass (spec §2.3),
// following the reference's serde structs: required keys (created_at,
// batch; per event event, uuid, distinct_id, timestamp) must be present and
// not null, types must match, keys are case-sensitive, a repeated known
// key is an error ("duplicate field"), unknown keys are validated and
// skipped, trailing data is an error. properties and options are kept as
// slices of body (never parsed beyond validation), so body must not be
// modified while the Batch is in use.
func DecodeBatch(body []byte) (*Batch, error) {
	if !utf8.Valid(body) {
		return nil, errors.New("body is not valid UTF-8")
	}
	d := newDecoder(body)
	b, err := d.batch()
	if err != nil {
		return nil, err
	}
	d.ws()
	if d.Pos != len(d.Data) {
		return nil, d.errf("trailing characters")
	}
	return b, nil
}

// decoder is common/jsonscan's strict cursor with the v1 schema on top;
// nesting inside properties and options is bounded by jsonscan.MaxDepth.
type decoder struct {
	jsonscan.Scanner
}

func newDecoder(b []byte) *decoder {
	return &decoder{jsonscan.Scanner{Data: b, UTF8Valid: true}}
}

func (d *decoder) errf(format string, args ...any) error {
	return fmt.Errorf("%s at offset %d", fmt.Sprintf(format, args...), d.Pos)
}

func (d *decoder) ws() { d.SkipWS() }

// objStart consumes the '{' at the cursor; empty reports "{}" (consumed).
func (d *decoder) objStart() (empty bool, err error) {
	d.ws()
	if d.Pos >= len(d.Data) || d.Data[d.Pos] != '{' {
		return false, d.errf("expected an object")
	}
	d.Pos++
	d.ws()
	if d.Pos < len(d.Data) && d.Data[d.Pos] == '}' {
		d.Pos++
		return true, nil
	}
	return false, nil
}

// objKey reads a member name and its ':'. The returned bytes alias the
// body unless the name had escapes.
func (d *decoder) objKey() ([]byte, error) {
	d.ws()
	start := d.Pos
	escaped, err := d.ScanString()
	if err != nil {
		return nil, err
	}
	key := d.Data[start+1 : d.Pos-1]
	if escaped {
		key = jsonscan.Unescape(nil, key)
	}
	d.ws()
	if d.Pos >= len(d.Data) || d.Data[d.Pos] != ':' {
		return nil, d.errf("expected ':'")
	}
	d.Pos++
	d.ws()
	return key, nil
}

// objNext consumes the ',' or '}' after a member value.
func (d *decoder) objNext() (done bool, err error) {
	d.ws()
	if d.Pos >= len(d.Data) {
		return false, d.errf("unterminated object")
	}
	switch d.Data[d.Pos] {
	case ',':
		d.Pos++
		return false, nil
	case '}':
		d.Pos++
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
	if d.Pos >= len(d.Data) || d.Data[d.Pos] != '[' {
		return nil, d.errf("batch: expected an array")
	}
	d.Pos++
	d.ws()
	events := make([]Event, 0, 16)
	if d.Pos < len(d.Data) && d.Data[d.Pos] == ']' {
		d.Pos++
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
		if d.Pos >= len(d.Data) {
			return nil, d.errf("unterminated array")
		}
		switch d.Data[d.Pos] {
		case ',':
			d.Pos++
		case ']':
			d.Pos++
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
	if string(d.Data[d.Pos:min(d.Pos+4, len(d.Data))]) == "null" {
		d.Pos += 4
		return true
	}
	return false
}

func (d *decoder) boolean() (bool, error) {
	rest := d.Data[d.Pos:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		d.Pos += 4
		return true, nil
	case len(rest) >= 5 && string(rest[:5]) == "false":
		d.Pos += 5
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
	start := d.Pos
	escaped, err := d.ScanString()
	if err != nil {
		return "", err
	}
	lit := d.Data[start:d.Pos]
	if !escaped {
		return string(lit[1 : len(lit)-1]), nil
	}
	return string(jsonscan.Unescape(nil, lit[1:len(lit)-1])), nil
}

// raw validates the value at the cursor and returns its text (a slice of
// the body).
func (d *decoder) raw() (json.RawMessage, error) {
	return d.SkipValue()
}

// skip validates and moves past any JSON value.
func (d *decoder) skip() error {
	_, err := d.SkipValue()
	return err
}
