package types

import (
	"time"

	"github.com/google/uuid"
)

// Team is a row of posthog_team as the Rust services read it (an
// "environment" in PostHog's UI).
type Team struct {
	ID                     int32
	ProjectID              *int64
	OrganizationID         uuid.UUID
	UUID                   uuid.UUID
	APIToken               string
	Name                   string
	CreatedAt              time.Time
	UpdatedAt              time.Time
	AnonymizeIPs           bool
	PersonProcessingOptOut *bool
}

// TeamColumns is the column list matching Team's fields, in order, for
// SELECT statements against posthog_team.
const TeamColumns = "id, project_id, organization_id, uuid, api_token, name, created_at, updated_at, anonymize_ips, person_processing_opt_out"

// ScanDest returns pointers to t's fields in TeamColumns order, for
// row.Scan(t.ScanDest()...).
func (t *Team) ScanDest() []any {
	return []any{&t.ID, &t.ProjectID, &t.OrganizationID, &t.UUID, &t.APIToken, &t.Name,
		&t.CreatedAt, &t.UpdatedAt, &t.AnonymizeIPs, &t.PersonProcessingOptOut}
}
