package pgtest_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hoggo/migrations"
	"github.com/hoggo/migrations/pgtest"
)

func TestNewGivesIsolatedMigratedDatabases(t *testing.T) {
	ctx := context.Background()
	var names sync.Map
	t.Run("group", func(t *testing.T) {
		for i := range 4 {
			t.Run("db", func(t *testing.T) {
				t.Parallel()
				pool := pgtest.New(t, migrations.Hooks)
				var name string
				if err := pool.QueryRow(ctx, "SELECT current_database()").Scan(&name); err != nil {
					t.Fatal(err)
				}
				names.Store(name, i)
				if _, err := pool.Exec(ctx, "INSERT INTO job_queue (target) VALUES ('x')"); err != nil {
					t.Fatal(err)
				}
				var n int
				if err := pool.QueryRow(ctx, "SELECT count(*) FROM job_queue").Scan(&n); err != nil || n != 1 {
					t.Fatalf("rows = %d, %v: databases are shared", n, err)
				}
			})
		}
	})
	server := pgtest.ServerURL(t)
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	count := 0
	names.Range(func(k, _ any) bool {
		count++
		var exists bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", k).Scan(&exists); err != nil {
			t.Fatal(err)
		}
		if exists {
			t.Errorf("database %s not dropped at cleanup", k)
		}
		return true
	})
	if count != 4 {
		t.Fatalf("saw %d distinct databases, want 4", count)
	}
}

func TestURLPointsAtFreshDatabase(t *testing.T) {
	u := pgtest.URL(t, migrations.Cyclotron)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM cyclotron_jobs").Scan(&n); err != nil || n != 0 {
		t.Fatalf("cyclotron_jobs rows = %d, %v", n, err)
	}
}
