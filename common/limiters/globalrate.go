package limiters

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	goredis "github.com/redis/go-redis/v9"

	"github.com/hoggo/common/redis"
)

// GlobalRateLimiter is the reference's global rate limiter
// (rust/common/limiters/src/global_rate_limiter.rs): a per-key event budget
// per sliding window, shared by every process that uses the same Redis and
// key prefix.
//
// Redis holds one counter per key and epoch, `{prefix}:{key}:{epoch}` with
// epoch = floor(unix seconds / window), and the fleet count of a key is
// prev × (1 − progress) + current, progress being how far into the current
// epoch the clock is. The request path never waits on Redis: it counts the
// event into a write batch and decides from a local estimate, the last fleet
// count read for the key drained at threshold/window per second plus what
// this process counted since. A background tick (Run) sends the batched
// counts (INCRBY + EXPIREAT) and then re-reads (MGET) the keys due for a
// sync, more often the closer a key is to its threshold.
//
// Every overload or Redis failure fails open: a count that cannot be
// written is lost, a key that cannot be read keeps its decaying estimate,
// and once reads to Redis have failed for MaxReadOutage a key is limited
// only on what the fleet last reported, never on this process's counts alone.
type GlobalRateLimiter struct {
	cfg    GlobalRateConfig
	rdb    goredis.UniversalClient
	reader goredis.UniversalClient // replica for reads; rdb when unset
	log    *slog.Logger
	now    func() time.Time
	scope  string

	custom atomic.Pointer[map[string]uint64]
	m      grlHotMetrics

	mu      sync.Mutex
	entries map[string]*grlEntry
	pending map[string]struct{}
	writes  map[grlWriteKey]uint64
	closed  bool
	// readFailingSince is when the current run of failed reads began; zero
	// while reads succeed.
	readFailingSince time.Time

	tickN uint64

	flushMu sync.Mutex // one write flush at a time (tick or Close)
}

// GlobalRateConfig configures a GlobalRateLimiter. DefaultGlobalRateConfig
// returns the reference's defaults.
type GlobalRateConfig struct {
	// Threshold is the per-window budget of a key without a custom one.
	Threshold uint64
	// Window is the sliding window and the length of one Redis epoch.
	// Processes sharing KeyPrefix must agree on it.
	Window time.Duration
	// SyncInterval is the base re-read cadence, scaled by the key's pressure
	// tier (×4 under 50 % of the threshold, ×1 under 80 %, ×½ above).
	SyncInterval time.Duration
	// TickInterval is the cadence of the background writes and reads.
	TickInterval time.Duration
	// KeyPrefix starts every Redis key (without the final ':').
	KeyPrefix string
	// GlobalCacheTTL: only the part above 2 × Window is used, as grace on
	// the epoch keys' absolute expiry.
	GlobalCacheTTL time.Duration
	// LocalCacheTTL and LocalCacheIdleTimeout bound how long a key's local
	// entry lives without being touched; both are raised to Window.
	LocalCacheTTL         time.Duration
	LocalCacheIdleTimeout time.Duration
	// LocalCacheMaxEntries caps the local entries; a new key over the cap
	// is not cached and is always allowed.
	LocalCacheMaxEntries int
	// ReadTimeout and WriteTimeout bound one Redis command.
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	// MinSyncFloor is the local level under which a key is never read from
	// Redis (capped at 1 % of the key's threshold); 0 reads every key.
	MinSyncFloor uint64
	// MaxSyncKeysPerTick bounds the keys read and the write entries sent
	// per tick; the rest wait for later ticks.
	MaxSyncKeysPerTick int
	// MaxKeysPerCommand bounds the Redis keys of one command (a read costs
	// two per key).
	MaxKeysPerCommand int
	// MaxConcurrentCommands bounds the commands in flight per tick.
	MaxConcurrentCommands int
	// MaxWriteBatchEntries caps the buffered (key, epoch) counts; counts
	// for new entries over the cap are dropped.
	MaxWriteBatchEntries int
	// MaxPendingSyncEntries caps the keys waiting for a read.
	MaxPendingSyncEntries int
	// MaxReadOutage: once every read has failed for this long, a key is
	// limited only if its last fleet count (decayed) is over the threshold.
	// 0 disables the guard.
	MaxReadOutage time.Duration
	// CustomKeys are per-key thresholds, checked by CheckCustomLimit.
	CustomKeys map[string]uint64
	// Resolver maps a key to its custom threshold; nil is an exact lookup.
	Resolver func(key string, custom map[string]uint64) (uint64, bool)
	// CustomKeySource, when set, replaces CustomKeys every
	// CustomKeyRefresh (at least 1 s) while Run runs.
	CustomKeySource  CustomKeySource
	CustomKeyRefresh time.Duration
	// Reader, when set, serves the reads (a replica); a read it fails is
	// retried on the primary.
	Reader *redis.Client
	// Scope labels this limiter's metrics.
	Scope string
	// Now replaces the clock (tests).
	Now func() time.Time
	// Logger receives Redis failures; nil is slog.Default().
	Logger *slog.Logger
}

// CustomKeySource fetches the current custom thresholds. found=false means
// the source holds none (the key is absent): the limiter keeps its current
// map, as it does on an error.
type CustomKeySource interface {
	FetchCustomKeys(ctx context.Context) (thresholds map[string]uint64, found bool, err error)
}

// DefaultGlobalRateConfig returns the reference's GlobalRateLimiterConfig
// defaults.
func DefaultGlobalRateConfig() GlobalRateConfig {
	window := 60 * time.Second
	return GlobalRateConfig{
		Threshold:             1_000_000,
		Window:                window,
		SyncInterval:          15 * time.Second,
		TickInterval:          time.Second,
		KeyPrefix:             "@posthog/global_rate_limiter",
		GlobalCacheTTL:        2 * window,
		LocalCacheTTL:         600 * time.Second,
		LocalCacheIdleTimeout: 300 * time.Second,
		LocalCacheMaxEntries:  300_000,
		ReadTimeout:           250 * time.Millisecond,
		WriteTimeout:          250 * time.Millisecond,
		MinSyncFloor:          10,
		MaxSyncKeysPerTick:    20_000,
		MaxKeysPerCommand:     2_000,
		MaxConcurrentCommands: 4,
		MaxWriteBatchEntries:  200_000,
		MaxPendingSyncEntries: 200_000,
		MaxReadOutage:         window,
		CustomKeyRefresh:      60 * time.Second,
		Scope:                 "default",
	}
}

// GlobalRateVerdict is the outcome of one check.
type GlobalRateVerdict int

const (
	// GlobalRateAllowed: under the threshold (or not yet known to be over).
	GlobalRateAllowed GlobalRateVerdict = iota
	// GlobalRateLimited: the key's level reached its threshold.
	GlobalRateLimited
	// GlobalRateNotApplicable: CheckCustomLimit on a key without a custom
	// threshold; nothing was counted.
	GlobalRateNotApplicable
	// GlobalRateFailOpen is kept for the reference's result set; since the
	// request path does no Redis I/O the current reference, and this
	// limiter, never return it (Redis failures surface as Allowed).
	GlobalRateFailOpen
)

func (v GlobalRateVerdict) String() string {
	switch v {
	case GlobalRateLimited:
		return "limited"
	case GlobalRateNotApplicable:
		return "not_applicable"
	case GlobalRateFailOpen:
		return "fail_open"
	}
	return "allowed"
}

// GlobalRateResult is a check's verdict; the other fields are set when it
// is GlobalRateLimited.
type GlobalRateResult struct {
	Verdict      GlobalRateVerdict
	Key          string
	Count        float64 // the key's level when it was limited
	Threshold    uint64
	Window       time.Duration
	SyncInterval time.Duration
	Custom       bool // limited through a custom threshold
}

// Limited reports whether the verdict is GlobalRateLimited.
func (r GlobalRateResult) Limited() bool { return r.Verdict == GlobalRateLimited }

// grlHotMetrics are the request-path counters, resolved once per limiter.
type grlHotMetrics struct {
	allowed, limited, hit, miss, syncQueued, belowFloor, outageSkipped prometheus.Counter
}

func newGRLHotMetrics(scope string) grlHotMetrics {
	return grlHotMetrics{
		allowed:       grlEval.WithLabelValues(scope, "allowed"),
		limited:       grlEval.WithLabelValues(scope, "limited"),
		hit:           grlCache.WithLabelValues(scope, "hit"),
		miss:          grlCache.WithLabelValues(scope, "miss"),
		syncQueued:    grlCache.WithLabelValues(scope, "sync_queued"),
		belowFloor:    grlSyncSkipped.WithLabelValues(scope, "below_floor"),
		outageSkipped: grlOutageSkipped.WithLabelValues(scope),
	}
}

// grlEntry is a key's local state.
type grlEntry struct {
	estimated float64   // fleet count at the last read
	syncedAt  time.Time // zero until the first read lands
	pending   uint64    // counted here since the last read
	pressure  float64   // level/threshold at the last read
	touched   time.Time // last request or read, for expiry
}

type grlWriteKey struct {
	key   string
	epoch int64
}

// Pressure tiers; the labels are the reference's.
const (
	tierIdle = iota
	tierLow
	tierNormal
	tierHot
)

var tierLabels = [4]string{"idle", "low", "normal", "hot"}

func pressureTier(p float64) int {
	switch {
	case p < 0.1:
		return tierIdle
	case p < 0.5:
		return tierLow
	case p < 0.8:
		return tierNormal
	}
	return tierHot
}

// tierSyncInterval is the re-read cadence of a key at pressure p. An idle
// key above the sync floor uses the low cadence, so a key that is hot
// across the fleet but cold on every process is still discovered.
func tierSyncInterval(p float64, base time.Duration) time.Duration {
	switch pressureTier(p) {
	case tierNormal:
		return base
	case tierHot:
		return base / 2
	}
	return 4 * base
}

// tierScanEveryTicks is how often (in ticks) the local entries are scanned
// for expiry and the tier gauges.
const tierScanEveryTicks = 30

var (
	grlEval = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "global_rate_limiter_eval_counts_total", Help: "Global rate limiter decisions.",
	}, []string{"scope", "result"})
	grlCache = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "global_rate_limiter_cache_counts_total", Help: "Global rate limiter local cache lookups (hit, miss, sync_queued).",
	}, []string{"scope", "result"})
	grlRecords = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "global_rate_limiter_records_total", Help: "Keys moved by successful global rate limiter Redis commands.",
	}, []string{"scope", "op", "redis_idx"})
	grlErrors = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "global_rate_limiter_error_total", Help: "Global rate limiter failures and drops, by step and cause.",
	}, []string{"scope", "step", "cause"})
	grlPipeline = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name: "global_rate_limiter_pipeline_ms", Help: "Latency of successful global rate limiter Redis commands (ms).",
		Buckets: []float64{0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250},
	}, []string{"scope", "redis_idx"})
	grlTick = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name: "global_rate_limiter_tick_ms", Help: "Duration of global rate limiter ticks that had work (ms).",
		Buckets: []float64{0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000},
	}, []string{"scope"})
	grlPipelineSize = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name: "global_rate_limiter_pipeline_size", Help: "Keys read and entries written per tick.",
		Buckets: []float64{1, 10, 100, 1000, 10000, 100000},
	}, []string{"scope", "op"})
	grlSyncSkipped = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "global_rate_limiter_sync_skipped_total", Help: "Reads not queued because the key is below the sync floor.",
	}, []string{"scope", "reason"})
	grlOutageSkipped = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "global_rate_limiter_outage_limit_skipped_total", Help: "Limits withheld because Redis reads were failing.",
	}, []string{"scope"})
	grlReadFailing = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "global_rate_limiter_read_failing_seconds", Help: "Seconds since reads began failing; 0 while they succeed.",
	}, []string{"scope", "redis_idx"})
	grlCacheSize = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "global_rate_limiter_cache_size", Help: "Local entries of the global rate limiter.",
	}, []string{"scope"})
	grlTierGauge = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "global_rate_limiter_sync_tier_gauge", Help: "Local entries per pressure tier.",
	}, []string{"scope", "tier"})
	grlPendingSync = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "global_rate_limiter_pending_sync_size", Help: "Keys read this tick.",
	}, []string{"scope"})
	grlSyncDeferred = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "global_rate_limiter_sync_deferred_size", Help: "Keys still queued for a read after a tick.",
	}, []string{"scope"})
	grlWriteDeferred = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "global_rate_limiter_write_deferred_size", Help: "Write entries still batched after a tick.",
	}, []string{"scope"})
	grlWindow = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "global_rate_limiter_window_seconds", Help: "Configured window; processes sharing a key prefix must agree.",
	}, []string{"scope"})
	grlCustomLoaded = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "global_rate_limiter_custom_thresholds_loaded", Help: "Custom thresholds applied at the last refresh.",
	}, []string{"scope"})
	grlCustomRefreshed = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "global_rate_limiter_custom_thresholds_last_refresh_timestamp", Help: "Unix time of the last custom threshold refresh.",
	}, []string{"scope"})
)

// NewGlobalRateLimiter builds a limiter on rdb (its key prefix and timeout
// are not used: the limiter has its own). Call Run to sync with Redis and
// Close to flush the last counts.
func NewGlobalRateLimiter(rdb *redis.Client, cfg GlobalRateConfig) (*GlobalRateLimiter, error) {
	if rdb == nil {
		return nil, fmt.Errorf("global rate limiter: a Redis client is required")
	}
	// A zero window would drain every key infinitely fast and never limit.
	if cfg.Window < time.Second {
		return nil, fmt.Errorf("global rate limiter %s: window must be at least 1s, got %s", cfg.Scope, cfg.Window)
	}
	if cfg.SyncInterval <= 0 || cfg.TickInterval <= 0 {
		return nil, fmt.Errorf("global rate limiter %s: sync and tick intervals must be positive", cfg.Scope)
	}
	// Entries that expire inside the window lose the counts they are
	// accumulating, and an epoch key must outlive the window after it.
	cfg.LocalCacheIdleTimeout = max(cfg.LocalCacheIdleTimeout, cfg.Window)
	cfg.LocalCacheTTL = max(cfg.LocalCacheTTL, cfg.Window)
	cfg.GlobalCacheTTL = max(cfg.GlobalCacheTTL, 2*cfg.Window)
	cfg.MaxKeysPerCommand = max(cfg.MaxKeysPerCommand, 2)
	cfg.MaxConcurrentCommands = max(cfg.MaxConcurrentCommands, 1)
	cfg.MaxSyncKeysPerTick = max(cfg.MaxSyncKeysPerTick, 1)
	if cfg.Scope == "" {
		cfg.Scope = "default"
	}
	l := &GlobalRateLimiter{
		cfg:     cfg,
		rdb:     rdb.Raw(),
		log:     cfg.Logger,
		now:     cfg.Now,
		scope:   cfg.Scope,
		entries: map[string]*grlEntry{},
		pending: map[string]struct{}{},
		writes:  map[grlWriteKey]uint64{},
	}
	l.reader = l.rdb
	l.m = newGRLHotMetrics(l.scope)
	if cfg.Reader != nil {
		l.reader = cfg.Reader.Raw()
	}
	if l.log == nil {
		l.log = slog.Default()
	}
	if l.now == nil {
		l.now = time.Now
	}
	custom := cfg.CustomKeys
	if custom == nil {
		custom = map[string]uint64{}
	}
	l.custom.Store(&custom)
	grlWindow.WithLabelValues(l.scope).Set(cfg.Window.Seconds())
	return l, nil
}

// ReplaceCustomKeys swaps the custom thresholds.
func (l *GlobalRateLimiter) ReplaceCustomKeys(m map[string]uint64) {
	if m == nil {
		m = map[string]uint64{}
	}
	l.custom.Store(&m)
}

// CustomThreshold resolves key to its custom threshold.
func (l *GlobalRateLimiter) CustomThreshold(key string) (uint64, bool) {
	m := *l.custom.Load()
	if l.cfg.Resolver != nil {
		return l.cfg.Resolver(key, m)
	}
	v, ok := m[key]
	return v, ok
}

// IsCustomKey reports whether key has a custom threshold.
func (l *GlobalRateLimiter) IsCustomKey(key string) bool {
	_, ok := l.CustomThreshold(key)
	return ok
}

// CheckLimit counts count events for key at ts (zero: now) and judges it
// against the default threshold.
func (l *GlobalRateLimiter) CheckLimit(key string, count uint64, ts time.Time) GlobalRateResult {
	return l.check(key, count, ts, l.cfg.Threshold, false)
}

// CheckCustomLimit is CheckLimit for a key with a custom threshold; a key
// without one is GlobalRateNotApplicable and nothing is counted.
func (l *GlobalRateLimiter) CheckCustomLimit(key string, count uint64, ts time.Time) GlobalRateResult {
	threshold, ok := l.CustomThreshold(key)
	if !ok {
		return GlobalRateResult{Verdict: GlobalRateNotApplicable}
	}
	return l.check(key, count, ts, threshold, true)
}

func (l *GlobalRateLimiter) leakRate(threshold uint64) float64 {
	return float64(threshold) / l.cfg.Window.Seconds()
}

// level is the entry's estimate at now: the last fleet count drained at the
// leak rate, plus what was counted here since.
func level(e *grlEntry, leak float64, now time.Time) float64 {
	return fleetLevel(e, leak, now) + float64(e.pending)
}

// fleetLevel is the decayed part of level alone; 0 before the first read.
func fleetLevel(e *grlEntry, leak float64, now time.Time) float64 {
	if e.syncedAt.IsZero() {
		return 0
	}
	return math.Max(0, e.estimated-leak*now.Sub(e.syncedAt).Seconds())
}

func (l *GlobalRateLimiter) check(key string, count uint64, ts time.Time, threshold uint64, custom bool) GlobalRateResult {
	now := l.now()
	if ts.IsZero() {
		ts = now
	}
	leak := l.leakRate(threshold)

	l.mu.Lock()
	if count > 0 {
		l.absorbLocked(grlWriteKey{key, epochOf(ts, l.cfg.Window)}, count)
	}
	e, ok := l.entries[key]
	if ok && l.expired(e, now) {
		delete(l.entries, key)
		ok = false
	}
	if !ok {
		// Nothing known about the key yet: allow, and start counting.
		if len(l.entries) < l.cfg.LocalCacheMaxEntries {
			l.entries[key] = &grlEntry{pending: count, touched: now}
		}
		if !l.floorBlocks(float64(count), threshold) {
			l.queueSyncLocked(key)
		}
		l.mu.Unlock()
		l.m.miss.Inc()
		l.m.allowed.Inc()
		return GlobalRateResult{Verdict: GlobalRateAllowed}
	}

	cacheResult := l.m.hit
	lvl := level(e, leak, now)
	if !l.floorBlocks(lvl, threshold) {
		pressure := math.Max(lvl/float64(threshold), e.pressure)
		// A key never read is due at once: its fleet count is unknown.
		if e.syncedAt.IsZero() || now.Sub(e.syncedAt) > tierSyncInterval(pressure, l.cfg.SyncInterval) {
			l.queueSyncLocked(key)
			cacheResult = l.m.syncQueued
		}
	}
	e.pending += count
	e.touched = now
	lvl = level(e, leak, now)
	limited := lvl >= float64(threshold)
	withheld := false
	if limited && l.readOutageLocked(now) && fleetLevel(e, leak, now) < float64(threshold) {
		// Reads have been failing for a while: this process's own counts
		// are unconfirmed and must not limit on their own.
		limited, withheld = false, true
	}
	l.mu.Unlock()

	cacheResult.Inc()
	if withheld {
		l.m.outageSkipped.Inc()
	}
	if !limited {
		l.m.allowed.Inc()
		return GlobalRateResult{Verdict: GlobalRateAllowed}
	}
	l.m.limited.Inc()
	return GlobalRateResult{
		Verdict:      GlobalRateLimited,
		Key:          key,
		Count:        lvl,
		Threshold:    threshold,
		Window:       l.cfg.Window,
		SyncInterval: l.cfg.SyncInterval,
		Custom:       custom,
	}
}

func (l *GlobalRateLimiter) expired(e *grlEntry, now time.Time) bool {
	// Every request and every read rewrites the entry, so the TTL and the
	// idle timeout both count from the last touch.
	return now.Sub(e.touched) >= min(l.cfg.LocalCacheIdleTimeout, l.cfg.LocalCacheTTL)
}

// floorBlocks reports whether a key at lvl is too far under its threshold
// for a read to change any decision. The floor is capped at 1 % of the
// threshold so that a low custom threshold still syncs.
func (l *GlobalRateLimiter) floorBlocks(lvl float64, threshold uint64) bool {
	if l.cfg.MinSyncFloor == 0 {
		return false
	}
	floor := min(l.cfg.MinSyncFloor, max(threshold/100, 1))
	if lvl >= float64(floor) {
		return false
	}
	l.m.belowFloor.Inc()
	return true
}

func (l *GlobalRateLimiter) queueSyncLocked(key string) {
	if _, ok := l.pending[key]; ok {
		return
	}
	if len(l.pending) >= l.cfg.MaxPendingSyncEntries {
		grlErrors.WithLabelValues(l.scope, "queue_sync", "pending_sync_full").Inc()
		return
	}
	l.pending[key] = struct{}{}
}

// absorbLocked merges a count into the write batch; a new entry over the
// cap is dropped (the fleet undercounts: fail open).
func (l *GlobalRateLimiter) absorbLocked(k grlWriteKey, count uint64) {
	if l.closed {
		grlErrors.WithLabelValues(l.scope, "enqueue_update", "closed").Inc()
		return
	}
	if _, ok := l.writes[k]; !ok && len(l.writes) >= l.cfg.MaxWriteBatchEntries {
		grlErrors.WithLabelValues(l.scope, "enqueue_update", "write_batch_full").Inc()
		return
	}
	l.writes[k] += count
}

func (l *GlobalRateLimiter) readOutageLocked(now time.Time) bool {
	return l.cfg.MaxReadOutage > 0 && !l.readFailingSince.IsZero() && now.Sub(l.readFailingSince) >= l.cfg.MaxReadOutage
}

// Run syncs with Redis every TickInterval (and refreshes the custom
// thresholds when a source is set) until ctx ends, then flushes the
// remaining counts.
func (l *GlobalRateLimiter) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	if l.cfg.CustomKeySource != nil {
		wg.Go(func() { l.refreshCustomKeys(ctx) })
	}
	t := time.NewTicker(l.cfg.TickInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			l.flushWrites(context.WithoutCancel(ctx))
			return nil
		case <-t.C:
			l.Tick(ctx)
		}
	}
}

// Close stops counting and writes what is still batched. The limiter keeps
// answering checks from its local state.
func (l *GlobalRateLimiter) Close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.flushWrites(context.Background())
}

func (l *GlobalRateLimiter) refreshCustomKeys(ctx context.Context) {
	every := max(l.cfg.CustomKeyRefresh, time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		m, found, err := l.cfg.CustomKeySource.FetchCustomKeys(ctx)
		switch {
		case err != nil:
			if ctx.Err() == nil {
				l.log.Error("global rate limiter: refreshing custom thresholds failed, keeping current values",
					"scope", l.scope, "error", err)
			}
		case found:
			// Only an explicit value is authoritative; an absent key keeps
			// the current map (a deliberate clear is an empty object).
			l.ReplaceCustomKeys(m)
			grlCustomLoaded.WithLabelValues(l.scope).Set(float64(len(m)))
			grlCustomRefreshed.WithLabelValues(l.scope).Set(float64(l.now().Unix()))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Tick runs one background round: writes the batched counts, then reads
// the keys due for a sync. Run calls it; tests call it to sync at once.
func (l *GlobalRateLimiter) Tick(ctx context.Context) {
	start := time.Now()
	now := l.now()
	l.mu.Lock()
	l.tickN++
	if l.tickN%tierScanEveryTicks == 0 {
		l.scanLocked(now)
	}
	grlCacheSize.WithLabelValues(l.scope).Set(float64(len(l.entries)))
	keys := make([]string, 0, min(len(l.pending), l.cfg.MaxSyncKeysPerTick))
	for k := range l.pending {
		if len(keys) == l.cfg.MaxSyncKeysPerTick {
			break
		}
		keys = append(keys, k)
		delete(l.pending, k)
	}
	grlSyncDeferred.WithLabelValues(l.scope).Set(float64(len(l.pending)))
	l.mu.Unlock()

	wrote := l.flushWrites(ctx)
	if len(keys) == 0 && wrote == 0 {
		return
	}
	grlPipelineSize.WithLabelValues(l.scope, "read").Observe(float64(len(keys)))
	grlPipelineSize.WithLabelValues(l.scope, "write").Observe(float64(wrote))
	grlPendingSync.WithLabelValues(l.scope).Set(float64(len(keys)))
	// Writes go first: a read zeroes the keys' local counts, so it must
	// already include this tick's writes.
	l.readKeys(ctx, keys, now)
	grlTick.WithLabelValues(l.scope).Observe(float64(time.Since(start).Microseconds()) / 1000)
}

// scanLocked drops expired entries and publishes the tier distribution.
func (l *GlobalRateLimiter) scanLocked(now time.Time) {
	var tiers [4]int
	for k, e := range l.entries {
		if l.expired(e, now) {
			delete(l.entries, k)
			continue
		}
		tiers[pressureTier(e.pressure)]++
	}
	for i, n := range tiers {
		grlTierGauge.WithLabelValues(l.scope, tierLabels[i]).Set(float64(n))
	}
}

// flushWrites sends up to MaxSyncKeysPerTick batched counts and returns how
// many entries it sent. Counts whose epoch can no longer be read are
// discarded; a failed write is not retried (the fleet undercounts).
func (l *GlobalRateLimiter) flushWrites(ctx context.Context) int {
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	minLive := epochOf(l.now(), l.cfg.Window) - 1
	l.mu.Lock()
	batch := make(map[grlWriteKey]uint64, min(len(l.writes), l.cfg.MaxSyncKeysPerTick))
	purged := 0
	for k, n := range l.writes {
		if k.epoch < minLive {
			delete(l.writes, k)
			purged++
			continue
		}
		if len(batch) == l.cfg.MaxSyncKeysPerTick {
			continue
		}
		batch[k] = n
		delete(l.writes, k)
	}
	grlWriteDeferred.WithLabelValues(l.scope).Set(float64(len(l.writes)))
	l.mu.Unlock()
	if purged > 0 {
		grlErrors.WithLabelValues(l.scope, "pipeline", "stale_epoch_purged").Add(float64(purged))
	}
	if len(batch) == 0 {
		return 0
	}

	type write struct {
		key      string
		count    int64
		deadline time.Time
	}
	writes := make([]write, 0, len(batch))
	for k, n := range batch {
		writes = append(writes, write{
			key:      EpochKey(l.cfg.KeyPrefix, k.key, k.epoch),
			count:    int64(n),
			deadline: l.epochExpireAt(k.key, k.epoch),
		})
	}
	// Each write costs INCRBY and EXPIREAT on one key.
	per := l.cfg.MaxKeysPerCommand
	var chunks [][]write
	for i := 0; i < len(writes); i += per {
		chunks = append(chunks, writes[i:min(i+per, len(writes))])
	}
	l.inWaves(len(chunks), func(i int) {
		chunk := chunks[i]
		cctx, cancel := context.WithTimeout(ctx, l.cfg.WriteTimeout)
		defer cancel()
		started := time.Now()
		_, err := l.rdb.Pipelined(cctx, func(p goredis.Pipeliner) error {
			for _, w := range chunk {
				p.IncrBy(cctx, w.key, w.count)
				p.ExpireAt(cctx, w.key, w.deadline)
			}
			return nil
		})
		if err != nil {
			cause := "redis_write"
			if cctx.Err() != nil {
				cause = "write_timeout"
			}
			grlErrors.WithLabelValues(l.scope, "pipeline", cause).Inc()
			l.log.Warn("global rate limiter: writing counts to Redis failed",
				"scope", l.scope, "records", len(chunk), "error", err)
			return
		}
		grlRecords.WithLabelValues(l.scope, "redis_write", "0").Add(float64(len(chunk)))
		grlPipeline.WithLabelValues(l.scope, "0").Observe(float64(time.Since(started).Microseconds()) / 1000)
	})
	return len(writes)
}

// readKeys reads the current and previous epoch of keys and refreshes their
// entries, recording whether Redis answered.
func (l *GlobalRateLimiter) readKeys(ctx context.Context, keys []string, now time.Time) {
	if len(keys) == 0 {
		return
	}
	per := l.cfg.MaxKeysPerCommand / 2
	var chunks [][]string
	for i := 0; i < len(keys); i += per {
		chunks = append(chunks, keys[i:min(i+per, len(keys))])
	}
	var ok, failed atomic.Int64
	l.inWaves(len(chunks), func(i int) {
		chunk := chunks[i]
		mget := make([]string, 0, 2*len(chunk))
		for _, k := range chunk {
			cur, prev := EpochKeys(l.cfg.KeyPrefix, k, now, l.cfg.Window)
			mget = append(mget, cur, prev)
		}
		started := time.Now()
		vals, err := l.mget(ctx, l.reader, mget)
		if err != nil && l.reader != l.rdb {
			// The primary answers what the replica could not, on a
			// budget of its own.
			vals, err = l.mget(ctx, l.rdb, mget)
		}
		if err != nil {
			failed.Add(1)
			cause := "redis_error"
			if errors.Is(err, context.DeadlineExceeded) {
				cause = "read_timeout"
			}
			grlErrors.WithLabelValues(l.scope, "pipeline", cause).Inc()
			l.log.Warn("global rate limiter: reading counts from Redis failed",
				"scope", l.scope, "keys", len(chunk), "error", err)
			return
		}
		ok.Add(1)
		grlRecords.WithLabelValues(l.scope, "redis_read", "0").Add(float64(len(vals)))
		grlPipeline.WithLabelValues(l.scope, "0").Observe(float64(time.Since(started).Microseconds()) / 1000)
		l.applyReads(chunk, vals, now)
	})

	l.mu.Lock()
	switch {
	case ok.Load() > 0:
		l.readFailingSince = time.Time{}
	case failed.Load() > 0 && l.readFailingSince.IsZero():
		l.readFailingSince = now
	}
	failingFor := 0.0
	if !l.readFailingSince.IsZero() {
		failingFor = now.Sub(l.readFailingSince).Seconds()
	}
	l.mu.Unlock()
	grlReadFailing.WithLabelValues(l.scope, "0").Set(failingFor)
}

func (l *GlobalRateLimiter) applyReads(keys []string, vals []any, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, k := range keys {
		if 2*i+1 >= len(vals) {
			break
		}
		est := WeightedCount(parseCount(vals[2*i+1]), parseCount(vals[2*i]), now, l.cfg.Window)
		threshold := l.cfg.Threshold
		if t, ok := l.CustomThreshold(k); ok {
			threshold = t
		}
		// The fleet count already includes what this process wrote, so
		// the local count restarts from zero.
		l.entries[k] = &grlEntry{
			estimated: est,
			syncedAt:  now,
			pressure:  est / float64(threshold),
			touched:   now,
		}
	}
}

// mget is one MGET bounded by ReadTimeout.
func (l *GlobalRateLimiter) mget(ctx context.Context, c goredis.UniversalClient, keys []string) ([]any, error) {
	ctx, cancel := context.WithTimeout(ctx, l.cfg.ReadTimeout)
	defer cancel()
	return c.MGet(ctx, keys...).Result()
}

// inWaves runs f(0..n-1), at most MaxConcurrentCommands at a time.
func (l *GlobalRateLimiter) inWaves(n int, f func(i int)) {
	sem := make(chan struct{}, l.cfg.MaxConcurrentCommands)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			f(i)
		})
	}
	wg.Wait()
}

func parseCount(v any) uint64 {
	s, ok := v.(string)
	if !ok {
		return 0
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// epochExpireAt is when an epoch key dies: once it can no longer be read
// (the end of the next epoch), plus the grace above 2 × Window, plus a
// per-key offset inside one window that spreads the expiries.
func (l *GlobalRateLimiter) epochExpireAt(key string, epoch int64) time.Time {
	w := int64(l.cfg.Window / time.Second)
	grace := int64((l.cfg.GlobalCacheTTL - 2*l.cfg.Window) / time.Second)
	h := fnv.New64a()
	h.Write([]byte("global_rate_limiter_expiry\x00"))
	h.Write([]byte(key))
	offset := int64(h.Sum64() % uint64(w))
	return time.Unix((epoch+2)*w+grace+offset, 0)
}

// epochOf is floor(unix seconds / window).
func epochOf(ts time.Time, window time.Duration) int64 {
	return ts.Unix() / int64(window/time.Second)
}

// EpochKey is the Redis key of key's counter in epoch: {prefix}:{key}:{epoch}.
func EpochKey(prefix, key string, epoch int64) string {
	return prefix + ":" + key + ":" + strconv.FormatInt(epoch, 10)
}

// EpochKeys are the current and previous epoch keys of key at ts.
func EpochKeys(prefix, key string, ts time.Time, window time.Duration) (cur, prev string) {
	e := epochOf(ts, window)
	return EpochKey(prefix, key, e), EpochKey(prefix, key, e-1)
}

// WeightedCount is the sliding-window estimate at ts from the previous and
// current epoch counts: prev × (1 − progress) + cur, progress being the
// share of the current epoch elapsed (whole seconds, as the reference).
func WeightedCount(prev, cur uint64, ts time.Time, window time.Duration) float64 {
	w := window.Seconds()
	progress := math.Mod(float64(ts.Unix()), w) / w
	return float64(prev)*(1-progress) + float64(cur)
}

var grlCustomFetch = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "global_rate_limiter_custom_thresholds_fetch_total", Help: "Custom threshold fetches, by result.",
}, []string{"result"})

// RedisCustomKeySource reads the custom thresholds Django writes: a plain
// JSON object {key: threshold} at Key (GLOBAL_RATE_LIMIT_CUSTOM_THRESHOLD_KEY).
type RedisCustomKeySource struct {
	Client *redis.Client
	Key    string
}

// FetchCustomKeys implements CustomKeySource.
func (s RedisCustomKeySource) FetchCustomKeys(ctx context.Context) (map[string]uint64, bool, error) {
	b, err := s.Client.GetBytes(ctx, s.Key)
	if errors.Is(err, redis.ErrNotFound) {
		grlCustomFetch.WithLabelValues("not_found").Inc()
		return nil, false, nil
	}
	if err != nil {
		grlCustomFetch.WithLabelValues("connection_error").Inc()
		return nil, false, fmt.Errorf("fetch custom rate-limit thresholds %s: %w", s.Key, err)
	}
	m, err := ParseCustomThresholds(b)
	if err != nil {
		grlCustomFetch.WithLabelValues("parse_error").Inc()
		return nil, false, fmt.Errorf("custom rate-limit thresholds %s: %w", s.Key, err)
	}
	grlCustomFetch.WithLabelValues("success").Inc()
	return m, true, nil
}

// ParseCustomThresholds parses {"phc_abc": 1000, "phc_abc:user": 50};
// non-integer thresholds are an error.
func ParseCustomThresholds(b []byte) (map[string]uint64, error) {
	var m map[string]uint64
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parse thresholds JSON: %w", err)
	}
	if m == nil {
		return nil, fmt.Errorf("parse thresholds JSON: not an object")
	}
	return m, nil
}
