package migrations

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
)

// DefaultDatabaseURL is the posthog database used when DATABASE_URL is unset.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/posthog?sslmode=disable"

// URLEnv names the environment variable holding db's URL.
func URLEnv(db DB) string {
	switch db {
	case Cyclotron:
		return "CYCLOTRON_DATABASE_URL"
	case Hooks:
		return "HOOKS_DATABASE_URL"
	}
	return "DATABASE_URL"
}

// URLFor returns db's URL from getenv (os.Getenv): its own variable when set,
// else DATABASE_URL (or DefaultDatabaseURL) with the database name replaced
// by db's name for cyclotron and hooks.
func URLFor(db DB, getenv func(string) string) (string, error) {
	if u := getenv(URLEnv(db)); u != "" {
		return u, nil
	}
	base := getenv("DATABASE_URL")
	if base == "" {
		base = DefaultDatabaseURL
	}
	if db == Posthog {
		return base, nil
	}
	return WithDatabase(base, string(db))
}

// WithDatabase returns the postgres:// URL u pointing at database name.
func WithDatabase(u, name string) (string, error) {
	if !strings.Contains(u, "://") {
		return "", fmt.Errorf("database url must be a postgres:// URL to derive %q from it", name)
	}
	p, err := url.Parse(u)
	if err != nil {
		return "", fmt.Errorf("parse database url: %w", err)
	}
	p.Path = "/" + name
	p.RawPath = ""
	return p.String(), nil
}

// DatabaseName returns the database named in u, or "" when u does not parse.
func DatabaseName(u string) string {
	cfg, err := pgx.ParseConfig(u)
	if err != nil {
		return ""
	}
	return cfg.Database
}
