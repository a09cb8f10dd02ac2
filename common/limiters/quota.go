package limiters

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hoggo/common/metrics"

	"github.com/hoggo/common/redis"
)

// Key prefixes of the Redis sorted sets written by PostHog's billing and
// ingestion jobs. Members are tokens (or session ids), scores are the Unix
// second until which the member is limited.
const (
	QuotaLimitsKeyPrefix     = "@posthog/quota-limits/"
	CaptureOverflowKeyPrefix = "@posthog/capture-overflow/"
)

// Resource names a quota (the last component of the Redis key).
type Resource string

// Resources known to the reference services.
const (
	ResourceEvents              Resource = "events"
	ResourceExceptions          Resource = "exceptions"
	ResourceRecordings          Resource = "recordings"
	ResourceReplay              Resource = "replay"
	ResourceFeatureFlagRequests Resource = "feature_flag_requests"
	ResourceSurveys             Resource = "surveys"
	ResourceLLMEvents           Resource = "llm_events"
)

// QuotaKey returns <prefix>@posthog/quota-limits/<resource>; prefix is
// REDIS_KEY_PREFIX, prepended verbatim.
func QuotaKey(prefix string, r Resource) string { return prefix + QuotaLimitsKeyPrefix + string(r) }

// OverflowKey returns <prefix>@posthog/capture-overflow/<resource>.
func OverflowKey(prefix string, r Resource) string {
	return prefix + CaptureOverflowKeyPrefix + string(r)
}

// RedisLimiter mirrors one Redis sorted set of limited members in memory. A
// background loop (Run) re-reads the members whose score is still in the
// future; IsLimited never touches Redis. When Redis fails the previous set is
// kept (fail open: an empty set at startup limits nothing).
type RedisLimiter struct {
	rdb      *redis.Client
	key      string
	interval time.Duration
	logger   *slog.Logger
	gauge    prometheus.Gauge
	set      atomic.Pointer[map[string]struct{}]
}

// NewQuotaLimiter watches the billing quota set of resource
// (<prefix>@posthog/quota-limits/<resource>), refreshed every interval.
func NewQuotaLimiter(rdb *redis.Client, resource Resource, prefix string, interval time.Duration, opts ...Option) *RedisLimiter {
	return NewRedisLimiter(rdb, QuotaKey(prefix, resource), interval, opts...)
}

// NewOverflowSetLimiter watches capture's overflow set of resource
// (<prefix>@posthog/capture-overflow/<resource>, e.g. replay sessions).
func NewOverflowSetLimiter(rdb *redis.Client, resource Resource, prefix string, interval time.Duration, opts ...Option) *RedisLimiter {
	return NewRedisLimiter(rdb, OverflowKey(prefix, resource), interval, opts...)
}

// NewRedisLimiter watches the sorted set at key (used as is; rdb's own
// KeyPrefix still applies).
func NewRedisLimiter(rdb *redis.Client, key string, interval time.Duration, opts ...Option) *RedisLimiter {
	o := buildOptions(opts)
	l := &RedisLimiter{rdb: rdb, key: key, interval: interval, logger: o.logger}
	empty := map[string]struct{}{}
	l.set.Store(&empty)
	if o.service != "" {
		vec := metrics.Register(o.registerer, prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: o.service + "_billing_limits_loaded_tokens",
			Help: "Members currently loaded from a quota-limit sorted set.",
		}, []string{"cache_key"}))
		l.gauge = vec.WithLabelValues(key)
	}
	return l
}

// Key returns the Redis key this limiter reads.
func (l *RedisLimiter) Key() string { return l.key }

// IsLimited reports whether member (a token, session id, ...) was in the set
// at the last successful refresh.
func (l *RedisLimiter) IsLimited(member string) bool {
	_, ok := (*l.set.Load())[member]
	return ok
}

// Len returns the number of members loaded.
func (l *RedisLimiter) Len() int { return len(*l.set.Load()) }

// Refresh reads the members whose score is >= now and swaps them in. On error
// the previous set stays.
func (l *RedisLimiter) Refresh(ctx context.Context) error {
	now := strconv.FormatInt(time.Now().Unix(), 10)
	members, err := l.rdb.ZRangeByScore(ctx, l.key, now, "+inf")
	if err != nil {
		return fmt.Errorf("refresh limiter %s: %w", l.key, err)
	}
	set := make(map[string]struct{}, len(members))
	for _, m := range members {
		set[m] = struct{}{}
	}
	l.set.Store(&set)
	if l.gauge != nil {
		l.gauge.Set(float64(len(set)))
	}
	return nil
}

// Run refreshes immediately and then every interval until ctx ends. Refresh
// failures are logged and keep the previous set. It returns nil when ctx ends.
func (l *RedisLimiter) Run(ctx context.Context) error {
	interval := l.interval
	if interval <= 0 {
		interval = 5 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := l.Refresh(ctx); err != nil && ctx.Err() == nil {
			l.logger.Warn("quota limiter refresh failed, keeping the previous set",
				"key", l.key, "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
