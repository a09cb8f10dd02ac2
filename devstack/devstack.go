// Package devstack runs every hoggo service in one process on embedded
// defaults: an in-process Kafka on 127.0.0.1:9092, the Postgres and Redis at
// DATABASE_URL/REDIS_URL when they answer (else a throwaway Postgres from the
// local initdb and an in-process Redis), the migrations, a demo team, and each
// service through the same Run function its own binary calls.
package devstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"

	"github.com/hoggo/common/kafkatest"
	"github.com/hoggo/devstack/internal/localpg"
	"github.com/hoggo/migrations"
)

// Config is filled from the environment by cmd/devstack; every field has a
// default that works on a developer machine.
type Config struct {
	DatabaseURL    string `env:"DATABASE_URL" envDefault:"postgres://postgres@127.0.0.1:5432/posthog?sslmode=disable"`
	RedisURL       string `env:"REDIS_URL" envDefault:"redis://127.0.0.1:6379/0"`
	KafkaPort      int    `env:"DEVSTACK_KAFKA_PORT" envDefault:"9092"`
	CaptureAddress string `env:"CAPTURE_ADDRESS" envDefault:"127.0.0.1:3000"`
	ReplayAddress  string `env:"REPLAY_CAPTURE_ADDRESS" envDefault:"127.0.0.1:3003"`
	FlagsAddress   string `env:"FLAGS_ADDRESS" envDefault:"127.0.0.1:3001"`
}

// Stack is a running dev stack.
type Stack struct {
	// Kafka is the in-process broker's host:port.
	Kafka string
	// DatabaseURL points at the posthog database (cyclotron and hooks are
	// databases of the same names on the same server).
	DatabaseURL string
	RedisURL    string
	// Services maps each started service to its base URL.
	Services []Endpoint

	log      *slog.Logger
	stops    []func(context.Context) error
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	errMu    sync.Mutex
	firstErr error
	failed   chan struct{}
}

// Endpoint is one started service.
type Endpoint struct {
	Name string
	URL  string
}

// Service is how the stack starts one service: Run blocks until ctx ends.
type Service struct {
	Name    string
	Address string
	Run     func(ctx context.Context, deps Deps) error
}

// Deps are what a service needs from the stack.
type Deps struct {
	KafkaHosts  string
	DatabaseURL string
	RedisURL    string
	// Listener is bound to the service's Address by Start, so a taken port
	// fails the stack at once, and an address ending in :0 gets a free port
	// that no other service can take before the service starts.
	Listener net.Listener
}

// Start brings up the backing servers, migrates and seeds them, then starts
// the services. Stop tears everything down in reverse order.
func Start(ctx context.Context, cfg Config, services []Service, log *slog.Logger) (*Stack, error) {
	s := &Stack{log: log, failed: make(chan struct{})}
	if err := s.startBacking(ctx, cfg); err != nil {
		s.Stop(context.Background())
		return nil, err
	}
	listeners := make([]net.Listener, len(services))
	for i, svc := range services {
		ln, err := net.Listen("tcp", svc.Address)
		if err != nil {
			for _, l := range listeners[:i] {
				l.Close()
			}
			s.Stop(context.Background())
			return nil, fmt.Errorf("%s: listen %s: %w", svc.Name, svc.Address, err)
		}
		listeners[i] = ln
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	for i, svc := range services {
		deps := Deps{KafkaHosts: s.Kafka, DatabaseURL: s.DatabaseURL, RedisURL: s.RedisURL, Listener: listeners[i]}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := svc.Run(runCtx, deps); err != nil && runCtx.Err() == nil {
				s.fail(fmt.Errorf("%s: %w", svc.Name, err))
			}
		}()
		s.Services = append(s.Services, Endpoint{Name: svc.Name, URL: "http://" + listeners[i].Addr().String()})
	}
	return s, nil
}

func (s *Stack) startBacking(ctx context.Context, cfg Config) error {
	kc, err := kafkatest.Start(kafkatest.Options{Topics: kafkatest.DevTopics(), Port: cfg.KafkaPort})
	if err != nil {
		return fmt.Errorf("start kafka on port %d: %w", cfg.KafkaPort, err)
	}
	s.Kafka = kc.Addr()
	s.stops = append(s.stops, func(context.Context) error { kc.Close(); return nil })

	s.DatabaseURL = cfg.DatabaseURL
	if err := pingPostgres(ctx, cfg.DatabaseURL); err != nil {
		s.log.Warn("no Postgres at DATABASE_URL, starting a throwaway one", "error", err)
		pg, err := localpg.Start(ctx)
		if err != nil {
			return fmt.Errorf("start throwaway postgres: %w", err)
		}
		s.stops = append(s.stops, pg.Stop)
		s.DatabaseURL = pg.URL("posthog")
	}
	for _, db := range migrations.All() {
		u, err := databaseURL(s.DatabaseURL, string(db))
		if err != nil {
			return err
		}
		if err := migrations.Up(ctx, u, db); err != nil {
			return fmt.Errorf("migrate %s: %w", db, err)
		}
	}
	if err := Seed(ctx, s.DatabaseURL); err != nil {
		return err
	}

	s.RedisURL = cfg.RedisURL
	if err := pingRedis(ctx, cfg.RedisURL); err != nil {
		s.log.Warn("no Redis at REDIS_URL, starting an in-process one", "error", err)
		mr := miniredis.NewMiniRedis()
		if err := mr.Start(); err != nil {
			return fmt.Errorf("start in-process redis: %w", err)
		}
		s.stops = append(s.stops, func(context.Context) error { mr.Close(); return nil })
		s.RedisURL = "redis://" + mr.Addr() + "/0"
	}
	return nil
}

// Failed is closed when a service stops with an error.
func (s *Stack) Failed() <-chan struct{} { return s.failed }

// Err is the first service error, if any.
func (s *Stack) Err() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.firstErr
}

func (s *Stack) fail(err error) {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	if s.firstErr == nil {
		s.firstErr = err
		close(s.failed)
	}
}

// Stop shuts the services down (each drains within its own budget), then the
// backing servers.
func (s *Stack) Stop(ctx context.Context) error {
	if s.cancel != nil {
		s.cancel()
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		s.log.Warn("services did not stop in time")
	}
	var errs []error
	for i := len(s.stops) - 1; i >= 0; i-- {
		errs = append(errs, s.stops[i](ctx))
	}
	return errors.Join(errs...)
}

func pingPostgres(ctx context.Context, dsn string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	// Connect to the server's postgres database: the target database may not
	// exist yet, the migrations create it.
	u, err := databaseURL(dsn, "postgres")
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.Ping(ctx)
}

func pingRedis(ctx context.Context, u string) error {
	opts, err := goredis.ParseURL(u)
	if err != nil {
		return fmt.Errorf("parse REDIS_URL: %w", err)
	}
	c := goredis.NewClient(opts)
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return c.Ping(ctx).Err()
}

// databaseURL is dsn with its database name replaced by name.
func databaseURL(dsn, name string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("parse database url: %w", err)
	}
	u.Path = "/" + strings.TrimPrefix(name, "/")
	return u.String(), nil
}
