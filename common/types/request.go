package types

// RequestShape says which body shape a capture payload had (capture.md §2.2).
type RequestShape int

// The shapes, in the order they are tried.
const (
	// ShapeArray is a JSON array of events (posthog-js on /e).
	ShapeArray RequestShape = iota + 1
	// ShapeBatch is {"api_key"|"token", "batch": [...], "historical_migration", "sent_at"}.
	ShapeBatch
	// ShapeOne is a single event object with a string "event".
	ShapeOne
	// ShapeEngage is a single event object without a usable "event"; capture
	// names it "$identify" on /engage paths and rejects it elsewhere.
	ShapeEngage
)

// RawRequest is a decoded capture payload: the untagged union Array | Batch |
// One | Engage of the reference, tried in that order.
type RawRequest struct {
	Shape RequestShape
	// Events holds the events in input order. For ShapeEngage it holds one
	// event whose Event is "".
	Events []RawEvent
	// Token is the batch-level token (ShapeBatch only; required there).
	Token *string
	// HistoricalMigration is the batch-level flag (ShapeBatch only).
	HistoricalMigration *bool
	// SentAt is the batch-level sent_at string (ShapeBatch only).
	SentAt *string
}

// ParseRawRequest decodes a capture payload. Raw fields of the returned
// events alias b.
func ParseRawRequest(b []byte) (RawRequest, error) {
	return parseRawRequest(b)
}
