// Package migrations holds the SQL schema of every database hoggo touches,
// embedded in the binary and applied with golang-migrate:
//
//   - posthog: the subset of PostHog's Django tables the services read and
//     write (teams, flags, persons, cohorts, groups, definitions, error
//     tracking, batch imports), with Django's column names, types, defaults
//     and the unique keys the services rely on;
//   - cyclotron: the cyclotron job queue (rust/cyclotron-core/migrations);
//   - hooks: the webhook job_queue (rust/hook-common/migrations).
//
// The posthog statements use IF NOT EXISTS so they add only what is missing
// to a database Django already manages. Versions are 6-digit numbers
// (000001_...); add new files after the last one, never edit applied ones.
package migrations

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"

	"github.com/golang-migrate/migrate/v4"
	pgxmigrate "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// DB names one database and its migration set.
type DB string

// The databases with migrations.
const (
	Posthog   DB = "posthog"
	Cyclotron DB = "cyclotron"
	Hooks     DB = "hooks"
)

// All lists every DB in the order `migrate up --db all` applies them.
func All() []DB { return []DB{Posthog, Cyclotron, Hooks} }

// ParseDB validates a database name.
func ParseDB(s string) (DB, error) {
	db := DB(s)
	if slices.Contains(All(), db) {
		return db, nil
	}
	return "", fmt.Errorf("unknown database %q (want posthog, cyclotron or hooks)", s)
}

// MigrationsTable is where golang-migrate records the applied version. A name
// of our own keeps it apart from Django's django_migrations and sqlx's
// _sqlx_migrations in a shared database.
const MigrationsTable = "hoggo_schema_migrations"

//go:embed sql
var files embed.FS

// Source returns the embedded migration files of db (NNNNNN_name.up.sql).
func Source(db DB) (fs.FS, error) {
	if _, err := ParseDB(string(db)); err != nil {
		return nil, err
	}
	return fs.Sub(files, path.Join("sql", string(db)))
}

// Hash returns a short hex digest of db's migration files (names and
// contents), so a test template built from one set is never reused for another.
func Hash(db DB) (string, error) {
	src, err := Source(db)
	if err != nil {
		return "", err
	}
	entries, err := fs.ReadDir(src, ".")
	if err != nil {
		return "", fmt.Errorf("list %s migrations: %w", db, err)
	}
	h := sha256.New()
	for _, e := range entries { // ReadDir sorts by name
		b, err := fs.ReadFile(src, e.Name())
		if err != nil {
			return "", fmt.Errorf("read %s migration %s: %w", db, e.Name(), err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", e.Name(), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

// Up creates the database named in databaseURL when it does not exist and
// applies db's migrations to it. databaseURL is a postgres:// URL or a
// key=value DSN. It is safe to run concurrently (golang-migrate holds an
// advisory lock) and a no-op when everything is applied.
func Up(ctx context.Context, databaseURL string, db DB) error {
	src, err := Source(db)
	if err != nil {
		return err
	}
	if err := EnsureDatabase(ctx, databaseURL); err != nil {
		return err
	}
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return fmt.Errorf("parse database url: %w", err)
	}
	sqlDB := stdlib.OpenDB(*cfg)
	defer sqlDB.Close()
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("connect to %s: %w", cfg.Database, err)
	}
	return up(ctx, sqlDB, src, db, cfg.Database)
}

func up(ctx context.Context, sqlDB *sql.DB, src fs.FS, db DB, dbName string) error {
	driver, err := pgxmigrate.WithInstance(sqlDB, &pgxmigrate.Config{
		MigrationsTable: MigrationsTable,
		DatabaseName:    dbName,
	})
	if err != nil {
		return fmt.Errorf("open migration driver: %w", err)
	}
	source, err := iofs.New(src, ".")
	if err != nil {
		return fmt.Errorf("open %s migrations: %w", db, err)
	}
	m, err := migrate.NewWithInstance("iofs", source, "pgx5", driver)
	if err != nil {
		return fmt.Errorf("init migrate: %w", err)
	}
	defer m.Close()
	// golang-migrate has no context; GracefulStop ends the run after the
	// migration in progress.
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			select {
			case m.GracefulStop <- true:
			default:
			}
		case <-done:
		}
	}()
	if err := m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("apply %s migrations: %w", db, err)
	}
	return ctx.Err()
}

// EnsureDatabase creates the database named in databaseURL when it is
// missing, connecting to the server's maintenance database "postgres".
func EnsureDatabase(ctx context.Context, databaseURL string) error {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return fmt.Errorf("parse database url: %w", err)
	}
	name := cfg.Database
	if name == "" || name == "postgres" {
		return nil
	}
	// Try the database itself first: the role may lack access to "postgres".
	if conn, err := pgx.ConnectConfig(ctx, cfg); err == nil {
		return conn.Close(ctx)
	} else if !isInvalidCatalog(err) {
		return fmt.Errorf("connect to %s: %w", name, err)
	}
	admin := cfg.Copy()
	admin.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect to maintenance database: %w", err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	if err != nil && !isDuplicateDatabase(err) {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

func isInvalidCatalog(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "3D000"
}

// isDuplicateDatabase covers a concurrent creator winning the race (42P04, or
// 23505 on pg_database's unique index).
func isDuplicateDatabase(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "42P04" || pgErr.Code == "23505")
}
