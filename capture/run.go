package capture

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"

	"github.com/hoggo/capture/internal/api"
	"github.com/hoggo/capture/internal/limits"
	"github.com/hoggo/capture/internal/sink"
	"github.com/hoggo/common/httpserver"
	"github.com/hoggo/common/kafka"
	"github.com/hoggo/common/lifecycle"
	"github.com/hoggo/common/limiters"
	"github.com/hoggo/common/redis"
)

// quotaRefresh is how often billing quota sets are re-read from Redis.
const quotaRefresh = 5 * time.Second

// Shutdown budget (the reference's 30 s): in-flight requests drain within
// httpDrain, then the producer flushes what they queued; the lifecycle
// manager gives up on both at shutdownBudget.
const (
	shutdownBudget = 30 * time.Second
	httpDrain      = 25 * time.Second
)

// producerLivenessDeadline is how long the Kafka producer counts as alive
// after a broker last answered (the reference registers rdkafka with 30 s);
// common/kafka beats every health interval while brokers answer.
const producerLivenessDeadline = 30 * time.Second

// Options carry dependencies a caller (devstack, tests, benchmarks) builds
// itself; zero values make Run build them from Config.
type Options struct {
	// Listener to serve on instead of listening on Config.Address.
	Listener net.Listener
	// Now replaces the clock.
	Now func() time.Time
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Ready is called with the bound address once the server accepts requests.
	Ready func(addr string)
	// Production traps SIGINT/SIGTERM and polls the pre-stop file
	// (lifecycle.DefaultOptions); tests and devstack stop Run through ctx.
	Production bool
}

// Run serves capture until ctx is cancelled, then drains and returns.
func Run(ctx context.Context, cfg Config) error {
	return RunWithOptions(ctx, cfg, Options{})
}

// RunWithOptions is Run with injected dependencies.
func RunWithOptions(ctx context.Context, cfg Config, o Options) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	replayEnvelope, _ := sink.ParseEnvelope(cfg.KafkaReplayEnvelopeCompression) // checked by validate
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	lopts := lifecycle.Options{Name: "capture"}
	if o.Production {
		lopts = lifecycle.DefaultOptions("capture")
	}
	lopts.GlobalShutdownTimeout = shutdownBudget
	lopts.Logger = log
	mgr := lifecycle.NewManager(lopts)
	// Background work stops when shutdown begins.
	bgctx := mgr.Context()

	kcfg := cfg.Kafka
	if kcfg.ProducerMessageMaxBytes == nil {
		kcfg.ProducerMessageMaxBytes = &cfg.KafkaProducerMessageMaxBytes
	}
	if kcfg.ProducerRetries == nil {
		kcfg.ProducerRetries = &cfg.KafkaProducerMaxRetries
	}
	// /_liveness is the reference's health registry: healthy while the
	// producer's heartbeat is current. With the print sink nothing is
	// registered, so liveness fails on purpose, as in the reference. The
	// same heartbeat feeds the manager, whose stall detection shuts a
	// producer that lost its brokers down gracefully.
	liveness := lifecycle.NewHealthRegistry("liveness")
	liveness.SetLogger(log)
	var (
		producer       *kafka.Producer
		producerHandle *lifecycle.Handle
	)
	if !cfg.PrintSink && !cfg.NoopSink {
		producerHandle = mgr.Register("kafka-producer", lifecycle.ComponentOptions{
			GracefulShutdown: shutdownBudget,
			LivenessDeadline: producerLivenessDeadline,
		})
		producerHealth := liveness.Register("rdkafka", producerLivenessDeadline)
		beat := func() {
			producerHandle.ReportHealthy()
			producerHealth.ReportHealthy()
		}
		var err error
		stats := kafka.NewStats(prometheus.DefaultRegisterer, "capture")
		if producer, err = kafka.NewProducer(ctx, kcfg, kafka.WithLiveness(beat), kafka.WithStats(stats)); err != nil {
			return fmt.Errorf("capture: %w", err)
		}
		defer producer.Close() // no-op after the component closed it
		beat()                 // NewProducer's startup ping reached a broker
	}

	var bg sync.WaitGroup
	defer bg.Wait()
	goRun := func(name string, run func(context.Context) error) {
		bg.Add(1)
		go func() {
			defer bg.Done()
			if err := run(bgctx); err != nil && bgctx.Err() == nil {
				log.Error("background task stopped", "task", name, "error", err)
			}
		}()
	}

	defer mgr.Shutdown() // stops the background tasks on early returns

	rdb, err := redis.New(ctx, cfg.RedisURL, redis.Options{
		Timeout: time.Duration(cfg.RedisResponseTimeoutMs) * time.Millisecond,
	})
	if err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	defer rdb.Close()

	mode := api.ModeEvents
	if cfg.mode() == "recordings" {
		mode = api.ModeRecordings
	}
	pol := &limits.Policies{}
	quota := func(r limiters.Resource) *limiters.RedisLimiter {
		l := limiters.NewQuotaLimiter(rdb, r, cfg.RedisKeyPrefix, quotaRefresh, limiters.WithService("capture"), limiters.WithLogger(log))
		goRun("quota "+string(r), l.Run)
		return l
	}
	onDrop := func(cause string, n int) { sink.Dropped.WithLabelValues(cause).Add(float64(n)) }
	if mode == api.ModeRecordings {
		pol.Quota = &limits.Quota{Resource: "recordings", Global: quota(limiters.ResourceRecordings), OnDrop: onDrop}
		replay := limiters.NewOverflowSetLimiter(rdb, limiters.ResourceReplay, cfg.RedisKeyPrefix, quotaRefresh, limiters.WithLogger(log))
		goRun("replay overflow", replay.Run)
		pol.ReplayOverflow = replay
	} else {
		pol.Quota = &limits.Quota{
			Resource: "events",
			Global:   quota(limiters.ResourceEvents),
			Scoped:   limits.ScopedDefaults(quota(limiters.ResourceExceptions), quota(limiters.ResourceSurveys), quota(limiters.ResourceLLMEvents)),
			OnDrop:   onDrop,
		}
	}
	if strings.TrimSpace(cfg.DropEventsByTokenDistinctID) != "" {
		pol.Dropper = limiters.NewTokenDropper(cfg.DropEventsByTokenDistinctID)
	}
	if cfg.OverflowEnabled {
		pol.Overflow = limiters.NewOverflowLimiter(cfg.OverflowPerSecondLimit, cfg.OverflowBurstLimit, cfg.IngestionForceOverflowByTokenDistinctID)
		goRun("overflow cleanup", pol.Overflow.Run)
	}
	if cfg.EventRestrictionsEnabled {
		rrdb := rdb
		if cfg.EventRestrictionsRedisURL != "" {
			if rrdb, err = redis.New(ctx, cfg.EventRestrictionsRedisURL, redis.Options{
				Timeout: time.Duration(cfg.RedisResponseTimeoutMs) * time.Millisecond,
			}); err != nil {
				return fmt.Errorf("capture: event restrictions: %w", err)
			}
			defer rrdb.Close()
		}
		pol.Restrictions = limits.NewRestrictions(rrdb,
			time.Duration(cfg.EventRestrictionsRefreshIntervalSecs)*time.Second,
			time.Duration(cfg.EventRestrictionsFailOpenAfterSecs)*time.Second, log)
		goRun("event restrictions", pol.Restrictions.Run)
	}

	if cfg.GlobalRateLimitEnabled && mode == api.ModeEvents {
		// Recordings never consult the limiter (as the reference), so it is
		// only built for analytics.
		grl, closeGRL, err := newGlobalRate(ctx, &cfg, rdb, log)
		if err != nil {
			return fmt.Errorf("capture: %w", err)
		}
		defer closeGRL()
		pol.GlobalRate = grl
		goRun("global rate limiter", grl.Run)
	}

	replayTopic := cfg.KafkaTopic
	if mode == api.ModeRecordings && replayTopic == "events_plugin_ingestion" {
		replayTopic = defaultReplayTopic
	}
	topics := sink.Topics{
		Main:           cfg.KafkaTopic,
		Overflow:       cfg.KafkaOverflowTopic,
		Historical:     cfg.KafkaHistoricalTopic,
		ClientWarnings: cfg.KafkaClientIngestionWarningTopic,
		Exceptions:     cfg.exceptionsTopic(),
		Heatmaps:       cfg.KafkaHeatmapsTopic,
		DLQ:            cfg.KafkaDLQTopic,
		Replay:         replayTopic,
		ReplayOverflow: cfg.KafkaReplayOverflowTopic,
	}
	var snk sink.Sink
	var v1 http.Handler
	switch {
	case cfg.PrintSink:
		snk = sink.NewPrint(topics, log)
	case cfg.NoopSink:
		log.Info("NoOpSink enabled, events will be silently dropped")
		snk = sink.Noop{}
	default:
		snk = sink.NewKafka(producer, topics).WithReplayEnvelope(replayEnvelope)
		h, v1Cleanup, err := newV1Handler(ctx, &cfg, mode, producer, topics, pol)
		if err != nil {
			return fmt.Errorf("capture: %w", err)
		}
		defer v1Cleanup()
		if h != nil {
			v1 = h
		}
	}
	eventMax := api.BatchBodySize * 5
	if mode == api.ModeRecordings {
		eventMax = cfg.KafkaProducerMessageMaxBytes
	}
	opts := api.Options{
		Mode:                   mode,
		Sink:                   snk,
		Policies:               pol,
		Now:                    o.Now,
		EventMaxBytes:          eventMax,
		BodyChunkReadTimeout:   time.Duration(cfg.BodyChunkReadTimeoutMs) * time.Millisecond,
		RerouteHistorical:      cfg.EnableHistoricalRerouting,
		RerouteHistoricalAfter: time.Duration(cfg.HistoricalReroutingThresholdDays) * 24 * time.Hour,
		Liveness:               liveness.Handler(),
		ConcurrencyLimit:       cfg.ConcurrencyLimit,
	}
	opts.V1 = v1
	opts.ShuttingDown, opts.Draining = mgr.IsShuttingDown, mgr.ReadinessHandler()
	srv := api.New(opts)
	handler := srv.Router(cfg.ExportPrometheus)
	if cfg.RequestTimeoutSeconds > 0 {
		handler = http.TimeoutHandler(handler, time.Duration(cfg.RequestTimeoutSeconds)*time.Second,
			`{"status":503,"code":"service_unavailable","error":"service unavailable: request timeout"}`)
	}

	ln := o.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.Address); err != nil {
			return fmt.Errorf("capture: listen on %s: %w", cfg.Address, err)
		}
	}
	hs := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	if cfg.HTTP1HeaderReadTimeoutMs > 0 {
		hs.ReadHeaderTimeout = time.Duration(cfg.HTTP1HeaderReadTimeoutMs) * time.Millisecond
	}

	// The HTTP server drains first; the producer then flushes what the
	// drained requests queued.
	served := make(chan struct{})
	httpHandle := mgr.Register("http-server", lifecycle.ComponentOptions{GracefulShutdown: httpDrain})
	httpHandle.Go(func(ctx context.Context) error {
		defer close(served)
		return httpserver.ServeServer(ctx, hs, ln, httpDrain)
	})
	if producerHandle != nil {
		producerHandle.Go(func(ctx context.Context) error {
			<-ctx.Done()
			<-served
			producer.Close()
			return nil
		})
	}
	log.Info("capture listening", "address", ln.Addr().String(), "mode", string(mode))
	if o.Ready != nil {
		o.Ready(ln.Addr().String())
	}
	if err := mgr.Run(ctx); err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	return nil
}

// newGlobalRate builds the per-(token, distinct_id) global rate limiter
// from the GLOBAL_RATE_LIMIT_* settings, on its own Redis when
// GLOBAL_RATE_LIMIT_REDIS_URL is set, else on shared. The returned func
// flushes the last counts and closes what it opened.
func newGlobalRate(ctx context.Context, cfg *Config, shared *redis.Client, log *slog.Logger) (*limits.GlobalRate, func(), error) {
	var closers []func() error
	cleanup := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	primary, reader := shared, (*redis.Client)(nil)
	if cfg.GlobalRateLimitRedisURL != "" {
		response := time.Duration(intOr(cfg.GlobalRateLimitRedisResponseTimeoutMs, cfg.RedisResponseTimeoutMs)) * time.Millisecond
		connect := time.Duration(intOr(cfg.GlobalRateLimitRedisConnectionTimeoutMs, cfg.RedisConnectionTimeoutMs)) * time.Millisecond
		var err error
		if primary, err = dedicatedRedis(cfg.GlobalRateLimitRedisURL, response, connect); err != nil {
			return nil, nil, fmt.Errorf("global rate limiter redis: %w", err)
		}
		closers = append(closers, primary.Close)
		if cfg.GlobalRateLimitRedisReaderURL != "" {
			if reader, err = dedicatedRedis(cfg.GlobalRateLimitRedisReaderURL, response, connect); err != nil {
				cleanup()
				return nil, nil, fmt.Errorf("global rate limiter reader redis: %w", err)
			}
			closers = append(closers, reader.Close)
		}
	}

	window := time.Duration(cfg.GlobalRateLimitWindowIntervalSecs) * time.Second
	lc := limiters.DefaultGlobalRateConfig()
	lc.Threshold = cfg.GlobalRateLimitTokenDistinctIDThreshold
	lc.Window = window
	lc.SyncInterval = time.Duration(cfg.GlobalRateLimitSyncIntervalSecs) * time.Second
	lc.TickInterval = time.Duration(cfg.GlobalRateLimitTickIntervalMs) * time.Millisecond
	lc.KeyPrefix = "@ph/grl/capture/tok_distid/events"
	lc.Scope = "events_tok_distid"
	lc.LocalCacheMaxEntries = cfg.GlobalRateLimitTokenDistinctIDLocalCacheEntries
	lc.LocalCacheTTL = time.Duration(cfg.GlobalRateLimitLocalCacheTTLSecs) * time.Second
	lc.LocalCacheIdleTimeout = time.Duration(cfg.GlobalRateLimitLocalCacheIdleTimeoutSecs) * time.Second
	lc.ReadTimeout = time.Duration(cfg.GlobalRateLimitReadTimeoutMs) * time.Millisecond
	lc.WriteTimeout = time.Duration(cfg.GlobalRateLimitWriteTimeoutMs) * time.Millisecond
	lc.MinSyncFloor = cfg.GlobalRateLimitMinSyncFloor
	lc.MaxSyncKeysPerTick = cfg.GlobalRateLimitMaxSyncKeysPerTick
	lc.MaxKeysPerCommand = cfg.GlobalRateLimitMaxKeysPerCommand
	lc.MaxConcurrentCommands = cfg.GlobalRateLimitMaxConcurrentCommands
	lc.MaxWriteBatchEntries = cfg.GlobalRateLimitMaxWriteBatchEntries
	lc.MaxPendingSyncEntries = cfg.GlobalRateLimitMaxPendingSyncEntries
	lc.MaxReadOutage = time.Duration(intOr(cfg.GlobalRateLimitMaxReadOutageSecs, cfg.GlobalRateLimitWindowIntervalSecs)) * time.Second
	lc.CustomKeys = limits.ParseThresholdOverrides(cfg.GlobalRateLimitTokenDistinctIDOverridesCSV, log)
	lc.Resolver = limits.HierarchicalThreshold
	lc.CustomKeyRefresh = time.Duration(cfg.GlobalRateLimitCustomThresholdRefreshSecs) * time.Second
	lc.Reader = reader
	lc.Logger = log
	if key := cfg.GlobalRateLimitCustomThresholdKey; key != "" {
		// The thresholds live with the event restrictions, not with the
		// counters; without that Redis the CSV overrides stay in force.
		if cfg.EventRestrictionsRedisURL == "" {
			log.Warn("GLOBAL_RATE_LIMIT_CUSTOM_THRESHOLD_KEY is set but EVENT_RESTRICTIONS_REDIS_URL is not; using the CSV overrides only")
		} else {
			src, err := redis.New(ctx, cfg.EventRestrictionsRedisURL, redis.Options{
				Timeout: time.Duration(cfg.RedisResponseTimeoutMs) * time.Millisecond,
			})
			if err != nil {
				cleanup()
				return nil, nil, fmt.Errorf("global rate limiter thresholds redis: %w", err)
			}
			closers = append(closers, src.Close)
			lc.CustomKeySource = limiters.RedisCustomKeySource{Client: src, Key: key}
		}
	}
	l, err := limiters.NewGlobalRateLimiter(primary, lc)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	if cfg.GlobalRateLimitDryRun {
		log.Info("GlobalRateLimiter initialized in dry-run mode (evaluating but not enforcing)", "scope", lc.Scope)
	}
	grl := limits.NewGlobalRate(l, cfg.GlobalRateLimitDryRun, log)
	return grl, func() { grl.Close(); cleanup() }, nil
}

// dedicatedRedis connects lazily to url with the given response and
// connection timeouts (0: the client's defaults).
func dedicatedRedis(url string, response, connect time.Duration) (*redis.Client, error) {
	o, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("parse redis url: %w", err)
	}
	o.ContextTimeoutEnabled = true
	if response > 0 {
		o.ReadTimeout, o.WriteTimeout = response, response
	}
	if connect > 0 {
		o.DialTimeout = connect
	}
	return redis.NewFromClient(goredis.NewClient(o), redis.Options{Timeout: response}), nil
}

func intOr(p *int, def int) int {
	if p != nil {
		return *p
	}
	return def
}
