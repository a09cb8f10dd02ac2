package analyticsv1

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hoggo/capture/internal/limits"
	"github.com/hoggo/common/kafka"
	"github.com/hoggo/common/redis"
	"github.com/hoggo/common/redis/redistest"
)

// testRedis connects to REDIS_URL (default local) with a key prefix unique
// to this test, so parallel helpers' restriction keys never collide. It
// fails under CI=true when Redis is down and skips otherwise.
func testRedis(t *testing.T) *redis.Client {
	prefix := fmt.Sprintf("hoggo-v1-test-%d:", time.Now().UnixNano())
	return redistest.New(t, redistest.URL(t, -1), redis.Options{Timeout: time.Second, KeyPrefix: prefix})
}

func TestEventRestrictions(t *testing.T) {
	rdb := testRedis(t)
	ctx := context.Background()
	set := func(typ, entries string) {
		key := limits.RestrictionKeyPrefix + typ
		if err := rdb.Set(ctx, key, entries, redis.Raw, time.Minute); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = rdb.Del(ctx, key) })
	}
	entry := func(field, value string) string {
		return fmt.Sprintf(`[{"version":2,"token":%q,"pipelines":["analytics"],%q:[%q]}]`, testToken, field, value)
	}
	set(limits.RestrictionDrop, entry("distinct_ids", "blocked"))
	set(limits.RestrictionDLQ, entry("event_names", "to_dlq"))
	set(limits.RestrictionSkipPersons, entry("distinct_ids", "noperson"))
	set(limits.RestrictionForceOverflow, entry("event_names", "hot"))
	r := limits.NewRestrictions(rdb, time.Minute, time.Hour, nil)
	if err := r.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(o *Options, _ *kafka.Config) { o.Policies = &limits.Policies{Restrictions: r} })
	rb := decodeResults(t, e.post(t, validHeaders(), batchBody(
		ev(uuidN(1), "e", "blocked", ""),
		ev(uuidN(2), "to_dlq", "d", ""),
		ev(uuidN(3), "e", "noperson", ""),
		ev(uuidN(4), "hot", "d", ""),
		ev(uuidN(5), "$$heatmap", "blocked", ""), // heatmaps are exempt
	)))
	wantResult(t, rb, uuidN(1), "drop", DetailEventRestrictionDrop)
	for i := 2; i <= 5; i++ {
		wantResult(t, rb, uuidN(i), "ok", "")
	}
	dlq := e.consume(t, testTopics.DLQ, 1)[0]
	h := kafka.HeaderMap(dlq.Headers)
	if h["uuid"] != uuidN(2) || h["dlq_reason"] != "event_restriction" || h["dlq_step"] != "capture" || string(dlq.Key) != testToken+":d" {
		t.Errorf("dlq %q %v", dlq.Key, h)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000Z07:00", h["dlq_timestamp"]); err != nil {
		t.Errorf("dlq_timestamp %q: %v", h["dlq_timestamp"], err)
	}
	main := e.consume(t, testTopics.Main, 1)[0]
	if h := kafka.HeaderMap(main.Headers); h["uuid"] != uuidN(3) || h["force_disable_person_processing"] != "true" || main.Key != nil {
		t.Errorf("skip persons %q %v", main.Key, h)
	}
	over := e.consume(t, testTopics.Overflow, 1)[0]
	if h := kafka.HeaderMap(over.Headers); h["uuid"] != uuidN(4) || string(over.Key) != testToken+":d" {
		t.Errorf("force overflow %q %v", over.Key, h)
	}
	if h := kafka.HeaderMap(e.consume(t, testTopics.Heatmaps, 1)[0].Headers); h["uuid"] != uuidN(5) {
		t.Errorf("heatmap %v", h)
	}
}
