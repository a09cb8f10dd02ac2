package devstack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// The demo organisation, team and personal API key that `make dev` seeds, so
// an SDK pointed at the stack works at once.
const (
	DemoToken          = "phc_dev"
	DemoSecretToken    = "phs_dev"
	DemoPersonalAPIKey = "phx_dev_personal_api_key"
	DemoTeamID         = 1
	DemoProjectID      = 1
	demoOrganizationID = "01890000-0000-7000-8000-000000000001"
	demoUserEmail      = "dev@hoggo.local"
)

// Seed inserts the demo rows into the posthog database; running it again
// changes nothing.
func Seed(ctx context.Context, databaseURL string) error {
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return fmt.Errorf("seed: connect: %w", err)
	}
	defer conn.Close(ctx)
	sum := sha256.Sum256([]byte(DemoPersonalAPIKey))
	secure := "sha256$" + hex.EncodeToString(sum[:])
	steps := []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO posthog_organization (id, name, slug) VALUES ($1, 'Hoggo Dev', 'hoggo-dev')
		  ON CONFLICT (id) DO NOTHING`, []any{demoOrganizationID}},
		{`INSERT INTO posthog_project (id, organization_id, name) VALUES ($1, $2, 'Dev project')
		  ON CONFLICT (id) DO NOTHING`, []any{DemoProjectID, demoOrganizationID}},
		{`INSERT INTO posthog_team (id, organization_id, project_id, api_token, secret_api_token, name)
		  VALUES ($1, $2, $3, $4, $5, 'Dev project') ON CONFLICT (id) DO NOTHING`,
			[]any{DemoTeamID, demoOrganizationID, DemoProjectID, DemoToken, DemoSecretToken}},
		{`INSERT INTO posthog_user (email, first_name, current_organization_id, current_team_id, distinct_id)
		  VALUES ($1, 'Dev', $2, $3, 'dev-user') ON CONFLICT (email) DO NOTHING`,
			[]any{demoUserEmail, demoOrganizationID, DemoTeamID}},
		{`INSERT INTO posthog_organizationmembership (id, organization_id, user_id, level)
		  SELECT '01890000-0000-7000-8000-000000000002', $1, id, 15 FROM posthog_user WHERE email = $2
		  ON CONFLICT DO NOTHING`, []any{demoOrganizationID, demoUserEmail}},
		{`INSERT INTO posthog_personalapikey (id, label, secure_value, mask_value, user_id, scopes)
		  SELECT 'dev-key', 'dev', $1, 'phx_...key', id, '{*}' FROM posthog_user WHERE email = $2
		  ON CONFLICT (id) DO NOTHING`, []any{secure, demoUserEmail}},
	}
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		for _, s := range steps {
			if _, err := tx.Exec(ctx, s.sql, s.args...); err != nil {
				return fmt.Errorf("seed: %w", err)
			}
		}
		// Rows inserted with explicit ids leave the identity sequences behind.
		for _, table := range []string{"posthog_team", "posthog_user"} {
			if _, err := tx.Exec(ctx, fmt.Sprintf(
				`SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT max(id) FROM %s))`, table, table)); err != nil {
				return fmt.Errorf("seed: reset %s sequence: %w", table, err)
			}
		}
		return nil
	})
}
