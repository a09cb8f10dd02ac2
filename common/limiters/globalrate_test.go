package limiters

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/hoggo/common/redis"
)

// The arithmetic cases are the reference's own unit-test expectations
// (global_rate_limiter.rs tests).
func TestGlobalRateEpochArithmetic(t *testing.T) {
	for _, c := range []struct {
		unix, window, want int64
	}{
		{60, 60, 1}, {90, 60, 1}, {119, 60, 1}, {120, 60, 2}, {0, 60, 0},
		{1735000080, 60, 28916668}, {30, 30, 1},
	} {
		if got := epochOf(time.Unix(c.unix, 0), time.Duration(c.window)*time.Second); got != c.want {
			t.Errorf("epochOf(%d, %ds) = %d, want %d", c.unix, c.window, got, c.want)
		}
	}
	if got := EpochKey("prefix", "mykey", 42); got != "prefix:mykey:42" {
		t.Errorf("EpochKey = %q", got)
	}
	cur, prev := EpochKeys("p", "k", time.Unix(120, 0), time.Minute)
	if cur != "p:k:2" || prev != "p:k:1" {
		t.Errorf("EpochKeys = %q, %q; want p:k:2, p:k:1", cur, prev)
	}
	// capture's layout: {prefix}:{token}:{distinct_id}:{epoch}.
	if got := EpochKey("@ph/grl/capture/tok_distid/events", "phc_x:user:1", 7); got != "@ph/grl/capture/tok_distid/events:phc_x:user:1:7" {
		t.Errorf("capture key = %q", got)
	}
}

func TestGlobalRateWeightedCount(t *testing.T) {
	for _, c := range []struct {
		prev, cur uint64
		unix      int64
		want      float64
	}{
		{100, 0, 60, 100}, {100, 0, 90, 50}, {100, 50, 90, 100},
		{0, 100, 90, 100}, {0, 0, 90, 0}, {100, 100, 60, 200},
		{100, 0, 105, 25}, // three quarters into the epoch
	} {
		if got := WeightedCount(c.prev, c.cur, time.Unix(c.unix, 0), time.Minute); math.Abs(got-c.want) > 0.01 {
			t.Errorf("WeightedCount(%d, %d, t=%d) = %v, want %v", c.prev, c.cur, c.unix, got, c.want)
		}
	}
}

func TestGlobalRateLevelDecay(t *testing.T) {
	base := time.Unix(1000, 0)
	for _, c := range []struct {
		est     float64
		elapsed float64
		pending uint64
		synced  bool
		want    float64
	}{
		{100, 0, 0, true, 100}, {100, 10, 0, true, 0}, {100, 5, 0, true, 50},
		{100, 0, 50, true, 150}, {100, 5, 30, true, 80}, {10, 20, 0, true, 0},
		{10, 20, 5, true, 5},
		// Never synced: the level is the local count alone.
		{100, 10, 7, false, 7}, {0, 0, 0, false, 0},
	} {
		e := &grlEntry{estimated: c.est, pending: c.pending}
		if c.synced {
			e.syncedAt = base
		}
		now := base.Add(time.Duration(c.elapsed * float64(time.Second)))
		if got := level(e, 10, now); math.Abs(got-c.want) > 0.01 {
			t.Errorf("level(est=%v, elapsed=%vs, pending=%d, synced=%v) = %v, want %v", c.est, c.elapsed, c.pending, c.synced, got, c.want)
		}
	}
}

func TestGlobalRatePressureTiers(t *testing.T) {
	for _, c := range []struct {
		p    float64
		tier int
		sync time.Duration
	}{
		{0, tierIdle, 60 * time.Second}, {0.09, tierIdle, 60 * time.Second},
		{0.1, tierLow, 60 * time.Second}, {0.49, tierLow, 60 * time.Second},
		{0.5, tierNormal, 15 * time.Second}, {0.79, tierNormal, 15 * time.Second},
		{0.8, tierHot, 7500 * time.Millisecond}, {1.5, tierHot, 7500 * time.Millisecond},
	} {
		if got := pressureTier(c.p); got != c.tier {
			t.Errorf("pressureTier(%v) = %s, want %s", c.p, tierLabels[got], tierLabels[c.tier])
		}
		if got := tierSyncInterval(c.p, 15*time.Second); got != c.sync {
			t.Errorf("tierSyncInterval(%v) = %s, want %s", c.p, got, c.sync)
		}
	}
}

func TestGlobalRateDefaults(t *testing.T) {
	c := DefaultGlobalRateConfig()
	if c.Threshold != 1_000_000 || c.Window != time.Minute || c.SyncInterval != 15*time.Second ||
		c.TickInterval != time.Second || c.KeyPrefix != "@posthog/global_rate_limiter" ||
		c.GlobalCacheTTL != 2*time.Minute || c.LocalCacheTTL != 600*time.Second ||
		c.LocalCacheIdleTimeout != 300*time.Second || c.ReadTimeout != 250*time.Millisecond ||
		c.WriteTimeout != 250*time.Millisecond || c.LocalCacheMaxEntries != 300_000 ||
		c.MinSyncFloor != 10 || c.MaxSyncKeysPerTick != 20_000 || c.MaxKeysPerCommand != 2_000 ||
		c.MaxConcurrentCommands != 4 || c.MaxWriteBatchEntries != 200_000 ||
		c.MaxPendingSyncEntries != 200_000 || c.CustomKeyRefresh != time.Minute || c.Scope != "default" {
		t.Errorf("defaults differ from the reference: %+v", c)
	}
}

func TestGlobalRateSyncFloorCappedAtOnePercent(t *testing.T) {
	l := newTestGRL(t, nil, func(c *GlobalRateConfig) { c.MinSyncFloor = 10 })
	// Threshold 1000: floor 10 applies.
	if !l.floorBlocks(9, 1000) || l.floorBlocks(10, 1000) {
		t.Error("floor 10 not applied at threshold 1000")
	}
	// Threshold 300: 1 % is 3.
	if !l.floorBlocks(2, 300) || l.floorBlocks(3, 300) {
		t.Error("floor not capped to 1% of threshold 300")
	}
	// Threshold 5: at least 1.
	if !l.floorBlocks(0, 5) || l.floorBlocks(1, 5) {
		t.Error("floor not at least 1")
	}
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newClock starts one second into the next one-minute epoch, so Redis
// expiry deadlines (computed from it) lie in the future.
func newClock() *clock {
	next := (time.Now().Unix()/60 + 1) * 60
	return &clock{t: time.Unix(next+1, 0)}
}

// newTestGRL builds a limiter on rdb (an unused lazy client when nil) with a
// unique key prefix, threshold 10 and no sync floor.
func newTestGRL(t *testing.T, rdb *redis.Client, tweak func(*GlobalRateConfig)) *GlobalRateLimiter {
	t.Helper()
	if rdb == nil {
		var err error
		if rdb, err = redis.New(context.Background(), "redis://127.0.0.1:1/0", redis.Options{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rdb.Close() })
	}
	cfg := DefaultGlobalRateConfig()
	cfg.Threshold = 10
	cfg.MinSyncFloor = 0
	cfg.KeyPrefix = fmt.Sprintf("test/grl/%s/%d", t.Name(), time.Now().UnixNano())
	cfg.Scope = "test"
	if tweak != nil {
		tweak(&cfg)
	}
	l, err := NewGlobalRateLimiter(rdb, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// checkUntilLimited calls CheckLimit up to max times and returns the
// 1-based call that was limited, or 0.
func checkUntilLimited(l *GlobalRateLimiter, key string, max int) int {
	for i := 1; i <= max; i++ {
		if l.CheckLimit(key, 1, time.Time{}).Limited() {
			return i
		}
	}
	return 0
}

func TestGlobalRateLimitedAtThresholdAndSharedAcrossProcesses(t *testing.T) {
	rdb := testRedis(t)
	clk := newClock()
	a := newTestGRL(t, rdb, func(c *GlobalRateConfig) { c.Now = clk.Now })
	ctx := context.Background()

	// The first event of a key is a cache miss; the tenth reaches 10.
	if n := checkUntilLimited(a, "tok:user", 20); n != 10 {
		t.Fatalf("limited at call %d, want 10", n)
	}
	r := a.CheckLimit("tok:user", 1, time.Time{})
	if !r.Limited() || r.Key != "tok:user" || r.Threshold != 10 || r.Count < 10 ||
		r.Window != time.Minute || r.SyncInterval != 15*time.Second || r.Custom {
		t.Fatalf("result %+v", r)
	}
	a.Tick(ctx)

	epoch := clk.Now().Unix() / 60
	key := EpochKey(a.cfg.KeyPrefix, "tok:user", epoch)
	t.Cleanup(func() { rdb.Raw().Del(context.Background(), key) })
	got, err := rdb.Raw().Get(ctx, key).Int()
	if err != nil || got != 11 {
		t.Fatalf("Redis %s = %d (%v), want 11", key, got, err)
	}
	ttl, err := rdb.Raw().TTL(ctx, key).Result()
	if err != nil || ttl <= 60*time.Second || ttl > 4*time.Minute+2*time.Second {
		t.Fatalf("TTL of %s = %s (%v), want it to die 1-2 windows after its epoch", key, ttl, err)
	}
	// After the read A still limits, from the fleet count.
	if !a.CheckLimit("tok:user", 1, time.Time{}).Limited() {
		t.Fatal("not limited after sync")
	}

	// Another process sharing the prefix learns the count on its first sync.
	b := newTestGRL(t, rdb, func(c *GlobalRateConfig) { c.Now = clk.Now; c.KeyPrefix = a.cfg.KeyPrefix })
	if b.CheckLimit("tok:user", 1, time.Time{}).Limited() {
		t.Fatal("B limited before any sync (a cache miss is allowed)")
	}
	b.Tick(ctx)
	if !b.CheckLimit("tok:user", 1, time.Time{}).Limited() {
		t.Fatal("B not limited after reading A's counts")
	}
	// Other keys are untouched.
	if a.CheckLimit("tok:other", 1, time.Time{}).Limited() {
		t.Fatal("unrelated key limited")
	}
}

func TestGlobalRateWindowSlides(t *testing.T) {
	rdb := testRedis(t)
	clk := newClock()
	ctx := context.Background()
	a := newTestGRL(t, rdb, func(c *GlobalRateConfig) { c.Now = clk.Now })
	t.Cleanup(func() {
		e := clk.Now().Unix() / 60
		for i := int64(-3); i <= 0; i++ {
			rdb.Raw().Del(context.Background(), EpochKey(a.cfg.KeyPrefix, "k", e+i))
		}
	})
	for range 10 {
		a.CheckLimit("k", 1, time.Time{})
	}
	a.Tick(ctx) // 10 in the current epoch

	// Half-way through the next epoch the previous one weighs 1/2: a fresh
	// process reads 5 and has room for 4 more events.
	clk.Add(59*time.Second + 30*time.Second)
	b := newTestGRL(t, rdb, func(c *GlobalRateConfig) { c.Now = clk.Now; c.KeyPrefix = a.cfg.KeyPrefix })
	b.CheckLimit("k", 1, time.Time{}) // miss
	b.Tick(ctx)                       // writes 1, reads 5 + 1
	if n := checkUntilLimited(b, "k", 10); n != 4 {
		t.Fatalf("half a window later limited at call %d, want 4 (6 read + 4)", n)
	}

	// Two epochs later nothing of it is read any more.
	clk.Add(2 * time.Minute)
	c := newTestGRL(t, rdb, func(c *GlobalRateConfig) { c.Now = clk.Now; c.KeyPrefix = a.cfg.KeyPrefix })
	c.CheckLimit("k", 1, time.Time{})
	c.Tick(ctx)
	if n := checkUntilLimited(c, "k", 20); n != 9 {
		t.Fatalf("two windows later limited at call %d, want 9 (1 read + 9)", n)
	}

}

func TestGlobalRateLocalEstimateDrainsBetweenReads(t *testing.T) {
	clk := newClock()
	l := newTestGRL(t, nil, func(c *GlobalRateConfig) { c.Now = clk.Now })
	// The fleet last reported exactly the threshold.
	l.mu.Lock()
	l.entries["k"] = &grlEntry{estimated: 10, syncedAt: clk.Now(), pressure: 1, touched: clk.Now()}
	l.mu.Unlock()
	if !l.CheckLimit("k", 1, time.Time{}).Limited() {
		t.Fatal("not limited at the threshold")
	}
	// Half a window later half of it has drained (10/60 per second): 5 + 2.
	clk.Add(30 * time.Second)
	r := l.CheckLimit("k", 1, time.Time{})
	if r.Limited() {
		t.Fatal("still limited after draining half the window")
	}
	l.mu.Lock()
	got := level(l.entries["k"], l.leakRate(10), clk.Now())
	l.mu.Unlock()
	if math.Abs(got-7) > 0.01 {
		t.Fatalf("level %v, want 7", got)
	}
}

func TestGlobalRateCustomThresholds(t *testing.T) {
	rdb := testRedis(t)
	clk := newClock()
	ctx := context.Background()
	l := newTestGRL(t, rdb, func(c *GlobalRateConfig) {
		c.Now = clk.Now
		c.Threshold = 1000
		c.CustomKeys = map[string]uint64{"vip": 3}
	})
	t.Cleanup(func() {
		rdb.Raw().Del(context.Background(), EpochKey(l.cfg.KeyPrefix, "vip", clk.Now().Unix()/60))
	})
	if !l.IsCustomKey("vip") || l.IsCustomKey("other") {
		t.Fatal("IsCustomKey wrong")
	}
	if r := l.CheckCustomLimit("other", 1, time.Time{}); r.Verdict != GlobalRateNotApplicable {
		t.Fatalf("other: %s, want not_applicable", r.Verdict)
	}
	var r GlobalRateResult
	n := 0
	for n = 1; n <= 10; n++ {
		if r = l.CheckCustomLimit("vip", 1, time.Time{}); r.Limited() {
			break
		}
	}
	if n != 3 || r.Threshold != 3 || !r.Custom {
		t.Fatalf("vip limited at call %d with %+v, want call 3 at threshold 3", n, r)
	}
	// The global threshold does not limit at 3.
	if checkUntilLimited(l, "plain", 5) != 0 {
		t.Fatal("plain key limited under the global threshold")
	}
	l.Tick(ctx)
	// NotApplicable counted nothing.
	if n, _ := rdb.Raw().Exists(ctx, EpochKey(l.cfg.KeyPrefix, "other", clk.Now().Unix()/60)).Result(); n != 0 {
		t.Fatal("a not-applicable check was counted")
	}
	// Replacing the thresholds takes effect at once.
	l.ReplaceCustomKeys(map[string]uint64{"vip": 100})
	if l.CheckCustomLimit("vip", 1, time.Time{}).Limited() {
		t.Fatal("still limited after raising the custom threshold")
	}
}

type staticSource struct {
	m     map[string]uint64
	found bool
	err   error
}

func (s staticSource) FetchCustomKeys(context.Context) (map[string]uint64, bool, error) {
	return s.m, s.found, s.err
}

func TestGlobalRateCustomKeySourceRefresh(t *testing.T) {
	for _, c := range []struct {
		name string
		src  staticSource
		want bool // seed key still custom
	}{
		{"replaces", staticSource{m: map[string]uint64{"dyn": 5}, found: true}, false},
		{"absent keeps", staticSource{}, true},
		{"error keeps", staticSource{err: fmt.Errorf("boom")}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := newTestGRL(t, nil, func(cfg *GlobalRateConfig) {
				cfg.CustomKeys = map[string]uint64{"seed": 1}
				cfg.CustomKeySource = c.src
			})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { l.refreshCustomKeys(ctx); close(done) }()
			deadline := time.Now().Add(2 * time.Second)
			for c.src.found && !l.IsCustomKey("dyn") && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(20 * time.Millisecond)
			cancel()
			<-done
			if got := l.IsCustomKey("seed"); got != c.want {
				t.Fatalf("seed custom = %v, want %v", got, c.want)
			}
		})
	}
}

func TestGlobalRateFailsOpenWhenRedisIsDown(t *testing.T) {
	clk := newClock()
	l := newTestGRL(t, nil, func(c *GlobalRateConfig) {
		c.Now = clk.Now
		c.Threshold = 5
		c.MaxReadOutage = time.Second
	})
	start := time.Now()
	l.CheckLimit("k", 1, time.Time{})
	l.Tick(context.Background()) // write and read fail: the outage starts
	clk.Add(2 * time.Second)
	for i := range 50 {
		if l.CheckLimit("k", 1, time.Time{}).Limited() {
			t.Fatalf("limited at call %d on unconfirmed local counts while Redis is down", i+1)
		}
	}
	l.Tick(context.Background())
	l.Close()
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("checks and ticks against a dead Redis took %s", d)
	}
}

func TestGlobalRateOutageStillLimitsKnownHotKeys(t *testing.T) {
	clk := newClock()
	l := newTestGRL(t, nil, func(c *GlobalRateConfig) { c.Now = clk.Now; c.MaxReadOutage = time.Second })
	// The fleet last reported 20 (twice the threshold).
	l.mu.Lock()
	l.entries["hot"] = &grlEntry{estimated: 20, syncedAt: clk.Now(), pressure: 2, touched: clk.Now()}
	l.mu.Unlock()
	l.Tick(context.Background()) // nothing queued: no read, no outage
	l.CheckLimit("cold", 1, time.Time{})
	l.Tick(context.Background()) // the read of "cold" fails
	clk.Add(2 * time.Second)
	if !l.CheckLimit("hot", 1, time.Time{}).Limited() {
		t.Fatal("a key the fleet reported over its limit stopped being limited during the outage")
	}
}

func TestGlobalRateCloseFlushes(t *testing.T) {
	rdb := testRedis(t)
	clk := newClock()
	l := newTestGRL(t, rdb, func(c *GlobalRateConfig) { c.Now = clk.Now })
	key := EpochKey(l.cfg.KeyPrefix, "k", clk.Now().Unix()/60)
	t.Cleanup(func() { rdb.Raw().Del(context.Background(), key) })
	for range 3 {
		l.CheckLimit("k", 2, time.Time{})
	}
	l.Close()
	if got, err := rdb.Raw().Get(context.Background(), key).Int(); err != nil || got != 6 {
		t.Fatalf("after Close %s = %d (%v), want 6", key, got, err)
	}
	// After Close nothing more is counted.
	l.CheckLimit("k", 1, time.Time{})
	l.Tick(context.Background())
	if got, _ := rdb.Raw().Get(context.Background(), key).Int(); got != 6 {
		t.Fatalf("counted after Close: %d", got)
	}
}

func TestGlobalRateRunSyncsAndFlushesOnStop(t *testing.T) {
	rdb := testRedis(t)
	l := newTestGRL(t, rdb, func(c *GlobalRateConfig) { c.TickInterval = 20 * time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	for range 4 {
		l.CheckLimit("run", 1, time.Time{})
	}
	now := time.Now()
	key := EpochKey(l.cfg.KeyPrefix, "run", now.Unix()/60)
	t.Cleanup(func() {
		rdb.Raw().Del(context.Background(), key, EpochKey(l.cfg.KeyPrefix, "run", now.Unix()/60+1))
	})
	deadline := time.Now().Add(2 * time.Second)
	for {
		n, _ := rdb.Raw().Get(context.Background(), key).Int()
		n2, _ := rdb.Raw().Get(context.Background(), EpochKey(l.cfg.KeyPrefix, "run", now.Unix()/60+1)).Int()
		if n+n2 == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Run did not write the counts: %d", n+n2)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestNewGlobalRateLimiterRejectsZeroWindow(t *testing.T) {
	rdb, _ := redis.New(context.Background(), "redis://127.0.0.1:1/0", redis.Options{})
	defer rdb.Close()
	cfg := DefaultGlobalRateConfig()
	cfg.Window = 0
	if _, err := NewGlobalRateLimiter(rdb, cfg); err == nil {
		t.Fatal("zero window accepted")
	}
}

func TestParseCustomThresholds(t *testing.T) {
	m, err := ParseCustomThresholds([]byte(`{"phc_abc": 1000, "phc_abc:noisy": 50}`))
	if err != nil || len(m) != 2 || m["phc_abc"] != 1000 || m["phc_abc:noisy"] != 50 {
		t.Fatalf("got %v, %v", m, err)
	}
	if m, err := ParseCustomThresholds([]byte(`{}`)); err != nil || len(m) != 0 {
		t.Fatalf("empty object: %v, %v", m, err)
	}
	for _, bad := range []string{`not json`, `{"k": "abc"}`, `{"k": -1}`, `null`, `[1]`} {
		if _, err := ParseCustomThresholds([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestRedisCustomKeySource(t *testing.T) {
	rdb := testRedis(t)
	ctx := context.Background()
	key := fmt.Sprintf("test/grl/thresholds/%d", time.Now().UnixNano())
	src := RedisCustomKeySource{Client: rdb, Key: key}
	if m, found, err := src.FetchCustomKeys(ctx); err != nil || found || m != nil {
		t.Fatalf("absent key: %v %v %v", m, found, err)
	}
	rdb.Raw().Set(ctx, key, `{"phc_tok": 7}`, time.Minute)
	t.Cleanup(func() { rdb.Raw().Del(context.Background(), key) })
	if m, found, err := src.FetchCustomKeys(ctx); err != nil || !found || m["phc_tok"] != 7 {
		t.Fatalf("set key: %v %v %v", m, found, err)
	}
	rdb.Raw().Set(ctx, key, `garbage`, time.Minute)
	if _, _, err := src.FetchCustomKeys(ctx); err == nil {
		t.Fatal("garbage accepted")
	}
}

func TestGlobalRateReaderFallsBackToPrimary(t *testing.T) {
	rdb := testRedis(t)
	dead, err := redis.New(context.Background(), "redis://127.0.0.1:1/0", redis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	clk := newClock()
	l := newTestGRL(t, rdb, func(c *GlobalRateConfig) { c.Now = clk.Now; c.Reader = dead })
	t.Cleanup(func() { rdb.Raw().Del(context.Background(), EpochKey(l.cfg.KeyPrefix, "k", clk.Now().Unix()/60)) })
	for range 10 {
		l.CheckLimit("k", 1, time.Time{})
	}
	l.Tick(context.Background())
	b := newTestGRL(t, rdb, func(c *GlobalRateConfig) { c.Now = clk.Now; c.KeyPrefix = l.cfg.KeyPrefix; c.Reader = dead })
	b.CheckLimit("k", 1, time.Time{})
	b.Tick(context.Background())
	if !b.CheckLimit("k", 1, time.Time{}).Limited() {
		t.Fatal("a dead replica hid the primary's counts")
	}
}

// BenchmarkGlobalRateCheck is the request-path cost: one check of a key
// among 10 000 hot ones (no Redis I/O on this path).
func BenchmarkGlobalRateCheck(b *testing.B) {
	rdb, _ := redis.New(context.Background(), "redis://127.0.0.1:1/0", redis.Options{})
	defer rdb.Close()
	cfg := DefaultGlobalRateConfig()
	cfg.Scope = "bench"
	l, err := NewGlobalRateLimiter(rdb, cfg)
	if err != nil {
		b.Fatal(err)
	}
	keys := make([]string, 10_000)
	for i := range keys {
		keys[i] = fmt.Sprintf("phc_token:user-%d", i)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			l.CheckLimit(keys[i%len(keys)], 1, time.Time{})
			i++
		}
	})
}
