package store

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hoggo/feature-flags/internal/metrics"
)

// QuotaSet keeps an in-memory copy of one billing quota sorted set
// (@posthog/quota-limits/<resource>: member = token, score = limited-until
// unix seconds), refreshed periodically. Redis failures keep the last copy
// (fail open when there never was one).
type QuotaSet struct {
	rdb      goredis.UniversalClient
	key      string
	interval time.Duration
	limited  atomic.Pointer[map[string]float64]
}

// NewQuotaSet returns a QuotaSet for resource; call Run to keep it fresh.
func NewQuotaSet(rdb goredis.UniversalClient, resource string, interval time.Duration) *QuotaSet {
	q := &QuotaSet{rdb: rdb, key: "@posthog/quota-limits/" + resource, interval: interval}
	empty := map[string]float64{}
	q.limited.Store(&empty)
	return q
}

// Refresh reloads the set once.
func (q *QuotaSet) Refresh(ctx context.Context) error {
	if q.rdb == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	zs, err := q.rdb.ZRangeByScoreWithScores(ctx, q.key, &goredis.ZRangeBy{Min: strconv.FormatInt(time.Now().Unix(), 10), Max: "+inf"}).Result()
	if err != nil {
		return err
	}
	m := make(map[string]float64, len(zs))
	for _, z := range zs {
		if s, ok := z.Member.(string); ok {
			m[s] = z.Score
		}
	}
	q.limited.Store(&m)
	metrics.BillingLimitTokens.WithLabelValues(q.key).Set(float64(len(m)))
	return nil
}

// Run refreshes until ctx ends.
func (q *QuotaSet) Run(ctx context.Context) {
	t := time.NewTicker(q.interval)
	defer t.Stop()
	for {
		_ = q.Refresh(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Limited reports whether token is limited now.
func (q *QuotaSet) Limited(token string) bool {
	until, ok := (*q.limited.Load())[token]
	return ok && until > float64(time.Now().Unix())
}
