package limiters

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	goredis "github.com/redis/go-redis/v9"

	"github.com/hoggo/common/redis"
	"github.com/hoggo/common/redis/redistest"
)

// testRedis returns a client on a Redis database of its own (index 11), so
// the unprefixed @posthog/... keys of these tests do not meet other packages'.
func testRedis(t *testing.T) *redis.Client {
	t.Helper()
	return redistest.New(t, testRedisURL(t), redis.Options{Timeout: time.Second})
}

func testRedisURL(t *testing.T) string { return redistest.URL(t, 11) }

// limit adds members to the sorted set at key with a score in the future,
// and removes the key at cleanup.
func limit(t *testing.T, c *redis.Client, key string, members ...string) {
	t.Helper()
	ctx := context.Background()
	until := float64(time.Now().Add(time.Hour).Unix())
	for _, m := range members {
		if err := c.Raw().ZAdd(ctx, key, goredisZ(until, m)).Err(); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { c.Raw().Del(context.Background(), key) })
}

func refresh(t *testing.T, l *RedisLimiter) {
	t.Helper()
	if err := l.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestKeys(t *testing.T) {
	if got := QuotaKey("", ResourceEvents); got != "@posthog/quota-limits/events" {
		t.Error(got)
	}
	if got := QuotaKey("prefix//", ResourceFeatureFlagRequests); got != "prefix//@posthog/quota-limits/feature_flag_requests" {
		t.Error(got)
	}
	if got := OverflowKey("", ResourceReplay); got != "@posthog/capture-overflow/replay" {
		t.Error(got)
	}
}

func TestOverflowSetLimitsBanana(t *testing.T) {
	c := testRedis(t)
	limit(t, c, "@posthog/capture-overflow/replay", "banana")
	l := NewOverflowSetLimiter(c, ResourceReplay, "", time.Second, WithRegisterer(nil))
	refresh(t, l)
	if !l.IsLimited("banana") || l.IsLimited("not_limited") {
		t.Fatalf("banana %v not_limited %v", l.IsLimited("banana"), l.IsLimited("not_limited"))
	}
}

func TestQuotaKeyPrefix(t *testing.T) {
	c := testRedis(t)
	limit(t, c, "prefix//@posthog/quota-limits/events", "banana")
	c.Raw().Del(context.Background(), "@posthog/quota-limits/events")

	unprefixed := NewQuotaLimiter(c, ResourceEvents, "", time.Second, WithRegisterer(nil))
	prefixed := NewQuotaLimiter(c, ResourceEvents, "prefix//", time.Second, WithRegisterer(nil))
	refresh(t, unprefixed)
	refresh(t, prefixed)
	if unprefixed.IsLimited("banana") || unprefixed.Len() != 0 {
		t.Error("unprefixed limiter sees the prefixed set")
	}
	if !prefixed.IsLimited("banana") || prefixed.IsLimited("not_limited") {
		t.Error("prefixed limiter does not limit banana")
	}
}

func TestFeatureFlagQuota(t *testing.T) {
	c := testRedis(t)
	limit(t, c, "@posthog/quota-limits/feature_flag_requests", "phc_limited")
	l := NewQuotaLimiter(c, ResourceFeatureFlagRequests, "", time.Second, WithRegisterer(nil))
	if l.Key() != "@posthog/quota-limits/feature_flag_requests" {
		t.Fatal(l.Key())
	}
	refresh(t, l)
	if !l.IsLimited("phc_limited") || l.IsLimited("phc_ok") {
		t.Fatal("feature flag quota not applied")
	}
}

func TestExpiredEntriesAreNotLimited(t *testing.T) {
	c := testRedis(t)
	key := "@posthog/quota-limits/exceptions"
	limit(t, c, key, "current")
	past := float64(time.Now().Add(-time.Minute).Unix())
	c.Raw().ZAdd(context.Background(), key, goredisZ(past, "expired"))
	l := NewQuotaLimiter(c, ResourceExceptions, "", time.Second, WithRegisterer(nil))
	refresh(t, l)
	if !l.IsLimited("current") || l.IsLimited("expired") || l.Len() != 1 {
		t.Fatalf("current %v expired %v len %d", l.IsLimited("current"), l.IsLimited("expired"), l.Len())
	}
}

func TestRunRefreshesAndFailsOpen(t *testing.T) {
	c := testRedis(t)
	prefix := fmt.Sprintf("run-%d//", time.Now().UnixNano())
	key := QuotaKey(prefix, ResourceRecordings)
	limit(t, c, key, "first")

	// A client of its own, so closing it simulates Redis going away.
	own, err := redis.New(context.Background(), testRedisURL(t), redis.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	l := NewQuotaLimiter(own, ResourceRecordings, prefix, 20*time.Millisecond, WithService("capture"), WithRegisterer(reg))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()

	waitFor(t, "first refresh", func() bool { return l.IsLimited("first") })
	limit(t, c, key, "second")
	waitFor(t, "periodic refresh", func() bool { return l.IsLimited("second") })
	gauge := testutil.ToFloat64(mustGauge(t, reg, "capture_billing_limits_loaded_tokens", key))
	if gauge != 2 {
		t.Fatalf("gauge = %v, want 2", gauge)
	}

	own.Close()
	if err := l.Refresh(context.Background()); err == nil {
		t.Fatal("refresh on a closed client succeeded")
	}
	if !l.IsLimited("first") || !l.IsLimited("second") {
		t.Fatal("failed refresh dropped the previous set (must fail open keeping it)")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v", err)
	}
}

func TestEmptyAtStartupLimitsNothing(t *testing.T) {
	c := testRedis(t)
	l := NewQuotaLimiter(c, ResourceEvents, "never-refreshed//", time.Second, WithRegisterer(nil))
	if l.IsLimited("anything") || l.Len() != 0 {
		t.Fatal("limiter limits before its first refresh")
	}
}

func TestGaugeSharedAcrossLimiters(t *testing.T) {
	c := testRedis(t)
	reg := prometheus.NewRegistry()
	a := NewQuotaLimiter(c, ResourceEvents, "g1//", time.Second, WithService("svc"), WithRegisterer(reg))
	b := NewQuotaLimiter(c, ResourceSurveys, "g1//", time.Second, WithService("svc"), WithRegisterer(reg))
	limit(t, c, b.Key(), "x", "y")
	refresh(t, a)
	refresh(t, b)
	if v := testutil.ToFloat64(mustGauge(t, reg, "svc_billing_limits_loaded_tokens", b.Key())); v != 2 {
		t.Fatalf("surveys gauge = %v", v)
	}
	if v := testutil.ToFloat64(mustGauge(t, reg, "svc_billing_limits_loaded_tokens", a.Key())); v != 0 {
		t.Fatalf("events gauge = %v", v)
	}
}

func mustGauge(t *testing.T, reg *prometheus.Registry, name, cacheKey string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "cache_key" && lp.GetValue() == cacheKey {
					return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "copy"}, func() float64 { return m.GetGauge().GetValue() })
				}
			}
		}
	}
	t.Fatalf("metric %s{cache_key=%q} not registered", name, cacheKey)
	return nil
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestOverflowLimiterLowLimits(t *testing.T) {
	l := NewOverflowLimiter(1, 1, "", WithRegisterer(nil))
	if d := l.Check("tok:id"); d != NotLimited {
		t.Fatalf("first = %v", d)
	}
	if d := l.Check("tok:id"); d != RateLimited {
		t.Fatalf("second = %v", d)
	}
	if d := l.Check("tok:other"); d != NotLimited {
		t.Fatalf("other key = %v", d)
	}
}

func TestOverflowLimiterBurst(t *testing.T) {
	l := NewOverflowLimiter(1, 3, "", WithRegisterer(nil))
	for i := range 3 {
		if l.IsLimited("k") {
			t.Fatalf("event %d limited within burst", i+1)
		}
	}
	if !l.IsLimited("k") {
		t.Fatal("4th event not limited")
	}
}

func TestOverflowLimiterForcedKeys(t *testing.T) {
	l := NewOverflowLimiter(10, 10, "one,three", WithRegisterer(nil))
	for key, want := range map[string]OverflowDecision{"one": ForceLimited, "two": NotLimited, "three": ForceLimited} {
		if got := l.Check(key); got != want {
			t.Errorf("Check(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestOverflowLimiterTokenOnlyForced(t *testing.T) {
	l := NewOverflowLimiter(10, 10, "phc_token,other:user", WithRegisterer(nil))
	cases := map[string]OverflowDecision{
		"phc_token:user-1": ForceLimited,
		"phc_token":        ForceLimited,
		":phc_token":       ForceLimited, // first non-empty component
		"other:user":       ForceLimited,
		"other:user2":      NotLimited,
		"x:phc_token":      NotLimited,
	}
	for key, want := range cases {
		if got := l.Check(key); got != want {
			t.Errorf("Check(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestOverflowLimiterEmptyCSVEntries(t *testing.T) {
	l := NewOverflowLimiter(10, 10, ", ,one,, two ,", WithRegisterer(nil))
	if len(l.forced) != 2 || !l.IsForced("one") || !l.IsForced("two") || l.IsForced("") {
		t.Fatalf("forced = %v", l.forced)
	}
}

func TestOverflowLimiterEmptyKeyNeverLimited(t *testing.T) {
	l := NewOverflowLimiter(1, 1, ",", WithRegisterer(nil))
	for range 5 {
		if d := l.Check(""); d != NotLimited {
			t.Fatalf("empty key = %v", d)
		}
	}
	if l.Len() != 0 {
		t.Fatal("empty key got rate state")
	}
}

func TestOverflowLimiterCleanup(t *testing.T) {
	l := NewOverflowLimiter(1000, 1, "", WithRegisterer(nil))
	l.Check("a")
	l.Check("b")
	if l.Len() != 2 {
		t.Fatalf("len = %d", l.Len())
	}
	waitFor(t, "buckets to refill", func() bool { l.Cleanup(); return l.Len() == 0 })
	if l.Check("a") != NotLimited {
		t.Fatal("forgotten key starts limited")
	}
	slow := NewOverflowLimiter(1, 1, "", WithRegisterer(nil))
	slow.Check("x")
	slow.Cleanup()
	if slow.Len() != 1 {
		t.Fatal("cleanup dropped a key whose bucket is still empty")
	}
}

func TestDecisionStrings(t *testing.T) {
	got := strings.Join([]string{NotLimited.String(), ForceLimited.String(), RateLimited.String()}, ",")
	if got != "not_limited,force_limited,rate_limited" {
		t.Fatal(got)
	}
}

func TestTokenDropper(t *testing.T) {
	cases := []struct {
		name   string
		config string
		drop   [][2]string
		keep   [][2]string
	}{
		{"empty config", "", nil, [][2]string{{"tok", "id"}, {"", ""}}},
		{"single", "tok:id", [][2]string{{"tok", "id"}}, [][2]string{{"tok", "other"}, {"other", "id"}}},
		{"multiple ids", "tok:id1,tok:id2", [][2]string{{"tok", "id1"}, {"tok", "id2"}}, [][2]string{{"tok", "id3"}}},
		{"token only", "tok", [][2]string{{"tok", "id"}, {"tok", "anything"}, {"tok", ""}}, [][2]string{{"other", "id"}}},
		{"mixed", "tok1, tok2:id ,,tok3:a:b", [][2]string{{"tok1", "x"}, {"tok2", "id"}, {"tok3", "a:b"}},
			[][2]string{{"tok2", "x"}, {"tok3", "a"}, {"id", "tok2"}}},
	}
	for _, c := range cases {
		d := NewTokenDropper(c.config)
		for _, p := range c.drop {
			if !d.ShouldDrop(p[0], p[1]) {
				t.Errorf("%s: (%q, %q) not dropped", c.name, p[0], p[1])
			}
		}
		for _, p := range c.keep {
			if d.ShouldDrop(p[0], p[1]) {
				t.Errorf("%s: (%q, %q) dropped", c.name, p[0], p[1])
			}
		}
	}
}

func BenchmarkQuotaIsLimited(b *testing.B) {
	l := &RedisLimiter{}
	set := map[string]struct{}{}
	for i := range 10000 {
		set[fmt.Sprintf("phc_%d", i)] = struct{}{}
	}
	l.set.Store(&set)
	b.ReportAllocs()
	for b.Loop() {
		l.IsLimited("phc_5000")
	}
}

func BenchmarkOverflowCheck(b *testing.B) {
	l := NewOverflowLimiter(100, 1000, "forced", WithRegisterer(nil))
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = fmt.Sprintf("phc_token:user-%d", i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		l.Check(keys[i%len(keys)])
		i++
	}
}

func goredisZ(score float64, member string) goredis.Z { return goredis.Z{Score: score, Member: member} }
