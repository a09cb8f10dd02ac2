package analyticsv1

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hoggo/capture/internal/limits"
	"github.com/hoggo/common/kafka"
	"github.com/hoggo/common/limiters"
)

func newGlobalRate(t *testing.T, threshold uint64) (*limits.GlobalRate, string) {
	t.Helper()
	rdb := testRedis(t)
	cfg := limiters.DefaultGlobalRateConfig()
	cfg.Threshold = threshold
	cfg.MinSyncFloor = 0
	cfg.KeyPrefix = fmt.Sprintf("test/capture-v1-grl/%d", time.Now().UnixNano())
	cfg.Resolver = limits.HierarchicalThreshold
	l, err := limiters.NewGlobalRateLimiter(rdb, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		l.Close()
		e := time.Now().Unix() / 60
		for _, id := range []string{"hot", "cold", "noperson"} {
			rdb.Raw().Del(context.Background(),
				limiters.EpochKey(cfg.KeyPrefix, testToken+":"+id, e-1), limiters.EpochKey(cfg.KeyPrefix, testToken+":"+id, e))
		}
	})
	return limits.NewGlobalRate(l, false, nil), cfg.KeyPrefix
}

// TestGlobalRateLimitV1: events of a token:distinct_id over its budget are
// published with a warning, person processing off and on the overflow
// topic; the response stays 200.
func TestGlobalRateLimitV1(t *testing.T) {
	grl, _ := newGlobalRate(t, 2)
	e := newEnv(t, func(o *Options, _ *kafka.Config) { o.Policies = &limits.Policies{GlobalRate: grl} })
	rb := decodeResults(t, e.post(t, validHeaders(), batchBody(
		ev(uuidN(1), "$pageview", "hot", ""),
		ev(uuidN(2), "$pageview", "hot", ""),
		ev(uuidN(3), "$pageview", "hot", ""),
		ev(uuidN(4), "$pageview", "cold", ""),
		ev(uuidN(5), "$$heatmap", "hot", ""),
	)))
	wantResult(t, rb, uuidN(1), "ok", "")
	wantResult(t, rb, uuidN(2), "warning", DetailPersonProcessingDisabled)
	wantResult(t, rb, uuidN(3), "warning", DetailPersonProcessingDisabled)
	wantResult(t, rb, uuidN(4), "ok", "")
	wantResult(t, rb, uuidN(5), "warning", DetailPersonProcessingDisabled)

	main := e.consume(t, testTopics.Main, 2)
	if h := kafka.HeaderMap(main[0].Headers); h["uuid"] != uuidN(1) || string(main[0].Key) != testToken+":hot" {
		t.Errorf("main[0] %q %v", main[0].Key, h)
	}
	if h := kafka.HeaderMap(main[1].Headers); h["uuid"] != uuidN(4) {
		t.Errorf("main[1] %v", h)
	}
	for _, r := range e.consume(t, testTopics.Overflow, 2) {
		if h := kafka.HeaderMap(r.Headers); r.Key != nil || h["force_disable_person_processing"] != "true" {
			t.Errorf("overflow %q %v", r.Key, h)
		}
	}
	// A heatmap keeps its lane, with person processing off.
	hm := e.consume(t, testTopics.Heatmaps, 1)[0]
	if h := kafka.HeaderMap(hm.Headers); h["uuid"] != uuidN(5) || h["force_disable_person_processing"] != "true" {
		t.Errorf("heatmap %v", h)
	}
}

// Import mode never applies the limiter.
func TestGlobalRateLimitV1ImportMode(t *testing.T) {
	grl, _ := newGlobalRate(t, 1)
	e := newEnv(t, func(o *Options, _ *kafka.Config) {
		o.Policies = &limits.Policies{GlobalRate: grl}
		o.ImportMode = true
	})
	body := []byte(`{"created_at":"2026-03-19T14:30:00.000Z","historical_migration":true,"batch":[` +
		ev(uuidN(1), "$pageview", "hot", "") + "," + ev(uuidN(2), "$pageview", "hot", "") + `]}`)
	rb := decodeResults(t, e.post(t, validHeaders(), body))
	wantResult(t, rb, uuidN(1), "ok", "")
	wantResult(t, rb, uuidN(2), "ok", "")
}
