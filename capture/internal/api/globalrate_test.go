package api

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hoggo/capture/internal/limits"
	"github.com/hoggo/common/kafka"
	"github.com/hoggo/common/limiters"
	"github.com/hoggo/common/redis"
	"github.com/hoggo/common/redis/redistest"
)

// grlRedis connects to REDIS_URL (default local); it fails under CI=true
// when Redis is down and skips otherwise.
func grlRedis(t *testing.T) *redis.Client {
	return redistest.New(t, redistest.URL(t, -1), redis.Options{Timeout: time.Second})
}

// TestGlobalRateLimitV0 sends one token:distinct_id past its budget: as in
// the current reference the request still gets 200, and the events over
// the budget go to the overflow topic unkeyed with person processing off,
// while the counts land in Redis for the other capture processes.
func TestGlobalRateLimitV0(t *testing.T) {
	rdb := grlRedis(t)
	cfg := limiters.DefaultGlobalRateConfig()
	cfg.Threshold = 3
	cfg.MinSyncFloor = 0
	cfg.KeyPrefix = fmt.Sprintf("test/capture-api-grl/%d", time.Now().UnixNano())
	cfg.Resolver = limits.HierarchicalThreshold
	l, err := limiters.NewGlobalRateLimiter(rdb, cfg)
	if err != nil {
		t.Fatal(err)
	}
	grl := limits.NewGlobalRate(l, false, nil)
	e := newEnv(t, envOpts{mode: ModeEvents, policies: &limits.Policies{GlobalRate: grl}})

	const token = "phc_grl_token"
	send := func(distinctID string) {
		t.Helper()
		body := fmt.Sprintf(`{"api_key":%q,"event":"$pageview","distinct_id":%q,"properties":{}}`, token, distinctID)
		if r := e.post("/e/", []byte(body), "application/json"); r.status != 200 || r.body != `{"status":"Ok"}` {
			t.Fatalf("status %d body %s", r.status, r.body)
		}
	}
	for range 5 {
		send("hot")
	}
	send("cold")

	main := e.consume(testTopics.Main, 3)
	for i, r := range main {
		want := token + ":hot"
		if i == 2 {
			want = token + ":cold"
		}
		if string(r.Key) != want {
			t.Errorf("main record %d key %q, want %q", i, r.Key, want)
		}
		if h := kafka.HeaderMap(r.Headers); h["force_disable_person_processing"] == "true" {
			t.Errorf("main record %d has person processing off", i)
		}
	}
	over := e.consume(testTopics.Overflow, 3)
	for i, r := range over {
		h := kafka.HeaderMap(r.Headers)
		if r.Key != nil || h["force_disable_person_processing"] != "true" || h["distinct_id"] != "hot" {
			t.Errorf("overflow record %d key %q headers %v", i, r.Key, h)
		}
	}

	grl.Close()
	epoch := time.Now().Unix() / 60
	total := 0
	for _, ep := range []int64{epoch - 1, epoch} {
		k := limiters.EpochKey(cfg.KeyPrefix, token+":hot", ep)
		t.Cleanup(func() { rdb.Raw().Del(context.Background(), k) })
		n, _ := rdb.Raw().Get(context.Background(), k).Int()
		total += n
	}
	if total != 5 {
		t.Errorf("Redis holds %d events for %s:hot, want 5", total, token)
	}
}
