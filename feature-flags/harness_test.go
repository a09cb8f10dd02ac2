package flags_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	goredis "github.com/redis/go-redis/v9"

	"github.com/hoggo/migrations"
	"github.com/hoggo/migrations/pgtest"

	flags "github.com/hoggo/feature-flags"
	"github.com/hoggo/feature-flags/internal/auth"
)

// redisDB is the Redis database index these tests use, so fixed Django key
// names do not collide with other packages' tests.
const redisDB = 11

// env is one test's service: a fresh migrated database, Redis, and the
// service behind an httptest server.
type env struct {
	t     testing.TB
	db    *pgxpool.Pool
	rdb   *goredis.Client
	srv   *httptest.Server
	svc   *flags.Service
	orgID string
}

var teamSeq atomic.Int64

func redisOrSkip(t testing.TB) *goredis.Client {
	url := os.Getenv("REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	opts, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatalf("REDIS_URL: %v", err)
	}
	opts.DB = redisDB
	c := goredis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis at %s is required in CI: %v", url, err)
		}
		t.Skipf("redis unavailable: %v", err)
	}
	return c
}

func newEnv(t testing.TB, opts ...func(*flags.Config)) *env {
	t.Helper()
	url := pgtest.URL(t, migrations.Posthog)
	rdb := redisOrSkip(t)
	db, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	ropts := rdb.Options()
	cfg := flags.Config{
		ReadDatabaseURL: url, WriteDatabaseURL: url,
		RedisURL:               fmt.Sprintf("redis://%s/%d", ropts.Addr, redisDB),
		MaxPGConnections:       4,
		NonPersonsReaderStmtMS: 5000, PersonsReaderStmtMS: 5000, WriterStmtMS: 5000,
		IdleTimeoutSecs: 60, BillingLimiterTTLSecs: 1,
		DefinitionsCacheSecs: 60, // each test uses fresh teams; HyperCache tests invalidate explicitly
		EnableMetrics:        true,
	}
	for _, o := range opts {
		o(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	svc, err := flags.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	srv := httptest.NewServer(svc.Handler)
	t.Cleanup(srv.Close)
	e := &env{t: t, db: db, rdb: rdb, srv: srv, svc: svc, orgID: uuid.NewString()}
	e.exec(`INSERT INTO posthog_organization (id, name, slug) VALUES ($1, 'org', $2)`, e.orgID, "org-"+e.orgID[:8])
	return e
}

func (e *env) exec(sql string, args ...any) {
	e.t.Helper()
	if _, err := e.db.Exec(context.Background(), sql, args...); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

func (e *env) queryInt(sql string, args ...any) int64 {
	e.t.Helper()
	var n int64
	if err := e.db.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// team creates a team with a unique token and returns (id, token).
func (e *env) team() (int, string) {
	e.t.Helper()
	n := teamSeq.Add(1)
	token := fmt.Sprintf("phc_test_%d_%s", n, uuid.NewString()[:8])
	pid := e.queryInt(`SELECT COALESCE(MAX(id), 0) + 1 FROM posthog_project`)
	e.exec(`INSERT INTO posthog_project (id, organization_id, name) VALUES ($1, $2, 'p')`, pid, e.orgID)
	id := e.queryInt(`INSERT INTO posthog_team (api_token, organization_id, project_id, name) VALUES ($1, $2, $3, 't') RETURNING id`, token, e.orgID, pid)
	// Fixed Django cache keys of this team id must not leak from other tests.
	e.rdb.Del(context.Background(), fmt.Sprintf("posthog:1:cache/teams/%d/feature_flags/flags.json", id), "posthog:1:cache/team_tokens/"+token+"/array/config.json")
	return int(id), token
}

// flag inserts a flag and returns its id.
func (e *env) flag(teamID int, key string, filters string, opts ...func(*flagRow)) int {
	e.t.Helper()
	r := flagRow{active: true, version: 1}
	for _, o := range opts {
		o(&r)
	}
	return int(e.queryInt(`INSERT INTO posthog_featureflag (team_id, key, name, filters, active, deleted, ensure_experience_continuity, version, bucketing_identifier)
		VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9) RETURNING id`, teamID, key, key, filters, r.active, r.deleted, r.eec, r.version, r.bucketing))
}

type flagRow struct {
	active, deleted, eec bool
	version              int
	bucketing            *string
}

func inactive(r *flagRow) { r.active = false }
func eec(r *flagRow)      { r.eec = true }

// person creates a person with properties and distinct ids.
func (e *env) person(teamID int, props string, distinctIDs ...string) int64 {
	e.t.Helper()
	id := e.queryInt(`INSERT INTO posthog_person (team_id, uuid, properties) VALUES ($1, $2, $3::jsonb) RETURNING id`, teamID, uuid.New(), props)
	for _, d := range distinctIDs {
		e.exec(`INSERT INTO posthog_persondistinctid (team_id, person_id, distinct_id, version) VALUES ($1, $2, $3, 0)`, teamID, id, d)
	}
	return id
}

func (e *env) groupType(teamID int, name string, idx int) {
	e.exec(`INSERT INTO posthog_grouptypemapping (team_id, project_id, group_type, group_type_index) VALUES ($1, $2, $3, $4)`, teamID, int64(teamID), name, idx)
}

func (e *env) group(teamID, idx int, key, props string) {
	e.exec(`INSERT INTO posthog_group (team_id, group_type_index, group_key, group_properties) VALUES ($1, $2, $3, $4::jsonb)`, teamID, idx, key, props)
}

// post sends a /flags request and decodes the JSON answer.
func (e *env) post(path string, body any, headers ...string) (int, map[string]any) {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, _ := json.Marshal(b)
		rd = bytes.NewReader(js)
	}
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return e.do(req)
}

func (e *env) do(req *http.Request) (int, map[string]any) {
	e.t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var m map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			e.t.Fatalf("%s: status %d, body not JSON: %s", req.URL, res.StatusCode, raw)
		}
	}
	return res.StatusCode, m
}

// v2 posts to /flags?v=2 and returns the flags map.
func (e *env) v2(body map[string]any) map[string]any {
	e.t.Helper()
	code, m := e.post("/flags?v=2", body)
	if code != 200 {
		e.t.Fatalf("status %d: %v", code, m)
	}
	f, _ := m["flags"].(map[string]any)
	return f
}

func flagOf(t *testing.T, flags map[string]any, key string) map[string]any {
	t.Helper()
	f, ok := flags[key].(map[string]any)
	if !ok {
		t.Fatalf("flag %s missing from %v", key, flags)
	}
	return f
}

func reasonOf(f map[string]any) (string, any) {
	r := f["reason"].(map[string]any)
	return r["code"].(string), r["condition_index"]
}

// personalKey creates a user in the org with a personal API key.
func (e *env) personalKey(scopes []string) string {
	e.t.Helper()
	key := "phx_" + strings.ReplaceAll(uuid.NewString(), "-", "")
	uid := e.queryInt(`INSERT INTO posthog_user (email, is_active) VALUES ($1, true) RETURNING id`, uuid.NewString()+"@x.test")
	e.exec(`INSERT INTO posthog_organizationmembership (id, organization_id, user_id) VALUES ($1, $2, $3)`, uuid.New(), e.orgID, uid)
	e.exec(`INSERT INTO posthog_personalapikey (id, label, secure_value, user_id, scopes) VALUES ($1, 'k', $2, $3, $4)`, uuid.NewString()[:20], auth.SecureValue(key), uid, scopes)
	return key
}

func goredisZ(score float64, member string) goredis.Z { return goredis.Z{Score: score, Member: member} }
