package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hoggo/migrations"
	"github.com/hoggo/migrations/pgtest"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"down"}, {"up", "--db", "persons"}} {
		var out, errb bytes.Buffer
		if code := run(args, env(nil), &out, &errb); code != 1 {
			t.Errorf("%v: exit %d, want 1", args, code)
		}
		if !strings.Contains(errb.String(), "usage: migrate up") {
			t.Errorf("%v: no usage on stderr: %q", args, errb.String())
		}
	}
}

func TestFailureLogsJSONAndExitCode(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"up", "--db", "hooks"}, env(map[string]string{
		"HOOKS_DATABASE_URL": "postgres://postgres@127.0.0.1:1/hooks?sslmode=disable&connect_timeout=1",
	}), &out, &errb)
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var last map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
		t.Fatalf("last line not JSON: %q", lines[len(lines)-1])
	}
	want := map[string]any{"level": "error", "message": "Migration failed", "migration_type": "hooks",
		"status": "failed", "exit_code": float64(2), "database_name": "hooks"}
	for k, v := range want {
		if last[k] != v {
			t.Errorf("%s = %v, want %v (line %v)", k, last[k], v, last)
		}
	}
	if _, ok := last["timestamp"]; !ok {
		t.Error("no timestamp")
	}
}

func TestUpAllCreatesDatabases(t *testing.T) {
	server := pgtest.ServerURL(t)
	suffix := strings.ReplaceAll(t.Name(), "/", "_")
	urls := map[string]string{}
	for _, db := range migrations.All() {
		u, err := migrations.WithDatabase(server, strings.ToLower("test_cmd_"+string(db)+"_"+suffix))
		if err != nil {
			t.Fatal(err)
		}
		urls[migrations.URLEnv(db)] = u
	}
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, server)
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		for _, u := range urls {
			_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{migrations.DatabaseName(u)}.Sanitize()+" WITH (FORCE)")
		}
	})
	var out, errb bytes.Buffer
	if code := run([]string{"up"}, env(urls), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s %s", code, out.String(), errb.String())
	}
	completed := strings.Count(out.String(), `"status":"completed"`)
	if completed != 3 {
		t.Fatalf("completed lines = %d:\n%s", completed, out.String())
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, urls["HOOKS_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM job_queue").Scan(&n); err != nil || n != 0 {
		t.Fatalf("job_queue: %d, %v", n, err)
	}
}
