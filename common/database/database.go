// Package database builds pgx connection pools with the reference services'
// defaults and classifies Postgres errors (transient, foreign-key violation,
// timeout kind) the way rust/common/database does, so callers decide between
// retrying, stripping rows and failing with the same rules as the Rust code.
package database

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// PoolConfig holds the pool knobs shared by every service. The zero value of a
// field means "use the default" so callers can override only what they need.
type PoolConfig struct {
	// MaxConnections is the pool size (default 10).
	MaxConnections int32
	// MinConnections is kept open even when idle (default 0).
	MinConnections int32
	// AcquireTimeout bounds how long NewPool's first connection and every new
	// connection dial may take (default 10 s). Waiting for a free connection
	// is bounded by the caller's context; wrap it with WithAcquireTimeout.
	AcquireTimeout time.Duration
	// IdleTimeout closes connections idle for longer (default 300 s).
	IdleTimeout time.Duration
	// MaxLifetime recycles connections older than this (default 1800 s).
	MaxLifetime time.Duration
	// StatementTimeout sets the session statement_timeout when > 0.
	StatementTimeout time.Duration
	// ApplicationName sets the session application_name when not empty.
	ApplicationName string
}

// Reference defaults (rust/common/database PoolConfig).
const (
	DefaultMaxConnections = 10
	DefaultAcquireTimeout = 10 * time.Second
	DefaultIdleTimeout    = 300 * time.Second
	DefaultMaxLifetime    = 1800 * time.Second
)

// DefaultPoolConfig returns the reference defaults.
func DefaultPoolConfig() PoolConfig {
	return PoolConfig{
		MaxConnections: DefaultMaxConnections,
		AcquireTimeout: DefaultAcquireTimeout,
		IdleTimeout:    DefaultIdleTimeout,
		MaxLifetime:    DefaultMaxLifetime,
	}
}

func (c PoolConfig) withDefaults() PoolConfig {
	d := DefaultPoolConfig()
	if c.MaxConnections <= 0 {
		c.MaxConnections = d.MaxConnections
	}
	if c.MinConnections < 0 {
		c.MinConnections = 0
	}
	if c.AcquireTimeout <= 0 {
		c.AcquireTimeout = d.AcquireTimeout
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = d.IdleTimeout
	}
	if c.MaxLifetime <= 0 {
		c.MaxLifetime = d.MaxLifetime
	}
	return c
}

// NewPool parses url, applies cfg and opens a pgx pool. It does not wait for a
// connection: a service must start (and report unhealthy) while Postgres is
// down, like sqlx's connect_lazy. Use Ping to check reachability.
func NewPool(ctx context.Context, url string, cfg PoolConfig) (*pgxpool.Pool, error) {
	pc, err := ParsePoolConfig(url, cfg)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("create postgres pool: %w", err)
	}
	return pool, nil
}

// ParsePoolConfig turns url and cfg into a pgxpool.Config, for callers that
// need to adjust more (e.g. AfterConnect hooks) before creating the pool.
func ParsePoolConfig(url string, cfg PoolConfig) (*pgxpool.Config, error) {
	cfg = cfg.withDefaults()
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	pc.MaxConns = cfg.MaxConnections
	pc.MinConns = min(cfg.MinConnections, cfg.MaxConnections)
	pc.MaxConnIdleTime = cfg.IdleTimeout
	pc.MaxConnLifetime = cfg.MaxLifetime
	pc.ConnConfig.ConnectTimeout = cfg.AcquireTimeout
	if cfg.StatementTimeout > 0 {
		pc.ConnConfig.RuntimeParams["statement_timeout"] = fmt.Sprint(cfg.StatementTimeout.Milliseconds())
	}
	if cfg.ApplicationName != "" {
		pc.ConnConfig.RuntimeParams["application_name"] = cfg.ApplicationName
	}
	return pc, nil
}

// WithAcquireTimeout returns ctx bounded by d (DefaultAcquireTimeout when d <=
// 0), for calls that should give up like sqlx's acquire_timeout would.
func WithAcquireTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		d = DefaultAcquireTimeout
	}
	return context.WithTimeout(ctx, d)
}
