package limits

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoggo/capture/internal/event"
	"github.com/hoggo/capture/internal/sink"
	"github.com/hoggo/common/limiters"
	"github.com/hoggo/common/redis"
	"github.com/hoggo/common/types"
)

// newTestGlobalRate builds capture's limiter on rdb with threshold, the CSV
// overrides and a key prefix of its own; the sync floor is off so small
// thresholds sync.
func newTestGlobalRate(t *testing.T, rdb *redis.Client, threshold uint64, csv string, dryRun bool) (*GlobalRate, *limiters.GlobalRateLimiter, string) {
	t.Helper()
	cfg := limiters.DefaultGlobalRateConfig()
	cfg.Threshold = threshold
	cfg.MinSyncFloor = 0
	cfg.KeyPrefix = fmt.Sprintf("test/capture-grl/%s/%d", t.Name(), time.Now().UnixNano())
	cfg.CustomKeys = ParseThresholdOverrides(csv, nil)
	cfg.Resolver = HierarchicalThreshold
	cfg.Scope = "test"
	l, err := limiters.NewGlobalRateLimiter(rdb, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return NewGlobalRate(l, dryRun, nil), l, cfg.KeyPrefix
}

// deadRedis is a client whose server never answers: the limiter then
// judges on local counts only.
func deadRedis(t *testing.T) *redis.Client {
	t.Helper()
	c, err := redis.New(context.Background(), "redis://127.0.0.1:1/0", redis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// The cases are the reference's GlobalRateLimitKey and truncate_str tests.
func TestGlobalRateKey(t *testing.T) {
	for _, c := range []struct{ token, id, want string }{
		{"abc", "xyz", "abc:xyz"},
		{"abc", "", "abc:"},
		{"tok", "short", "tok:short"},
		{"phc_abc", strings.Repeat("d", 300), "phc_abc:" + strings.Repeat("d", 128)},
		{"t", strings.Repeat("x", 127) + "é", "t:" + strings.Repeat("x", 127) + "é"},
		{"t", strings.Repeat("x", 128) + "é", "t:" + strings.Repeat("x", 128)},
		{"t", strings.Repeat("é", 200), "t:" + strings.Repeat("é", 128)},
	} {
		if got := GlobalRateKey(c.token, c.id); got != c.want {
			t.Errorf("GlobalRateKey(%q, %d chars) = %q, want %q", c.token, len(c.id), got, c.want)
		}
	}
}

// The cases are the reference's hierarchical resolver table.
func TestHierarchicalThreshold(t *testing.T) {
	for _, c := range []struct {
		name  string
		m     map[string]uint64
		key   string
		want  uint64
		found bool
	}{
		{"token exact", map[string]uint64{"phc_tok": 10}, "phc_tok", 10, true},
		{"token covers any distinct_id", map[string]uint64{"phc_tok": 10}, "phc_tok:alice", 10, true},
		{"other token", map[string]uint64{"phc_tok": 10}, "other:alice", 0, false},
		{"other bare token", map[string]uint64{"phc_tok": 10}, "other", 0, false},
		{"distinct exact", map[string]uint64{"phc_tok:alice": 5}, "phc_tok:alice", 5, true},
		{"distinct other", map[string]uint64{"phc_tok:alice": 5}, "phc_tok:bob", 0, false},
		{"distinct bare token", map[string]uint64{"phc_tok:alice": 5}, "phc_tok", 0, false},
		{"exact wins", map[string]uint64{"phc_tok": 10, "phc_tok:vip": 100}, "phc_tok:vip", 100, true},
		{"fallback", map[string]uint64{"phc_tok": 10, "phc_tok:vip": 100}, "phc_tok:other", 10, true},
		{"not a string prefix", map[string]uint64{"phc_tok": 10}, "phc_tokEXTRA", 0, false},
		{"not a string prefix with id", map[string]uint64{"phc_tok": 10}, "phc_tokEXTRA:alice", 0, false},
		{"empty distinct_id", map[string]uint64{"phc_tok": 10}, "phc_tok:", 10, true},
		{"first colon splits", map[string]uint64{"phc_tok": 10}, "phc_tok:a:b", 10, true},
	} {
		got, found := HierarchicalThreshold(c.key, c.m)
		if got != c.want || found != c.found {
			t.Errorf("%s: HierarchicalThreshold(%q) = %d, %v; want %d, %v", c.name, c.key, got, found, c.want, c.found)
		}
	}
}

func TestParseThresholdOverrides(t *testing.T) {
	got := ParseThresholdOverrides(" phc_a = 5 ,phc_b:user=7,broken,phc_c=x,=3", nil)
	want := map[string]uint64{"phc_a": 5, "phc_b:user": 7, "": 3}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%q = %d, want %d", k, got[k], v)
		}
	}
	if len(ParseThresholdOverrides("", nil)) != 0 {
		t.Error("empty CSV parsed to entries")
	}
}

func limitedAt(g *GlobalRate, key string, max int) int {
	for i := 1; i <= max; i++ {
		if g.IsLimited(key) {
			return i
		}
	}
	return 0
}

func TestGlobalRateCustomThenGlobal(t *testing.T) {
	g, l, _ := newTestGlobalRate(t, deadRedis(t), 3, "vip=10,phc_big:user=6", false)
	// No override: the default threshold.
	if n := limitedAt(g, "phc_x:user", 20); n != 3 {
		t.Fatalf("default key limited at %d, want 3", n)
	}
	// A token-level override covers all its distinct_ids.
	if n := limitedAt(g, "vip:anyone", 20); n != 10 {
		t.Fatalf("token override limited at %d, want 10", n)
	}
	// An exact token:distinct_id override.
	if n := limitedAt(g, "phc_big:user", 20); n != 6 {
		t.Fatalf("exact override limited at %d, want 6", n)
	}
	// A custom key allowed under its own threshold is not re-judged by
	// the default one.
	g2, _, _ := newTestGlobalRate(t, deadRedis(t), 2, "roomy=100", false)
	if n := limitedAt(g2, "roomy:u", 50); n != 0 {
		t.Fatalf("custom key under its threshold limited at %d", n)
	}
	l.Close()
}

func TestGlobalRateDryRunNeverLimits(t *testing.T) {
	rdb := testRedis(t)
	g, l, prefix := newTestGlobalRate(t, rdb, 3, "", true)
	for i := range 20 {
		if g.IsLimited("phc_dry:user") {
			t.Fatalf("dry run limited at call %d", i+1)
		}
	}
	// Still counted and synced: a second, enforcing process sees it.
	l.Tick(context.Background())
	e := time.Now().Unix() / 60
	keys := []string{limiters.EpochKey(prefix, "phc_dry:user", e-1), limiters.EpochKey(prefix, "phc_dry:user", e)}
	t.Cleanup(func() { rdb.Raw().Del(context.Background(), keys...) })
	total := 0
	for _, k := range keys {
		n, _ := rdb.Raw().Get(context.Background(), k).Int()
		total += n
	}
	if total != 20 {
		t.Fatalf("dry run wrote %d, want 20", total)
	}
}

func processedEvent(token, distinctID, name string, dt event.DataType) event.Processed {
	return event.Processed{
		Event:    types.CapturedEvent{UUID: uuid.New(), DistinctID: distinctID, Token: token, Event: name},
		DataType: dt,
	}
}

func TestPoliciesApplyGlobalRate(t *testing.T) {
	g, _, _ := newTestGlobalRate(t, deadRedis(t), 2, "", false)
	p := &Policies{GlobalRate: g}
	var in []event.Processed
	for range 3 {
		in = append(in, processedEvent("phc_t", "hot", "$pageview", event.AnalyticsMain))
	}
	in = append(in,
		processedEvent("phc_t", "hot", "$$heatmap", event.HeatmapMain),
		processedEvent("phc_t", "cold", "$pageview", event.AnalyticsMain),
	)
	msgs := p.Apply(in)
	if len(msgs) != 5 {
		t.Fatalf("%d messages, want 5 (the limiter never drops)", len(msgs))
	}
	for i, want := range []struct {
		skip     bool
		overflow sink.Overflow
	}{
		{false, sink.OverflowNone},  // 1st hot: miss
		{true, sink.OverflowForced}, // 2nd hot: at the threshold
		{true, sink.OverflowForced}, // 3rd
		{true, sink.OverflowNone},   // heatmap: persons off, keeps its lane
		{false, sink.OverflowNone},  // other distinct_id
	} {
		if msgs[i].SkipPersonProcessing != want.skip || msgs[i].Overflow != want.overflow {
			t.Errorf("msg %d: skip=%v overflow=%v, want %v %v", i, msgs[i].SkipPersonProcessing, msgs[i].Overflow, want.skip, want.overflow)
		}
	}
	topic, key, disable := testTopics().Route(&msgs[1])
	if topic != "overflow" || key != nil || !disable {
		t.Errorf("limited event routed to %s key %q disable=%v", topic, key, disable)
	}
}

func testTopics() sink.Topics {
	return sink.Topics{Main: "main", Overflow: "overflow", Historical: "historical", Heatmaps: "heatmaps"}
}
