// Package pgtest gives each test a fresh Postgres database with a migration
// set applied. The first use of a set in any process builds a template
// database (named after a hash of the migration files, under an advisory lock
// so parallel test binaries build it once); every New clones that template,
// which takes milliseconds, and drops the clone when the test ends.
//
// The server comes from DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable). When it does
// not answer the test is skipped, or fails when CI=true.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoggo/migrations"
)

// DefaultServerURL is used when DATABASE_URL is not set.
const DefaultServerURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// ServerURL returns the URL of the server's maintenance database, skipping
// (or, with CI=true, failing) the test when the server does not answer.
func ServerURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("DATABASE_URL")
	if u == "" {
		u = DefaultServerURL
	}
	u, err := migrations.WithDatabase(u, "postgres")
	if err != nil {
		t.Fatalf("pgtest: DATABASE_URL: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		unavailable(t, fmt.Sprintf("Postgres at %s is not reachable: %v", redact(u), err))
		return ""
	}
	_ = conn.Close(ctx)
	return u
}

func unavailable(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("pgtest: %s (CI=true: a database is required)", msg)
	}
	t.Skipf("pgtest: %s", msg)
}

// New returns a pool on a fresh database with db's migrations applied. The
// pool is closed and the database dropped when the test ends.
func New(t testing.TB, db migrations.DB) *pgxpool.Pool {
	t.Helper()
	u := URL(t, db)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, u)
	if err != nil {
		t.Fatalf("pgtest: open pool: %v", err)
	}
	// Registered after URL's cleanup, so it runs first: close before drop.
	t.Cleanup(pool.Close)
	return pool
}

// URL creates a fresh database like New and returns its URL; the database is
// dropped (forcibly, closing leftover connections) when the test ends.
func URL(t testing.TB, db migrations.DB) string {
	t.Helper()
	server := ServerURL(t)
	tpl, err := template(server, db)
	if err != nil {
		t.Fatalf("pgtest: prepare %s template: %v", db, err)
	}
	name := "test_" + string(db) + "_" + randomSuffix()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s",
		pgx.Identifier{name}.Sanitize(), pgx.Identifier{tpl}.Sanitize())); err != nil {
		t.Fatalf("pgtest: create database from %s: %v", tpl, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, server)
		if err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
		}
	})
	u, err := migrations.WithDatabase(server, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return u
}

// templates remembers, per server and migration set, the template built or
// found by this process.
var templates sync.Map // key string -> *templateOnce

type templateOnce struct {
	once sync.Once
	name string
	err  error
}

func template(server string, db migrations.DB) (string, error) {
	v, _ := templates.LoadOrStore(server+"\x00"+string(db), &templateOnce{})
	o := v.(*templateOnce)
	o.once.Do(func() { o.name, o.err = buildTemplate(server, db) })
	return o.name, o.err
}

// buildTemplate creates hoggo_tpl_<db>_<hash> unless it exists. It migrates a
// scratch database first and renames it when complete, so a crash never
// leaves a half-migrated template behind.
func buildTemplate(server string, db migrations.DB) (string, error) {
	hash, err := migrations.Hash(db)
	if err != nil {
		return "", err
	}
	name := "hoggo_tpl_" + string(db) + "_" + hash
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		return "", fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(ctx)
	lockKey := advisoryKey(name)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey); err != nil {
		return "", fmt.Errorf("lock: %w", err)
	}
	defer conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", lockKey) //nolint:errcheck // the session ends right after
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", fmt.Errorf("look up template: %w", err)
	}
	if exists {
		return name, nil
	}
	scratch := name + "_building"
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{scratch}.Sanitize()+" WITH (FORCE)"); err != nil {
		return "", fmt.Errorf("drop leftover %s: %w", scratch, err)
	}
	scratchURL, err := migrations.WithDatabase(server, scratch)
	if err != nil {
		return "", err
	}
	if err := migrations.Up(ctx, scratchURL, db); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s RENAME TO %s",
		pgx.Identifier{scratch}.Sanitize(), pgx.Identifier{name}.Sanitize())); err != nil {
		return "", fmt.Errorf("rename template: %w", err)
	}
	return name, nil
}

func advisoryKey(s string) int64 {
	h := fnv.New64a()
	h.Write([]byte("hoggo-pgtest:" + s))
	return int64(h.Sum64())
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable url)"
	}
	return p.Redacted()
}
