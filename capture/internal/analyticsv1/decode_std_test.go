package analyticsv1

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

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

// decodeBatchStd is the encoding/json decoder the one-pass DecodeBatch
// replaced, kept as the differential oracle of FuzzDecodeBatch. It differs
// only in being more lenient: keys match case-insensitively and repeated
// keys keep the last value.
func decodeBatchStd(body []byte) (*Batch, error) {
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
