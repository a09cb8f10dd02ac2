package migrations_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoggo/migrations"
	"github.com/hoggo/migrations/pgtest"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

func TestParseDB(t *testing.T) {
	for _, s := range []string{"posthog", "cyclotron", "hooks"} {
		db, err := migrations.ParseDB(s)
		if err != nil || string(db) != s {
			t.Fatalf("ParseDB(%q) = %q, %v", s, db, err)
		}
	}
	if _, err := migrations.ParseDB("persons"); err == nil {
		t.Fatal("ParseDB(persons) succeeded")
	}
}

func TestFilesAreNumberedUpMigrations(t *testing.T) {
	for _, db := range migrations.All() {
		src, err := migrations.Source(db)
		if err != nil {
			t.Fatal(err)
		}
		entries, err := os.ReadDir(filepath.Join("sql", string(db)))
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) == 0 {
			t.Fatalf("%s has no migrations", db)
		}
		seen := map[string]bool{}
		for _, e := range entries {
			name := e.Name()
			version, _, ok := strings.Cut(name, "_")
			if !ok || len(version) != 6 || !strings.HasSuffix(name, ".up.sql") {
				t.Errorf("%s/%s: want NNNNNN_name.up.sql", db, name)
			}
			if seen[version] {
				t.Errorf("%s: version %s used twice", db, version)
			}
			seen[version] = true
			if _, err := src.Open(name); err != nil {
				t.Errorf("%s/%s not embedded: %v", db, name, err)
			}
		}
	}
}

func TestHashIsStableAndDistinct(t *testing.T) {
	a, err := migrations.Hash(migrations.Posthog)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := migrations.Hash(migrations.Posthog)
	c, _ := migrations.Hash(migrations.Hooks)
	if a != b || len(a) != 12 || a == c {
		t.Fatalf("hashes: posthog %q/%q hooks %q", a, b, c)
	}
}

func TestURLFor(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cases := []struct {
		db   migrations.DB
		env  map[string]string
		want string
	}{
		{migrations.Posthog, nil, migrations.DefaultDatabaseURL},
		{migrations.Cyclotron, nil, "postgres://postgres@127.0.0.1:5432/cyclotron?sslmode=disable"},
		{migrations.Hooks, map[string]string{"DATABASE_URL": "postgres://u:p@db:5433/posthog"}, "postgres://u:p@db:5433/hooks"},
		{migrations.Cyclotron, map[string]string{"CYCLOTRON_DATABASE_URL": "postgres://x/cy", "DATABASE_URL": "postgres://y/z"}, "postgres://x/cy"},
		{migrations.Posthog, map[string]string{"DATABASE_URL": "postgres://y/z"}, "postgres://y/z"},
	}
	for _, c := range cases {
		got, err := migrations.URLFor(c.db, env(c.env))
		if err != nil || got != c.want {
			t.Errorf("URLFor(%s, %v) = %q, %v; want %q", c.db, c.env, got, err, c.want)
		}
	}
}

func columns(t *testing.T, pool *pgxpool.Pool, table string) map[string]string {
	t.Helper()
	rows, err := pool.Query(ctx(t), `SELECT column_name, data_type || ':' || is_nullable
		FROM information_schema.columns WHERE table_name = $1`, table)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			t.Fatal(err)
		}
		out[name] = typ
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	return out
}

func TestPosthogSchema(t *testing.T) {
	pool := pgtest.New(t, migrations.Posthog)
	want := map[string]map[string]string{
		"posthog_team": {
			"id": "integer:NO", "project_id": "bigint:YES", "organization_id": "uuid:NO", "uuid": "uuid:NO",
			"api_token": "character varying:NO", "anonymize_ips": "boolean:NO",
			"person_processing_opt_out": "boolean:YES", "cookieless_server_hash_mode": "smallint:YES",
			"session_recording_sample_rate": "numeric:YES", "recording_domains": "ARRAY:YES",
		},
		"posthog_featureflag": {
			"id": "integer:NO", "team_id": "integer:NO", "key": "character varying:NO", "filters": "jsonb:NO",
			"ensure_experience_continuity": "boolean:YES", "version": "integer:YES",
			"evaluation_runtime": "character varying:YES", "bucketing_identifier": "character varying:YES",
		},
		"posthog_person":                          {"id": "bigint:NO", "uuid": "uuid:NO", "properties": "jsonb:NO", "created_at": "timestamp with time zone:NO"},
		"posthog_persondistinctid":                {"team_id": "integer:NO", "distinct_id": "character varying:NO", "person_id": "bigint:NO"},
		"posthog_featureflaghashkeyoverride":      {"team_id": "integer:NO", "person_id": "bigint:NO", "feature_flag_key": "character varying:NO", "hash_key": "character varying:NO"},
		"posthog_cohort":                          {"is_static": "boolean:NO", "filters": "jsonb:YES", "errors_calculating": "integer:NO", "cohort_type": "character varying:YES"},
		"posthog_cohortpeople":                    {"cohort_id": "integer:NO", "person_id": "bigint:NO"},
		"posthog_group":                           {"group_type_index": "integer:NO", "group_key": "character varying:NO", "group_properties": "jsonb:NO"},
		"posthog_grouptypemapping":                {"group_type": "character varying:NO", "group_type_index": "integer:NO", "project_id": "bigint:YES"},
		"posthog_personalapikey":                  {"scopes": "ARRAY:YES", "scoped_teams": "ARRAY:YES", "secure_value": "character varying:YES", "last_used_at": "timestamp with time zone:YES"},
		"posthog_user":                            {"is_active": "boolean:NO", "current_organization_id": "uuid:YES", "current_team_id": "integer:YES", "distinct_id": "character varying:YES"},
		"posthog_propertydefinition":              {"type": "smallint:NO", "group_type_index": "smallint:YES", "property_type": "character varying:YES", "is_numerical": "boolean:NO"},
		"posthog_eventdefinition":                 {"last_seen_at": "timestamp with time zone:YES", "project_id": "bigint:YES"},
		"posthog_eventproperty":                   {"event": "character varying:NO", "property": "character varying:NO"},
		"posthog_errortrackingsymbolset":          {"ref": "text:NO", "content_hash": "text:YES", "last_used": "timestamp with time zone:YES"},
		"posthog_errortrackingstackframe":         {"raw_id": "text:NO", "contents": "jsonb:NO", "part": "integer:YES"},
		"posthog_errortrackingissuefingerprintv2": {"fingerprint": "text:NO", "version": "bigint:NO"},
		"posthog_errortrackingsuppressionrule":    {"sampling_rate": "double precision:NO"},
		"posthog_batchimport": {"lease_id": "text:YES", "state": "jsonb:YES", "import_config": "jsonb:NO",
			"backoff_attempt": "integer:NO", "backoff_until": "timestamp with time zone:YES"},
	}
	for table, cols := range want {
		got := columns(t, pool, table)
		if len(got) == 0 {
			t.Errorf("table %s missing", table)
			continue
		}
		for col, typ := range cols {
			if got[col] != typ {
				t.Errorf("%s.%s = %q, want %q", table, col, got[col], typ)
			}
		}
	}
}

// seedTeam inserts the organization, project and team rows a team needs.
func seedTeam(t *testing.T, pool *pgxpool.Pool, id int, token string) {
	t.Helper()
	_, err := pool.Exec(ctx(t), `
		INSERT INTO posthog_organization (id, name, slug) VALUES ('019026a4-be80-0000-5bf3-171d00629163', 'Org', 'org')
			ON CONFLICT DO NOTHING;
		INSERT INTO posthog_project (id, organization_id, name) VALUES (`+strconv.Itoa(id)+`, '019026a4-be80-0000-5bf3-171d00629163', 'p');
		INSERT INTO posthog_team (id, organization_id, project_id, api_token, name)
			VALUES (`+strconv.Itoa(id)+`, '019026a4-be80-0000-5bf3-171d00629163', `+strconv.Itoa(id)+`, '`+token+`', 't');`)
	if err != nil {
		t.Fatalf("seed team: %v", err)
	}
}

func TestPosthogConstraints(t *testing.T) {
	pool := pgtest.New(t, migrations.Posthog)
	seedTeam(t, pool, 1, "phc_one")
	c := ctx(t)

	// Team by token, as the services look it up.
	var teamID int32
	var projectID int64
	if err := pool.QueryRow(c, `SELECT id, project_id FROM posthog_team WHERE api_token = $1 LIMIT 1`, "phc_one").Scan(&teamID, &projectID); err != nil {
		t.Fatal(err)
	}
	if teamID != 1 || projectID != 1 {
		t.Fatalf("team = %d/%d", teamID, projectID)
	}

	// Property definitions: the conflict key coalesces project_id and group_type_index.
	insertPropDef := `INSERT INTO posthog_propertydefinition (id, name, type, group_type_index, is_numerical, team_id, project_id, property_type)
		VALUES (gen_random_uuid(), $1, $2, $3, false, 1, $4, NULL)
		ON CONFLICT (coalesce(project_id, team_id::bigint), name, type, coalesce(group_type_index, -1)) DO NOTHING`
	for _, args := range [][]any{
		{"$browser", 1, nil, int64(1)},
		{"$browser", 1, nil, nil},      // same key: coalesce(NULL, 1) = 1
		{"$browser", 2, nil, int64(1)}, // person property: new
		{"plan", 3, 0, int64(1)},
		{"plan", 3, 1, int64(1)},
	} {
		if _, err := pool.Exec(c, insertPropDef, args...); err != nil {
			t.Fatalf("insert %v: %v", args, err)
		}
	}
	var n int
	if err := pool.QueryRow(c, `SELECT count(*) FROM posthog_propertydefinition`).Scan(&n); err != nil || n != 4 {
		t.Fatalf("property definitions = %d, %v; want 4", n, err)
	}
	// Group properties need a group type index.
	if _, err := pool.Exec(c, insertPropDef, "x", 3, nil, int64(1)); err == nil {
		t.Fatal("group property without group_type_index accepted")
	}
	// Definitions of an unknown team violate the foreign key.
	_, err := pool.Exec(c, `INSERT INTO posthog_eventdefinition (id, name, team_id, project_id, last_seen_at, created_at)
		VALUES (gen_random_uuid(), 'e', 999, 999, now(), now())`)
	if !strings.Contains(errString(err), "23503") {
		t.Fatalf("unknown team: %v, want SQLSTATE 23503", err)
	}
	// Event definitions: unique per (project, name).
	insertEventDef := `INSERT INTO posthog_eventdefinition (id, name, team_id, project_id, last_seen_at, created_at)
		VALUES (gen_random_uuid(), 'pageview', 1, 1, now(), now())
		ON CONFLICT (coalesce(project_id, team_id::bigint), name) DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at`
	for range 2 {
		if _, err := pool.Exec(c, insertEventDef); err != nil {
			t.Fatal(err)
		}
	}
	insertEventProp := `INSERT INTO posthog_eventproperty (event, property, team_id, project_id) VALUES ('pageview', '$browser', 1, 1)
		ON CONFLICT (coalesce(project_id, team_id::bigint), event, property) DO NOTHING`
	for range 2 {
		if _, err := pool.Exec(c, insertEventProp); err != nil {
			t.Fatal(err)
		}
	}

	// Persons, distinct ids and hash key overrides (feature-flags' EEC bulk insert).
	var personID int64
	err = pool.QueryRow(c, `WITH p AS (
			INSERT INTO posthog_person (created_at, properties, team_id, uuid, version, is_identified)
			VALUES (now(), '{"email":"a@b.com"}', 1, gen_random_uuid(), 0, true) RETURNING id)
		INSERT INTO posthog_persondistinctid (distinct_id, person_id, team_id, version)
		VALUES ('user-1', (SELECT id FROM p), 1, 0) RETURNING person_id`).Scan(&personID)
	if err != nil {
		t.Fatal(err)
	}
	overrides := `INSERT INTO posthog_featureflaghashkeyoverride (team_id, person_id, feature_flag_key, hash_key)
		SELECT 1, person_id, flag_key, 'anon-1' FROM UNNEST($1::bigint[], $2::text[]) AS t(person_id, flag_key)
		ON CONFLICT DO NOTHING`
	for range 2 {
		if _, err := pool.Exec(c, overrides, []int64{personID, personID}, []string{"f1", "f2"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := pool.QueryRow(c, `SELECT count(*) FROM posthog_featureflaghashkeyoverride`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("overrides = %d, %v", n, err)
	}
	if _, err := pool.Exec(c, `INSERT INTO posthog_persondistinctid (distinct_id, person_id, team_id) VALUES ('user-1', $1, 1)`, personID); !strings.Contains(errString(err), "23505") {
		t.Fatalf("duplicate distinct id: %v", err)
	}

	// Flags with evaluation contexts, as feature-flags reads them.
	_, err = pool.Exec(c, `
		INSERT INTO posthog_featureflag (id, team_id, name, key, filters, ensure_experience_continuity) VALUES (10, 1, 'F', 'flag', '{"groups":[]}', true);
		INSERT INTO posthog_evaluationcontext (id, name, team_id) VALUES ('00000000-0000-0000-0000-000000000001', 'web', 1);
		INSERT INTO posthog_featureflagevaluationcontext (feature_flag_id, evaluation_context_id) VALUES (10, '00000000-0000-0000-0000-000000000001');`)
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	err = pool.QueryRow(c, `SELECT COALESCE(ARRAY_AGG(ctx.name) FILTER (WHERE ctx.name IS NOT NULL), '{}'::text[])
		FROM posthog_featureflag f JOIN posthog_team t ON f.team_id = t.id
		LEFT JOIN posthog_featureflagevaluationcontext ec ON f.id = ec.feature_flag_id
		LEFT JOIN posthog_evaluationcontext ctx ON ec.evaluation_context_id = ctx.id
		WHERE t.id = 1 AND f.deleted = false AND f.active GROUP BY f.id`).Scan(&tags)
	if err != nil || len(tags) != 1 || tags[0] != "web" {
		t.Fatalf("evaluation tags = %v, %v", tags, err)
	}
	if _, err := pool.Exec(c, `INSERT INTO posthog_featureflag (team_id, key) VALUES (1, 'flag')`); !strings.Contains(errString(err), "23505") {
		t.Fatalf("duplicate flag key: %v", err)
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func TestHooksSchemaLoadsConformanceData(t *testing.T) {
	pool := pgtest.New(t, migrations.Hooks)
	sqlPath := filepath.Join("..", "..", "shared", "conformance", "hooks", "webhook_cleanup.sql")
	b, err := os.ReadFile(sqlPath)
	if err != nil {
		t.Skipf("conformance data not available: %v", err)
	}
	if _, err := pool.Exec(ctx(t), string(b)); err != nil {
		t.Fatalf("load %s: %v", sqlPath, err)
	}
	var n, completed int
	if err := pool.QueryRow(ctx(t), `SELECT count(*), count(*) FILTER (WHERE status = 'completed') FROM job_queue`).Scan(&n, &completed); err != nil {
		t.Fatal(err)
	}
	if n == 0 || completed == 0 {
		t.Fatalf("job_queue rows = %d (completed %d)", n, completed)
	}
	// Dequeue semantics rely on the defaults.
	var attempt int
	var status string
	var attemptedBy []string
	err = pool.QueryRow(ctx(t), `INSERT INTO job_queue (target, queue) VALUES ('example.com', 'webhooks')
		RETURNING attempt, status::text, attempted_by`).Scan(&attempt, &status, &attemptedBy)
	if err != nil || attempt != 0 || status != "available" || len(attemptedBy) != 0 {
		t.Fatalf("defaults: attempt=%d status=%q attempted_by=%v err=%v", attempt, status, attemptedBy, err)
	}
}

func TestCyclotronSchema(t *testing.T) {
	pool := pgtest.New(t, migrations.Cyclotron)
	c := ctx(t)
	var states []string
	if err := pool.QueryRow(c, `SELECT enum_range(NULL::JobState)::text[]`).Scan(&states); err != nil {
		t.Fatal(err)
	}
	if strings.Join(states, ",") != "available,completed,failed,running,paused,canceled" {
		t.Fatalf("JobState = %v", states)
	}
	_, err := pool.Exec(c, `INSERT INTO cyclotron_jobs (id, team_id, function_id, created, lock_id, last_heartbeat,
		janitor_touch_count, transition_count, last_transition, queue_name, state, scheduled, priority,
		vm_state, metadata, parameters, blob)
		VALUES (gen_random_uuid(), 1, NULL, now(), NULL, NULL, 0, 0, now(), 'fetch', 'available', now(), 0,
		'\x1f8b'::bytea, NULL, '{}'::bytea, NULL)`)
	if err != nil {
		t.Fatal(err)
	}
	var idx int
	if err := pool.QueryRow(c, `SELECT count(*) FROM pg_indexes WHERE tablename = 'cyclotron_jobs'
		AND indexname IN ('idx_cyclotron_jobs_dequeue','idx_queue_team_id','idx_queue_function_id','idx_queue_queue_name')`).Scan(&idx); err != nil || idx != 4 {
		t.Fatalf("cyclotron indexes = %d, %v", idx, err)
	}
	for _, table := range []string{"cyclotron_dead_letter_metadata", "cyclotron_metadata", "cyclotron_team_control", "cyclotron_function_control", "cyclotron_queue_control"} {
		if len(columns(t, pool, table)) == 0 {
			t.Errorf("table %s missing", table)
		}
	}
}

func TestUpCreatesDatabaseAndIsIdempotent(t *testing.T) {
	server := pgtest.ServerURL(t)
	name := "test_up_" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	u, err := migrations.WithDatabase(server, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), server)
		if err == nil {
			_, _ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			_ = conn.Close(context.Background())
		}
	})
	for range 2 {
		if err := migrations.Up(ctx(t), u, migrations.Hooks); err != nil {
			t.Fatalf("Up: %v", err)
		}
	}
	conn, err := pgx.Connect(ctx(t), u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var version int
	var dirty bool
	if err := conn.QueryRow(ctx(t), "SELECT version, dirty FROM "+migrations.MigrationsTable).Scan(&version, &dirty); err != nil {
		t.Fatal(err)
	}
	if version != 1 || dirty {
		t.Fatalf("version %d dirty %v", version, dirty)
	}
}
