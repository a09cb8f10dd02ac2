// Package store loads what flag evaluation needs: teams by token, flag
// definitions (the Django HyperCache in Redis, else posthog_featureflag),
// cohorts, group type mappings, person and group properties, static cohort
// membership, experience-continuity hash-key overrides and billing quota
// limits. Teams, flag sets and group type mappings are cached in process.
package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	commonredis "github.com/hoggo/common/redis"

	"github.com/hoggo/feature-flags/internal/cohorts"
	"github.com/hoggo/feature-flags/internal/definitions"
	"github.com/hoggo/feature-flags/internal/metrics"
)

// ErrTeamNotFound means no team has the token.
var ErrTeamNotFound = errors.New("team not found")

// Team is the part of posthog_team the service uses.
type Team struct {
	ID                       int     `json:"id"`
	ProjectID                int64   `json:"project_id"`
	UUID                     string  `json:"uuid"`
	Name                     string  `json:"name"`
	APIToken                 string  `json:"api_token"`
	Timezone                 string  `json:"timezone"`
	CookielessServerHashMode int     `json:"cookieless_server_hash_mode"`
	SecretAPIToken           *string `json:"secret_api_token"`
	SecretAPITokenBackup     *string `json:"secret_api_token_backup"`
}

// Location is the team's timezone (UTC when unknown).
func (t *Team) Location() *time.Location {
	if t.Timezone == "" {
		return time.UTC
	}
	if loc, err := loadLocation(t.Timezone); err == nil {
		return loc
	}
	return time.UTC
}

var locations = newTTLCache[string, *time.Location]()

func loadLocation(name string) (*time.Location, error) {
	return locations.get(context.Background(), name, func(context.Context) (*time.Location, time.Duration, error) {
		loc, err := time.LoadLocation(name)
		return loc, 24 * time.Hour, err
	})
}

// Pools are the four Postgres pools of the reference; the persons pools may
// be the same as the non-persons ones.
type Pools struct {
	NonPersonsReader, NonPersonsWriter *pgxpool.Pool
	PersonsReader, PersonsWriter       *pgxpool.Pool
}

// Options tune the store's caches.
type Options struct {
	// TeamTTL and FlagsTTL bound how stale cached teams and flag sets may be.
	TeamTTL, FlagsTTL time.Duration
	// NegativeTeamTTL is how long an unknown token is remembered.
	NegativeTeamTTL time.Duration
	// TeamLabel renders a team id as a metric label (TEAM_IDS_TO_TRACK);
	// nil labels every team.
	TeamLabel func(int) string
}

// Store reads from Postgres and Redis. It is safe for concurrent use.
type Store struct {
	pg    Pools
	redis *commonredis.Client // nil: no Redis
	opt   Options

	teams      *ttlCache[string, *Team]
	flagSets   *ttlCache[int, *FlagSet]
	groupTypes *ttlCache[int, map[int]string]
}

// FlagSet is a team's prepared flags plus where they came from.
type FlagSet struct {
	*definitions.FlagSet
	Source string // "redis" or "postgres"
	// Entry is the definitions as loaded.
	Entry *definitions.CacheEntry
}

// New returns a Store.
func New(pg Pools, rdb *commonredis.Client, opt Options) *Store {
	return &Store{
		pg: pg, redis: rdb, opt: opt,
		teams:      newTTLCache[string, *Team](),
		flagSets:   newTTLCache[int, *FlagSet](),
		groupTypes: newTTLCache[int, map[int]string](),
	}
}

// Pools returns the store's Postgres pools.
func (s *Store) Pools() Pools { return s.pg }

const teamColumns = `id, COALESCE(project_id, id), COALESCE(uuid::text, ''), COALESCE(name, ''), api_token, COALESCE(timezone, 'UTC'), COALESCE(cookieless_server_hash_mode, 0), secret_api_token, secret_api_token_backup`

func scanTeam(row pgx.Row) (*Team, error) {
	var t Team
	if err := row.Scan(&t.ID, &t.ProjectID, &t.UUID, &t.Name, &t.APIToken, &t.Timezone, &t.CookielessServerHashMode, &t.SecretAPIToken, &t.SecretAPITokenBackup); err != nil {
		return nil, err
	}
	return &t, nil
}

// TeamByToken resolves a project API token. Unknown tokens are cached
// (negatively) only on a definite not-found.
func (s *Store) TeamByToken(ctx context.Context, token string) (*Team, error) {
	t, err := s.teams.get(ctx, token, func(ctx context.Context) (*Team, time.Duration, error) {
		if team := s.teamFromRedis(ctx, token); team != nil {
			metrics.TeamCacheHits.Inc()
			return team, s.opt.TeamTTL, nil
		}
		team, err := scanTeam(s.pg.NonPersonsReader.QueryRow(ctx, `SELECT `+teamColumns+` FROM posthog_team WHERE api_token = $1 LIMIT 1`, token))
		if errors.Is(err, pgx.ErrNoRows) {
			metrics.TokenValidationErrors.Inc()
			return nil, s.opt.NegativeTeamTTL, nil
		}
		if err != nil {
			return nil, 0, fmt.Errorf("team by token: %w", err)
		}
		metrics.DBTeamReads.Inc()
		return team, s.opt.TeamTTL, nil
	})
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, ErrTeamNotFound
	}
	return t, nil
}

// TeamBySecretToken resolves a project secret API token (phs_...), current or
// backup.
func (s *Store) TeamBySecretToken(ctx context.Context, secret string) (*Team, error) {
	t, err := scanTeam(s.pg.NonPersonsReader.QueryRow(ctx, `SELECT `+teamColumns+` FROM posthog_team WHERE secret_api_token = $1 OR secret_api_token_backup = $1 LIMIT 1`, secret))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrTeamNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("team by secret token: %w", err)
	}
	return t, nil
}

// Flags returns the team's prepared flag set: the HyperCache JSON in Redis
// when present, else the flags and cohorts from Postgres.
func (s *Store) Flags(ctx context.Context, team *Team) (*FlagSet, error) {
	return s.flagSets.get(ctx, team.ID, func(ctx context.Context) (*FlagSet, time.Duration, error) {
		if entry, err := s.flagsFromRedis(ctx, team.ID); err == nil && entry != nil {
			metrics.FlagCacheHits.Inc()
			return &FlagSet{FlagSet: definitions.NewFlagSet(entry.Flags, entry.Cohorts), Source: "redis", Entry: entry}, s.opt.FlagsTTL, nil
		} else if err != nil {
			metrics.FlagCacheErrors.Inc()
		}
		entry, err := s.flagsFromPostgres(ctx, team)
		if err != nil {
			return nil, 0, err
		}
		metrics.DBFlagReads.Inc()
		return &FlagSet{FlagSet: definitions.NewFlagSet(entry.Flags, entry.Cohorts), Source: "postgres", Entry: entry}, s.opt.FlagsTTL, nil
	})
}

// InvalidateFlags drops the cached flag set of a team.
func (s *Store) InvalidateFlags(teamID int) { s.flagSets.invalidate(teamID) }

func (s *Store) flagsFromPostgres(ctx context.Context, team *Team) (*definitions.CacheEntry, error) {
	rows, err := s.pg.NonPersonsReader.Query(ctx, `
		SELECT f.id, f.team_id, COALESCE(f.name, ''), f.key, f.filters, f.deleted, f.active,
		       COALESCE(f.ensure_experience_continuity, false), f.version, f.evaluation_runtime, f.bucketing_identifier,
		       COALESCE((SELECT array_agg(ec.name ORDER BY ec.name) FROM posthog_featureflagevaluationcontext fec
		                 JOIN posthog_evaluationcontext ec ON ec.id = fec.evaluation_context_id
		                 WHERE fec.feature_flag_id = f.id), '{}')
		FROM posthog_featureflag f JOIN posthog_team t ON f.team_id = t.id
		WHERE COALESCE(t.project_id, t.id) = $1 AND NOT f.deleted
		ORDER BY f.id`, team.ProjectID)
	if err != nil {
		return nil, fmt.Errorf("query flags: %w", err)
	}
	defer rows.Close()
	entry := &definitions.CacheEntry{Flags: []*definitions.Flag{}}
	for rows.Next() {
		var (
			id, teamID           int
			name, key            string
			filters              []byte
			deleted, active, eec bool
			version              *int
			runtime, bucketing   *string
			contexts             []string
		)
		if err := rows.Scan(&id, &teamID, &name, &key, &filters, &deleted, &active, &eec, &version, &runtime, &bucketing, &contexts); err != nil {
			return nil, fmt.Errorf("scan flag: %w", err)
		}
		if len(filters) == 0 {
			filters = []byte("{}")
		}
		raw, err := json.Marshal(map[string]any{
			"id": id, "team_id": teamID, "name": name, "key": key, "filters": json.RawMessage(filters),
			"deleted": deleted, "active": active, "ensure_experience_continuity": eec, "version": version,
			"evaluation_runtime": runtime, "bucketing_identifier": bucketing, "evaluation_contexts": contexts,
		})
		if err != nil {
			return nil, fmt.Errorf("encode flag %d: %w", id, err)
		}
		var f definitions.Flag
		if err := json.Unmarshal(raw, &f); err != nil {
			// One broken flag must not take down the others.
			metrics.EvaluationErrors.WithLabelValues("flag_data_parsing_error").Inc()
			continue
		}
		entry.Flags = append(entry.Flags, &f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read flags: %w", err)
	}
	cs, err := s.cohortsFromPostgres(ctx, team.ID)
	if err != nil {
		return nil, err
	}
	entry.Cohorts = cs
	return entry, nil
}

func (s *Store) cohortsFromPostgres(ctx context.Context, teamID int) ([]*cohorts.Cohort, error) {
	rows, err := s.pg.NonPersonsReader.Query(ctx, `
		SELECT id, COALESCE(name, ''), COALESCE(is_static, false), deleted, filters, cohort_type
		FROM posthog_cohort WHERE team_id = $1 AND NOT deleted`, teamID)
	if err != nil {
		metrics.DBCohortErrors.Inc()
		return nil, fmt.Errorf("query cohorts: %w", err)
	}
	defer rows.Close()
	var out []*cohorts.Cohort
	for rows.Next() {
		var (
			id          int
			name        string
			static, del bool
			filters     []byte
			cohortType  *string
		)
		if err := rows.Scan(&id, &name, &static, &del, &filters, &cohortType); err != nil {
			return nil, fmt.Errorf("scan cohort: %w", err)
		}
		if len(filters) == 0 {
			filters = []byte("null")
		}
		raw, _ := json.Marshal(map[string]any{"id": id, "name": name, "is_static": static, "deleted": del, "filters": json.RawMessage(filters), "cohort_type": cohortType})
		var c cohorts.Cohort
		if err := json.Unmarshal(raw, &c); err != nil {
			continue
		}
		out = append(out, &c)
	}
	metrics.DBCohortReads.Inc()
	return out, rows.Err()
}

// GroupTypes returns the team's group type index → name mapping.
func (s *Store) GroupTypes(ctx context.Context, teamID int) (map[int]string, error) {
	return s.groupTypes.get(ctx, teamID, func(ctx context.Context) (map[int]string, time.Duration, error) {
		rows, err := s.pg.PersonsReader.Query(ctx, `SELECT group_type, group_type_index FROM posthog_grouptypemapping WHERE team_id = $1`, teamID)
		if err != nil {
			return nil, 0, fmt.Errorf("query group types: %w", err)
		}
		defer rows.Close()
		m := map[int]string{}
		for rows.Next() {
			var name string
			var idx int
			if err := rows.Scan(&name, &idx); err != nil {
				return nil, 0, fmt.Errorf("scan group type: %w", err)
			}
			m[idx] = name
		}
		if err := rows.Err(); err != nil {
			return nil, 0, err
		}
		return m, s.opt.FlagsTTL, nil
	})
}

// Person is a person row's id and properties; ID is 0 when no person has the
// distinct id.
type Person struct {
	ID         int64
	Properties map[string]any
}

// PersonByDistinctID loads the person of (team, distinct id).
func (s *Store) PersonByDistinctID(ctx context.Context, teamID int, distinctID string) (Person, error) {
	var p Person
	var props []byte
	err := s.pg.PersonsReader.QueryRow(ctx, `
		SELECT p.id, p.properties FROM posthog_person p
		JOIN posthog_persondistinctid pd ON pd.person_id = p.id AND pd.team_id = p.team_id
		WHERE pd.team_id = $1 AND pd.distinct_id = $2 LIMIT 1`, teamID, distinctID).Scan(&p.ID, &props)
	if errors.Is(err, pgx.ErrNoRows) {
		return Person{}, nil
	}
	if err != nil {
		return Person{}, fmt.Errorf("query person: %w", err)
	}
	p.Properties = decodeObject(props)
	return p, nil
}

// GroupProperties loads the properties of the given groups (index → key).
func (s *Store) GroupProperties(ctx context.Context, teamID int, keys map[int]string) (map[int]map[string]any, error) {
	out := map[int]map[string]any{}
	if len(keys) == 0 {
		return out, nil
	}
	idx := make([]int32, 0, len(keys))
	ks := make([]string, 0, len(keys))
	for i, k := range keys {
		idx = append(idx, int32(i))
		ks = append(ks, k)
	}
	rows, err := s.pg.PersonsReader.Query(ctx, `
		SELECT group_type_index, group_key, group_properties FROM posthog_group
		WHERE team_id = $1 AND group_type_index = ANY($2) AND group_key = ANY($3)`, teamID, idx, ks)
	if err != nil {
		return nil, fmt.Errorf("query groups: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var i int
		var key string
		var props []byte
		if err := rows.Scan(&i, &key, &props); err != nil {
			return nil, fmt.Errorf("scan group: %w", err)
		}
		if keys[i] == key {
			out[i] = decodeObject(props)
		}
	}
	return out, rows.Err()
}

// StaticCohortMembership reports for each static cohort id whether the person
// is a member.
func (s *Store) StaticCohortMembership(ctx context.Context, personID int64, ids []int) (map[int]bool, error) {
	out := make(map[int]bool, len(ids))
	if len(ids) == 0 || personID == 0 {
		return out, nil
	}
	ids32 := make([]int32, len(ids))
	for i, id := range ids {
		ids32[i] = int32(id)
	}
	rows, err := s.pg.PersonsReader.Query(ctx, `
		SELECT c.id, EXISTS (SELECT 1 FROM posthog_cohortpeople cp WHERE cp.cohort_id = c.id AND cp.person_id = $2)
		FROM unnest($1::int[]) AS c(id)`, ids32, personID)
	if err != nil {
		return nil, fmt.Errorf("query static cohorts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int
		var member bool
		if err := rows.Scan(&id, &member); err != nil {
			return nil, fmt.Errorf("scan static cohort: %w", err)
		}
		out[id] = member
	}
	return out, rows.Err()
}

func decodeObject(b []byte) map[string]any {
	if len(b) == 0 {
		return map[string]any{}
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if d.Decode(&m) != nil || m == nil {
		return map[string]any{}
	}
	return m
}
