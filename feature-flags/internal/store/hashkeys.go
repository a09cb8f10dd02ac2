package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hoggo/feature-flags/internal/metrics"
)

// HashKeyOverrides implements experience continuity. When anonID is set, it
// first writes (team, person, flag, hash_key=anonID) for every person of
// distinctID or anonID lacking an override for one of eecFlagKeys (in one
// transaction, ON CONFLICT DO NOTHING; a foreign-key violation from a person
// deleted mid-way is retried twice), then reads the overrides of both ids,
// distinctID's person winning. Without anonID it only reads.
func (s *Store) HashKeyOverrides(ctx context.Context, teamID int, distinctID, anonID string, eecFlagKeys []string) (map[string]string, error) {
	ids := []string{distinctID}
	wrote := false
	if anonID != "" && anonID != distinctID {
		ids = append(ids, anonID)
		var err error
		for attempt := 0; attempt < 3; attempt++ {
			wrote, err = s.writeHashKeyOverrides(ctx, teamID, ids, anonID, eecFlagKeys)
			if err == nil || !isForeignKeyViolation(err) {
				break
			}
			metrics.HashKeyRetries.WithLabelValues(s.teamLabel(teamID), "write").Inc()
			if !sleepJitter(ctx, 100, 300) {
				break
			}
		}
		if err != nil {
			metrics.HashKeyWrites.WithLabelValues("false").Inc()
			return nil, fmt.Errorf("write hash key overrides: %w", err)
		}
		if wrote {
			metrics.HashKeyWrites.WithLabelValues("true").Inc()
		}
	}
	pool := s.pg.PersonsReader
	if wrote {
		pool = s.pg.PersonsWriter
	}
	var out map[string]string
	var err error
	for attempt := 0; attempt < 4; attempt++ {
		out, err = readHashKeyOverrides(ctx, pool, teamID, distinctID, ids)
		if err == nil || !isTransient(err) {
			break
		}
		metrics.HashKeyRetries.WithLabelValues(s.teamLabel(teamID), "read").Inc()
		if !sleepJitter(ctx, 50, 300) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("read hash key overrides: %w", err)
	}
	return out, nil
}

func (s *Store) teamLabel(id int) string {
	if s.opt.TeamLabel == nil {
		return strconv.Itoa(id)
	}
	return s.opt.TeamLabel(id)
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func readHashKeyOverrides(ctx context.Context, q querier, teamID int, distinctID string, ids []string) (map[string]string, error) {
	rows, err := q.Query(ctx, `
		SELECT pd.distinct_id, o.feature_flag_key, o.hash_key
		FROM posthog_persondistinctid pd
		JOIN posthog_featureflaghashkeyoverride o ON o.person_id = pd.person_id AND o.team_id = pd.team_id
		WHERE pd.team_id = $1 AND pd.distinct_id = ANY($2)`, teamID, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	own := map[string]bool{}
	for rows.Next() {
		var did, key, hk string
		if err := rows.Scan(&did, &key, &hk); err != nil {
			return nil, err
		}
		if did == distinctID {
			out[key] = hk
			own[key] = true
		} else if !own[key] {
			out[key] = hk
		}
	}
	return out, rows.Err()
}

func (s *Store) writeHashKeyOverrides(ctx context.Context, teamID int, ids []string, hashKey string, flagKeys []string) (bool, error) {
	if len(flagKeys) == 0 {
		return false, nil
	}
	tx, err := s.pg.PersonsWriter.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	rows, err := tx.Query(ctx, `
		WITH persons AS (
			SELECT DISTINCT person_id FROM posthog_persondistinctid WHERE team_id = $1 AND distinct_id = ANY($2)
		)
		SELECT p.person_id, k.key
		FROM persons p CROSS JOIN unnest($3::text[]) AS k(key)
		WHERE NOT EXISTS (
			SELECT 1 FROM posthog_featureflaghashkeyoverride o
			WHERE o.team_id = $1 AND o.person_id = p.person_id AND o.feature_flag_key = k.key)`, teamID, ids, flagKeys)
	if err != nil {
		return false, err
	}
	var persons []int64
	var keys []string
	for rows.Next() {
		var pid int64
		var key string
		if err := rows.Scan(&pid, &key); err != nil {
			rows.Close()
			return false, err
		}
		persons = append(persons, pid)
		keys = append(keys, key)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, err
	}
	if len(persons) == 0 {
		return false, nil
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO posthog_featureflaghashkeyoverride (team_id, person_id, feature_flag_key, hash_key)
		SELECT $1, person_id, flag_key, $2 FROM unnest($3::bigint[], $4::text[]) AS t(person_id, flag_key)
		ON CONFLICT DO NOTHING`, teamID, hashKey, persons, keys); err != nil {
		return false, err
	}
	if err := tx.Commit(ctx); err != nil {
		return false, err
	}
	return true, nil
}

func isForeignKeyViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503"
}

// isTransient reports connection-level and serialization failures worth a
// retry.
func isTransient(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code[:2] {
		case "08", "40", "53", "57":
			return true
		}
		return false
	}
	return pgconn.SafeToRetry(err) || pgconn.Timeout(err)
}

func sleepJitter(ctx context.Context, minMS, maxMS int) bool {
	d := time.Duration(minMS+rand.IntN(maxMS-minMS+1)) * time.Millisecond
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
