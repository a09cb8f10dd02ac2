package payload

import (
	"strings"
	"time"

	"github.com/hoggo/capture/internal/apierr"
	"github.com/hoggo/common/jsonscan"
)

// Shape is which variant of the reference's untagged RawRequest union a
// body matched (capture spec §2.2).
type Shape int

// Body shapes, in the order they are tried.
const (
	ShapeArray  Shape = iota + 1 // [RawEvent, ...]
	ShapeBatch                   // {"api_key": ..., "batch": [...]}
	ShapeOne                     // a single RawEvent
	ShapeEngage                  // a RawEvent without "event" (only on /engage)
)

// Body is a parsed request body.
type Body struct {
	Shape  Shape
	Events []RawEvent

	// Batch-object fields.
	BatchToken          string
	HistoricalMigration bool
	SentAt              time.Time // zero when absent or unparseable
}

// HasBatchToken reports whether the batch-level token decides the request token.
func (b *Body) HasBatchToken() bool { return b.Shape == ShapeBatch }

// PerformanceEvent is dropped at capture (posthog-js sends it in bulk).
const PerformanceEvent = "$performance_event"

// ParseBody parses decoded JSON text into the request union, then applies the
// reference's post-parse rules: the engage path check, empty batches, and
// dropping $performance_event. path is the matched route path.
//
// Errors: RequestParsing (not JSON or no variant fits), RequestHydration
// (nameless event off /engage), EmptyBatch, EmptyPayloadFiltered (every event
// was a $performance_event; callers answer 200).
func ParseBody(text []byte, path string) (*Body, error) {
	b, err := parseUnion(text)
	if err != nil {
		return nil, apierr.Wrap(apierr.RequestParsing, err.Error(), err)
	}
	if b.Shape == ShapeEngage {
		if !strings.HasPrefix(path, "/engage") {
			return nil, apierr.New(apierr.RequestHydration, "non-engage request missing event name attribute")
		}
		b.Events[0].Event, b.Events[0].HasEvent = "$identify", true
	}
	if len(b.Events) == 0 {
		return nil, apierr.New(apierr.EmptyBatch, "")
	}
	kept := b.Events[:0]
	for i := range b.Events {
		if b.Events[i].Event != PerformanceEvent {
			kept = append(kept, b.Events[i])
		}
	}
	if len(kept) == 0 {
		return nil, apierr.New(apierr.EmptyPayloadFiltered, "")
	}
	b.Events = kept
	return b, nil
}

// ParseRecordingBody parses a /s payload: an array or a single event
// object, where the event name is optional (RawRecording).
func ParseRecordingBody(text []byte) (*Body, error) {
	b, err := parseUnion(text)
	if err != nil {
		return nil, apierr.Wrap(apierr.RequestParsing, err.Error(), err)
	}
	if len(b.Events) == 0 {
		return nil, apierr.New(apierr.EmptyBatch, "")
	}
	return b, nil
}

const noVariant = "data did not match any variant of untagged enum RawRequest"

func parseUnion(text []byte) (*Body, error) {
	s := &scanner{jsonscan.Scanner{Data: text, UTF8Valid: true}}
	var (
		b   *Body
		err error
	)
	switch s.Peek() {
	case '[':
		b, err = s.parseArrayBody()
	case '{':
		b, err = s.parseObjectBody()
	default:
		// Any other JSON value is well-formed but fits no variant.
		if _, err := s.SkipValue(); err != nil {
			return nil, err
		}
		err = shapef(noVariant)
	}
	if err != nil {
		if isSyntax(err) {
			return nil, err
		}
		if err := s.trailing(); err != nil {
			return nil, err
		}
		return nil, shapef("%s: %v", noVariant, err)
	}
	if err := s.trailing(); err != nil {
		return nil, err
	}
	return b, nil
}

func (s *scanner) trailing() error {
	if s.Peek() != 0 || s.Pos < len(s.Data) {
		return s.Errf("trailing characters")
	}
	return nil
}

func (s *scanner) parseArrayBody() (*Body, error) {
	events, err := s.parseEventArray()
	if err != nil {
		return nil, err
	}
	return &Body{Shape: ShapeArray, Events: events}, nil
}

// parseEventArray parses an array of named RawEvents. On a shape error the
// whole array is still consumed.
func (s *scanner) parseEventArray() ([]RawEvent, error) {
	start, depth := s.Pos, s.Depth
	events := make([]RawEvent, 0, 8)
	var shapeErr error
	err := s.EachElement(func() error {
		if s.Peek() != '{' {
			if _, err := s.SkipValue(); err != nil {
				return err
			}
			shapeErr = shapef("invalid type: expected an event object")
			return errAbandon
		}
		events = append(events, RawEvent{})
		ev := &events[len(events)-1]
		if err := s.parseEvent(ev); err != nil {
			if isSyntax(err) {
				return err
			}
			shapeErr = err
			return errAbandon
		}
		if !ev.HasEvent {
			shapeErr = shapef("missing field `event`")
			return errAbandon
		}
		return nil
	})
	if err == errAbandon {
		s.Pos, s.Depth = start, depth
		if _, err := s.SkipValue(); err != nil {
			return nil, err
		}
		return nil, shapeErr
	}
	if err != nil {
		return nil, err
	}
	return events, nil
}

// parseObjectBody tries Batch, then One/Engage, on the same object.
func (s *scanner) parseObjectBody() (*Body, error) {
	start := s.Pos
	if b, err := s.parseBatch(); err == nil {
		return b, nil
	} else if isSyntax(err) {
		return nil, err
	}
	s.Pos, s.Depth = start, 0
	var ev RawEvent
	if err := s.parseEvent(&ev); err != nil {
		return nil, err
	}
	shape := ShapeOne
	if !ev.HasEvent {
		shape = ShapeEngage
	}
	return &Body{Shape: shape, Events: []RawEvent{ev}}, nil
}

func (s *scanner) parseBatch() (*Body, error) {
	b := &Body{Shape: ShapeBatch}
	var hasToken, hasBatch bool
	var shapeErr error
	err := s.EachMember(func(key []byte, escaped bool) error {
		if escaped {
			key = jsonscan.Unescape(nil, key)
		}
		var ferr error
		switch string(key) {
		case "token", "api_key":
			if s.Peek() != '"' {
				_, ferr = s.SkipValue()
				if ferr == nil {
					ferr = shapef("invalid type for token: expected a string")
				}
				break
			}
			b.BatchToken, ferr = s.ReadString()
			hasToken = ferr == nil
		case "batch":
			if s.Peek() != '[' {
				_, ferr = s.SkipValue()
				if ferr == nil {
					ferr = shapef("invalid type for batch: expected a sequence")
				}
				break
			}
			b.Events, ferr = s.parseEventArray()
			hasBatch = ferr == nil
		case "historical_migration":
			var raw []byte
			raw, ferr = s.SkipValue()
			if ferr == nil {
				switch string(raw) {
				case "true":
					b.HistoricalMigration = true
				case "false", "null":
					b.HistoricalMigration = false
				default:
					ferr = shapef("invalid type for historical_migration: expected a boolean")
				}
			}
		case "sent_at":
			var str string
			var isNull bool
			str, isNull, ferr = s.optString(key)
			if ferr == nil && !isNull {
				b.SentAt, _ = ParseISO8601(str)
			}
		default:
			_, ferr = s.SkipValue()
		}
		if ferr != nil && !isSyntax(ferr) && shapeErr == nil {
			shapeErr = ferr
			return nil
		}
		return ferr
	})
	if err != nil {
		return nil, err
	}
	if shapeErr != nil {
		return nil, shapeErr
	}
	if !hasToken || !hasBatch {
		return nil, shapef("not a batch")
	}
	return b, nil
}
