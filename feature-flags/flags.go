// Package flags is the feature-flags service: it answers POST /flags (and the
// legacy /decide shapes) with PostHog's exact flag matching semantics, and
// serves flag definitions to server SDKs for local evaluation. Config is
// read from the reference's environment variables; Run starts the service.
package flags

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
	_ "time/tzdata" // team timezones must resolve in minimal containers

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hoggo/common/config"
	"github.com/hoggo/common/database"
	"github.com/hoggo/common/httpserver"
	"github.com/hoggo/common/lifecycle"
	"github.com/hoggo/common/limiters"
	commonredis "github.com/hoggo/common/redis"

	"github.com/hoggo/feature-flags/internal/api"
	"github.com/hoggo/feature-flags/internal/auth"
	"github.com/hoggo/feature-flags/internal/metrics"
	"github.com/hoggo/feature-flags/internal/ratelimit"
	"github.com/hoggo/feature-flags/internal/store"
)

// Config is the service configuration, with the Rust service's env names and
// defaults.
type Config struct {
	Address                 string `env:"ADDRESS" envDefault:"0.0.0.0:3001"`
	WriteDatabaseURL        string `env:"WRITE_DATABASE_URL" envDefault:"postgres://posthog:posthog@localhost:5432/posthog"`
	ReadDatabaseURL         string `env:"READ_DATABASE_URL" envDefault:"postgres://posthog:posthog@localhost:5432/posthog"`
	PersonsWriteDatabaseURL string `env:"PERSONS_WRITE_DATABASE_URL"`
	PersonsReadDatabaseURL  string `env:"PERSONS_READ_DATABASE_URL"`
	MaxConcurrency          int    `env:"MAX_CONCURRENCY" envDefault:"1000"`
	MaxPGConnections        int32  `env:"MAX_PG_CONNECTIONS" envDefault:"10"`
	AcquireTimeoutSecs      int    `env:"ACQUIRE_TIMEOUT_SECS" envDefault:"20"`
	IdleTimeoutSecs         int    `env:"IDLE_TIMEOUT_SECS" envDefault:"300"`
	NonPersonsReaderStmtMS  int    `env:"NON_PERSONS_READER_STATEMENT_TIMEOUT_MS" envDefault:"5000"`
	PersonsReaderStmtMS     int    `env:"PERSONS_READER_STATEMENT_TIMEOUT_MS" envDefault:"5000"`
	WriterStmtMS            int    `env:"WRITER_STATEMENT_TIMEOUT_MS" envDefault:"10000"`
	RedisURL                string `env:"REDIS_URL" envDefault:"redis://localhost:6379/"`
	RedisReaderURL          string `env:"REDIS_READER_URL"`
	FlagsRedisURL           string `env:"FLAGS_REDIS_URL"`
	BillingLimiterTTLSecs   int    `env:"BILLING_LIMITER_CACHE_TTL_SECS" envDefault:"5"`
	EnableMetrics           bool   `env:"ENABLE_METRICS" envDefault:"false"`
	TeamIDsToTrack          string `env:"TEAM_IDS_TO_TRACK" envDefault:"all"`
	FlagDefinitionsRate     int    `env:"FLAG_DEFINITIONS_DEFAULT_RATE_PER_MINUTE" envDefault:"600"`
	// FlagDefinitionsRateLimits is JSON {"<team_id>": "1200/minute"}.
	FlagDefinitionsRateLimits string  `env:"FLAG_DEFINITIONS_RATE_LIMITS"`
	FlagsRateLimitEnabled     bool    `env:"FLAGS_RATE_LIMIT_ENABLED" envDefault:"false"`
	FlagsRateLimitLogOnly     bool    `env:"FLAGS_RATE_LIMIT_LOG_ONLY" envDefault:"true"`
	FlagsBucketCapacity       int     `env:"FLAGS_BUCKET_CAPACITY" envDefault:"500"`
	FlagsBucketReplenish      float64 `env:"FLAGS_BUCKET_REPLENISH_RATE" envDefault:"10.0"`
	FlagsIPRateLimitEnabled   bool    `env:"FLAGS_IP_RATE_LIMIT_ENABLED" envDefault:"false"`
	FlagsIPRateLimitLogOnly   bool    `env:"FLAGS_IP_RATE_LIMIT_LOG_ONLY" envDefault:"true"`
	FlagsIPBurstSize          int     `env:"FLAGS_IP_BURST_SIZE" envDefault:"1000"`
	FlagsIPReplenishRate      float64 `env:"FLAGS_IP_REPLENISH_RATE" envDefault:"50.0"`
	// DefinitionsCacheSecs is how long a team's flag set and team row are
	// kept in process before being reloaded (hoggo-specific; the reference
	// reads the HyperCache on every request).
	DefinitionsCacheSecs int `env:"FLAGS_DEFINITIONS_CACHE_SECS" envDefault:"5"`
}

// LoadConfig reads Config from the environment.
func LoadConfig() (Config, error) {
	cfg, err := config.Parse[Config]()
	if err != nil {
		return Config{}, fmt.Errorf("feature-flags config: %w", err)
	}
	if cfg.FlagsBucketCapacity <= 0 || cfg.FlagsBucketReplenish <= 0 || cfg.FlagsIPBurstSize <= 0 || cfg.FlagsIPReplenishRate <= 0 {
		return Config{}, errors.New("feature-flags config: rate limiter capacities and replenish rates must be positive")
	}
	return cfg, nil
}

// serviceName labels the lifecycle metrics and logs.
const serviceName = "feature-flags"

// shutdownDrain bounds the graceful drain of in-flight requests.
const shutdownDrain = 30 * time.Second

// Service is a configured, started set of connections and handlers.
type Service struct {
	Handler http.Handler
	Store   *store.Store
	// Lifecycle owns the background refreshers; Run adds the HTTP server.
	Lifecycle *lifecycle.Manager
	close     func()
}

// Close stops the background work and releases the service's connections.
func (s *Service) Close() {
	s.Lifecycle.Shutdown()
	s.close()
}

// New connects to Postgres and Redis and builds the HTTP handler, with a
// lifecycle manager of its own (no signal trap). Background work (quota
// refresh) stops on Close.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Service, error) {
	if log == nil {
		log = slog.Default()
	}
	return newService(ctx, cfg, log, lifecycle.NewManager(lifecycle.Options{Name: serviceName, Logger: log}))
}

func newService(ctx context.Context, cfg Config, log *slog.Logger, lc *lifecycle.Manager) (*Service, error) {
	if cfg.PersonsReadDatabaseURL == "" {
		cfg.PersonsReadDatabaseURL = cfg.ReadDatabaseURL
	}
	if cfg.PersonsWriteDatabaseURL == "" {
		cfg.PersonsWriteDatabaseURL = cfg.WriteDatabaseURL
	}
	var pools []*pgxpool.Pool
	closeAll := func() {
		for _, p := range pools {
			p.Close()
		}
	}
	open := func(url string, stmtMS int) (*pgxpool.Pool, error) {
		p, err := database.NewPool(ctx, url, database.PoolConfig{
			MaxConnections:   cfg.MaxPGConnections,
			AcquireTimeout:   time.Duration(cfg.AcquireTimeoutSecs) * time.Second,
			IdleTimeout:      time.Duration(cfg.IdleTimeoutSecs) * time.Second,
			StatementTimeout: time.Duration(stmtMS) * time.Millisecond,
			ApplicationName:  "feature-flags",
		})
		if err != nil {
			return nil, fmt.Errorf("postgres pool: %w", err)
		}
		pools = append(pools, p)
		return p, nil
	}
	var pg store.Pools
	var err error
	if pg.NonPersonsReader, err = open(cfg.ReadDatabaseURL, cfg.NonPersonsReaderStmtMS); err != nil {
		closeAll()
		return nil, err
	}
	if pg.NonPersonsWriter, err = open(cfg.WriteDatabaseURL, cfg.WriterStmtMS); err != nil {
		closeAll()
		return nil, err
	}
	if pg.PersonsReader, err = open(cfg.PersonsReadDatabaseURL, cfg.PersonsReaderStmtMS); err != nil {
		closeAll()
		return nil, err
	}
	if pg.PersonsWriter, err = open(cfg.PersonsWriteDatabaseURL, cfg.WriterStmtMS); err != nil {
		closeAll()
		return nil, err
	}
	var rdb, flagsRedis *commonredis.Client
	if cfg.RedisURL != "" {
		if rdb, err = commonredis.New(ctx, cfg.RedisURL, commonredis.Options{}); err != nil {
			closeAll()
			return nil, fmt.Errorf("REDIS_URL: %w", err)
		}
		// The HyperCache reads allow the reference's 500 ms.
		flagsRedis = commonredis.NewFromClient(rdb.Raw(), commonredis.Options{Timeout: 500 * time.Millisecond})
	}
	if cfg.FlagsRedisURL != "" {
		if flagsRedis, err = commonredis.New(ctx, cfg.FlagsRedisURL, commonredis.Options{Timeout: 500 * time.Millisecond}); err != nil {
			closeAll()
			return nil, fmt.Errorf("FLAGS_REDIS_URL: %w", err)
		}
	}
	teams, err := metrics.ParseTeamFilter(cfg.TeamIDsToTrack)
	if err != nil {
		closeAll()
		return nil, err
	}
	defsLimiter, err := definitionsLimiter(cfg)
	if err != nil {
		closeAll()
		return nil, err
	}
	ttl := time.Duration(cfg.DefinitionsCacheSecs) * time.Second
	st := store.New(pg, flagsRedis, store.Options{TeamTTL: ttl, FlagsTTL: ttl, NegativeTeamTTL: ttl, TeamLabel: teams.Label})
	var quota *limiters.RedisLimiter
	if rdb != nil {
		quota = limiters.NewQuotaLimiter(rdb, limiters.ResourceFeatureFlagRequests, "", time.Duration(max(cfg.BillingLimiterTTLSecs, 1))*time.Second,
			limiters.WithService("feature_flags"), limiters.WithRegisterer(prometheus.DefaultRegisterer), limiters.WithLogger(log))
		lc.Register("quota-limiter", lifecycle.ComponentOptions{GracefulShutdown: time.Second}).Go(quota.Run)
	}
	srv := &api.Server{Store: st, Quota: quota, Log: log, Lifecycle: lc, Auth: &auth.PersonalKeys{DB: pg.NonPersonsReader, Writer: pg.NonPersonsWriter},
		IPLimiter:          ratelimit.New(cfg.FlagsIPRateLimitEnabled, cfg.FlagsIPRateLimitLogOnly, cfg.FlagsIPReplenishRate, cfg.FlagsIPBurstSize),
		TokenLimiter:       ratelimit.New(cfg.FlagsRateLimitEnabled, cfg.FlagsRateLimitLogOnly, cfg.FlagsBucketReplenish, cfg.FlagsBucketCapacity),
		DefinitionsLimiter: defsLimiter}
	h := srv.Routes(cfg.EnableMetrics)
	if cfg.MaxConcurrency > 0 {
		h = limitConcurrency(h, cfg.MaxConcurrency)
	}
	return &Service{Handler: h, Store: st, Lifecycle: lc, close: func() {
		closeAll()
		if rdb != nil {
			_ = rdb.Close()
		}
		if cfg.FlagsRedisURL != "" && flagsRedis != nil {
			_ = flagsRedis.Close()
		}
	}}, nil
}

// definitionsLimiter builds the per-team limiter of the definitions feed from
// FLAG_DEFINITIONS_DEFAULT_RATE_PER_MINUTE and FLAG_DEFINITIONS_RATE_LIMITS.
func definitionsLimiter(cfg Config) (*ratelimit.PerKey, error) {
	overrides := map[string]string{}
	if strings.TrimSpace(cfg.FlagDefinitionsRateLimits) != "" {
		if err := json.Unmarshal([]byte(cfg.FlagDefinitionsRateLimits), &overrides); err != nil {
			return nil, fmt.Errorf("FLAG_DEFINITIONS_RATE_LIMITS: %w", err)
		}
	}
	perMinute := cfg.FlagDefinitionsRate
	if perMinute <= 0 {
		perMinute = 600
	}
	l, err := ratelimit.NewPerKey(perMinute, overrides)
	if err != nil {
		return nil, fmt.Errorf("FLAG_DEFINITIONS_RATE_LIMITS: %w", err)
	}
	return l, nil
}

// limitConcurrency bounds in-flight requests; excess requests wait.
func limitConcurrency(next http.Handler, n int) http.Handler {
	sem := make(chan struct{}, n)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case sem <- struct{}{}:
		case <-r.Context().Done():
			return
		}
		defer func() { <-sem }()
		next.ServeHTTP(w, r)
	})
}

// Options carry what a caller (the binary, devstack, the bench) builds
// itself; zero values make Run build them from Config.
type Options struct {
	// Listener to serve on instead of listening on Config.Address.
	Listener net.Listener
	// Logger defaults to slog.Default() with service=feature-flags.
	Logger *slog.Logger
	// Lifecycle configures the manager; the binary passes
	// lifecycle.DefaultOptions (SIGTERM, SIGINT and the pre-stop file start
	// the drain). Name defaults to "feature-flags".
	Lifecycle lifecycle.Options
}

// Run serves until ctx is cancelled, then drains in-flight requests.
func Run(ctx context.Context, cfg Config) error {
	return RunWithOptions(ctx, cfg, Options{})
}

// Serve is Run on an existing listener (tests use port 0).
func Serve(ctx context.Context, cfg Config, ln net.Listener) error {
	return RunWithOptions(ctx, cfg, Options{Listener: ln})
}

// RunWithOptions serves until ctx is cancelled or the lifecycle manager
// starts a shutdown (signal, pre-stop file, a failed component). From then
// /_readiness answers 503 while the HTTP server drains.
func RunWithOptions(ctx context.Context, cfg Config, o Options) error {
	log := o.Logger
	if log == nil {
		log = slog.Default().With("service", serviceName)
	}
	ln := o.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", cfg.Address); err != nil {
			return fmt.Errorf("listen %s: %w", cfg.Address, err)
		}
	}
	lo := o.Lifecycle
	if lo.Name == "" {
		lo.Name = serviceName
	}
	if lo.Logger == nil {
		lo.Logger = log
	}
	lc := lifecycle.NewManager(lo)
	svc, err := newService(ctx, cfg, log, lc)
	if err != nil {
		_ = ln.Close()
		return err
	}
	defer svc.close()
	log.Info("listening", "addr", ln.Addr().String())
	lc.Register("http-server", lifecycle.ComponentOptions{GracefulShutdown: shutdownDrain}).Go(func(ctx context.Context) error {
		return httpserver.ServeListener(ctx, ln, svc.Handler, shutdownDrain)
	})
	return lc.Run(ctx)
}
