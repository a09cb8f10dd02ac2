package types

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// PersonMode is ClickHouseEvent.person_mode.
type PersonMode string

// The person modes.
const (
	PersonModeFull         PersonMode = "full"
	PersonModePropertyless PersonMode = "propertyless"
	PersonModeForceUpgrade PersonMode = "force_upgrade"
)

// ClickHouseEvent is the value of clickhouse_events_json
// (common-and-stack.md §2.6). Timestamps are ClickHouse DateTime64(6) text
// (see FormatDateTime64); Properties and the person/group property fields
// are JSON documents carried as strings. Pointer fields marked omitempty are
// omitted when nil; ProjectID and ElementsChain are written as null.
type ClickHouseEvent struct {
	UUID                uuid.UUID  `json:"uuid"`
	TeamID              int32      `json:"team_id"`
	ProjectID           *int64     `json:"project_id"`
	Event               string     `json:"event"`
	DistinctID          string     `json:"distinct_id"`
	Properties          *string    `json:"properties,omitempty"`
	PersonID            *string    `json:"person_id,omitempty"`
	Timestamp           string     `json:"timestamp"`
	CreatedAt           string     `json:"created_at"`
	CapturedAt          *string    `json:"captured_at,omitempty"`
	ElementsChain       *string    `json:"elements_chain"`
	PersonCreatedAt     *string    `json:"person_created_at,omitempty"`
	PersonProperties    *string    `json:"person_properties,omitempty"`
	Group0Properties    *string    `json:"group0_properties,omitempty"`
	Group1Properties    *string    `json:"group1_properties,omitempty"`
	Group2Properties    *string    `json:"group2_properties,omitempty"`
	Group3Properties    *string    `json:"group3_properties,omitempty"`
	Group4Properties    *string    `json:"group4_properties,omitempty"`
	Group0CreatedAt     *string    `json:"group0_created_at,omitempty"`
	Group1CreatedAt     *string    `json:"group1_created_at,omitempty"`
	Group2CreatedAt     *string    `json:"group2_created_at,omitempty"`
	Group3CreatedAt     *string    `json:"group3_created_at,omitempty"`
	Group4CreatedAt     *string    `json:"group4_created_at,omitempty"`
	PersonMode          PersonMode `json:"person_mode"`
	HistoricalMigration *bool      `json:"historical_migration,omitempty"`
}

// RawProperties parses Properties into a map (nil Properties → empty map).
func (e *ClickHouseEvent) RawProperties() (map[string]json.RawMessage, error) {
	props := map[string]json.RawMessage{}
	if e.Properties == nil {
		return props, nil
	}
	if err := json.Unmarshal([]byte(*e.Properties), &props); err != nil {
		return nil, fmt.Errorf("parse clickhouse event properties: %w", err)
	}
	return props, nil
}

// dateTime64Layout is ClickHouse's DateTime64(6) text format.
const dateTime64Layout = "2006-01-02 15:04:05.000000"

// FormatDateTime64 formats t in UTC as ClickHouse DateTime64(6) text:
// "2024-01-01 12:00:00.000000".
func FormatDateTime64(t time.Time) string {
	return t.UTC().Format(dateTime64Layout)
}

// ParseDateTime64 parses ClickHouse DateTime text as UTC. Zero to nine
// fraction digits are accepted ("2021-08-02 12:34:56", "...56.789").
func ParseDateTime64(s string) (time.Time, error) {
	t, err := time.ParseInLocation("2006-01-02 15:04:05.999999999", s, time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse DateTime64 %q: %w", s, err)
	}
	return t, nil
}

// MarshalJSON writes the reference's bytes (no HTML escaping).
func (e ClickHouseEvent) MarshalJSON() ([]byte, error) {
	type plain ClickHouseEvent
	return marshalNoHTMLEscape(plain(e))
}
