// Command migrate applies hoggo's embedded SQL migrations.
//
//	migrate up [--db posthog|cyclotron|hooks|all]
//
// URLs: DATABASE_URL for posthog (default
// postgres://postgres@127.0.0.1:5432/posthog?sslmode=disable),
// CYCLOTRON_DATABASE_URL and HOOKS_DATABASE_URL for the others (default: the
// DATABASE_URL server with database cyclotron / hooks). Databases are created
// when missing. Each step logs a JSON line; a failure logs
// {"message":"Migration failed","status":"failed","exit_code":N,...} and exits N.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hoggo/migrations"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func usage(w io.Writer) {
	fmt.Fprintln(w, `usage: migrate up [--db posthog|cyclotron|hooks|all]

env: DATABASE_URL (posthog), CYCLOTRON_DATABASE_URL, HOOKS_DATABASE_URL`)
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	log := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case slog.TimeKey:
				a.Key = "timestamp"
			case slog.LevelKey:
				a.Value = slog.StringValue(lower(a.Value.String()))
			case slog.MessageKey:
				a.Key = "message"
			}
			return a
		},
	}))
	if len(args) == 0 || args[0] != "up" {
		usage(stderr)
		return 1
	}
	fs := flag.NewFlagSet("migrate up", flag.ContinueOnError)
	fs.SetOutput(stderr)
	which := fs.String("db", "all", "database to migrate: posthog, cyclotron, hooks or all")
	if err := fs.Parse(args[1:]); err != nil {
		usage(stderr)
		return 1
	}
	var dbs []migrations.DB
	if *which == "all" {
		dbs = migrations.All()
	} else {
		db, err := migrations.ParseDB(*which)
		if err != nil {
			fmt.Fprintln(stderr, err)
			usage(stderr)
			return 1
		}
		dbs = []migrations.DB{db}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	for _, db := range dbs {
		url, err := migrations.URLFor(db, getenv)
		if err != nil {
			return fail(log, db, "", err, 1)
		}
		name := migrations.DatabaseName(url)
		attrs := []any{"migration_type", string(db), "database_name", name}
		log.Info("Starting migration", append(attrs, "status", "starting")...)
		start := time.Now()
		ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		err = migrations.Up(ctx, url, db)
		cancel()
		if err != nil {
			return fail(log, db, name, err, 2)
		}
		log.Info("Migration completed", append(attrs, "status", "completed",
			"duration_ms", time.Since(start).Milliseconds())...)
	}
	return 0
}

func fail(log *slog.Logger, db migrations.DB, name string, err error, code int) int {
	log.Error("Migration failed", "migration_type", string(db), "database_name", name,
		"status", "failed", "exit_code", code, "error", err.Error())
	return code
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
