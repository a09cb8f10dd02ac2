// Package auth authenticates the local-evaluation definitions feed: personal
// API keys (phx_..., stored as "sha256$<hex>" in posthog_personalapikey with
// scopes) and project secret API tokens.
package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Errors, mapped by the API to 401/403.
var (
	ErrInvalidKey         = errors.New("personal API key invalid")
	ErrInsufficientScopes = errors.New("personal API key lacks the feature_flag:read scope")
	ErrNoAccess           = errors.New("personal API key has no access to this project")
)

// SecureValue is how a personal API key is stored: "sha256$" + hex SHA-256.
func SecureValue(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "sha256$" + hex.EncodeToString(sum[:])
}

// Key is a verified personal API key.
type Key struct {
	ID     string
	UserID int
	Scopes []string
}

// PersonalKeys checks personal API keys against Postgres.
type PersonalKeys struct {
	DB *pgxpool.Pool
	// Writer, when set, receives last_used_at updates (at most hourly per key).
	Writer *pgxpool.Pool
}

// Authorize verifies key (with or without "Bearer ") for team teamID: the
// user must be active, the scopes must allow reading flags, the key's team
// and organization scoping must include the team, and the user must be a
// member of the team's organization.
func (p *PersonalKeys) Authorize(ctx context.Context, key string, teamID int) (*Key, error) {
	key = strings.TrimSpace(strings.TrimPrefix(key, "Bearer "))
	if key == "" {
		return nil, ErrInvalidKey
	}
	var (
		k           Key
		scopes      []string
		scopedTeams []int32
		scopedOrgs  []string
		lastUsed    *time.Time
		teamOrg     *string
		member      bool
	)
	err := p.DB.QueryRow(ctx, `
		SELECT pak.id::text, pak.user_id, pak.scopes, pak.scoped_teams, pak.scoped_organizations, pak.last_used_at,
		       (SELECT t.organization_id::text FROM posthog_team t WHERE t.id = $2),
		       EXISTS (SELECT 1 FROM posthog_organizationmembership m JOIN posthog_team t ON t.organization_id = m.organization_id
		               WHERE m.user_id = u.id AND t.id = $2)
		FROM posthog_personalapikey pak JOIN posthog_user u ON u.id = pak.user_id
		WHERE pak.secure_value = $1 AND u.is_active`, SecureValue(key), teamID).
		Scan(&k.ID, &k.UserID, &scopes, &scopedTeams, &scopedOrgs, &lastUsed, &teamOrg, &member)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrInvalidKey
	}
	if err != nil {
		return nil, fmt.Errorf("personal api key lookup: %w", err)
	}
	k.Scopes = scopes
	if scopes != nil && !slices.Contains(scopes, "*") && !slices.Contains(scopes, "feature_flag:read") && !slices.Contains(scopes, "feature_flag:write") {
		return nil, ErrInsufficientScopes
	}
	if len(scopedTeams) > 0 && !slices.Contains(scopedTeams, int32(teamID)) {
		return nil, ErrNoAccess
	}
	if len(scopedOrgs) > 0 && (teamOrg == nil || !slices.Contains(scopedOrgs, *teamOrg)) {
		return nil, ErrNoAccess
	}
	if !member {
		return nil, ErrNoAccess
	}
	if p.Writer != nil && (lastUsed == nil || time.Since(*lastUsed) > time.Hour) {
		go func(id string) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, _ = p.Writer.Exec(ctx, `UPDATE posthog_personalapikey SET last_used_at = now() WHERE id::text = $1`, id)
		}(k.ID)
	}
	return &k, nil
}
