package limits

import (
	"context"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hoggo/capture/internal/payload"
	"github.com/hoggo/common/limiters"
	"github.com/hoggo/common/redis"
	"github.com/hoggo/common/redis/redistest"
)

type fakeSet map[string]bool

func (f fakeSet) IsLimited(m string) bool { return f[m] }

func events(t *testing.T, js string) []payload.RawEvent {
	t.Helper()
	b, err := payload.ParseBody([]byte(js), "/e")
	if err != nil {
		t.Fatal(err)
	}
	return b.Events
}

func names(evs []payload.RawEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Event)
	}
	return out
}

func TestQuotaScopedAndGlobal(t *testing.T) {
	js := `[{"event":"$pageview"},{"event":"$exception"},{"event":"survey sent"},
		{"event":"survey shown","properties":{"$product_tour_id":"x"}},{"event":"$ai_generation"}]`
	q := &Quota{Resource: "events", Global: fakeSet{"g": true},
		Scoped: ScopedDefaults(fakeSet{"e": true}, fakeSet{"s": true}, fakeSet{"l": true})}
	cases := map[string][]string{
		"ok": {"$pageview", "$exception", "survey sent", "survey shown", "$ai_generation"},
		"e":  {"$pageview", "survey sent", "survey shown", "$ai_generation"},
		"s":  {"$pageview", "$exception", "survey shown", "$ai_generation"}, // product tours are not surveys
		"l":  {"$pageview", "$exception", "survey sent", "survey shown"},
		"g":  {"$exception", "survey sent", "$ai_generation"}, // scoped, non-limited quotas claim their events
	}
	for tok, want := range cases {
		got := names(q.CheckAndFilter(tok, events(t, js)))
		if len(got) != len(want) {
			t.Errorf("%s: got %v, want %v", tok, got, want)
			continue
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s: got %v, want %v", tok, got, want)
			}
		}
	}
	var nilQuota *Quota
	if got := nilQuota.CheckAndFilter("x", events(t, js)); len(got) != 5 {
		t.Errorf("nil quota filtered: %v", names(got))
	}
}

func TestRestrictionMatching(t *testing.T) {
	entries, err := ParseRestrictions([]byte(`[
		{"version":2,"token":"t1","pipelines":["analytics"]},
		{"version":2,"token":"t2","pipelines":["analytics","session_recordings"],"distinct_ids":["a","b"],"event_names":["$pageview"]},
		{"token":"t3"}]`))
	if err != nil {
		t.Fatal(err)
	}
	all, filtered, old := entries[0], entries[1], entries[2]
	if !all.Matches(PipelineAnalytics, Subject{}) || all.Matches(PipelineRecordings, Subject{}) {
		t.Error("pipeline scoping")
	}
	if !old.Matches(PipelineRecordings, Subject{DistinctID: "x"}) {
		t.Error("entry without pipelines or filters should match everything")
	}
	cases := []struct {
		s    Subject
		want bool
	}{
		{Subject{DistinctID: "a", EventName: "$pageview"}, true},
		{Subject{DistinctID: "b", EventName: "$pageview"}, true},  // OR within a kind
		{Subject{DistinctID: "c", EventName: "$pageview"}, false}, // AND across kinds
		{Subject{DistinctID: "a", EventName: "$identify"}, false},
		{Subject{EventName: "$pageview"}, false}, // set filter, no value
	}
	for _, c := range cases {
		if got := filtered.Matches(PipelineAnalytics, c.s); got != c.want {
			t.Errorf("%+v: %v", c.s, got)
		}
	}
	if _, err := ParseRestrictions([]byte(`{"not":"an array"}`)); err == nil {
		t.Error("object accepted")
	}
}

// testRedis connects to REDIS_URL (default local); it fails under CI=true
// when Redis is down and skips otherwise.
func testRedis(t *testing.T) *redis.Client {
	return redistest.New(t, redistest.URL(t, -1), redis.Options{Timeout: time.Second})
}

func TestRestrictionsFromRedis(t *testing.T) {
	rdb := testRedis(t)
	ctx := context.Background()
	raw := rdb.Raw()
	keys := []string{}
	for _, typ := range restrictionTypes {
		keys = append(keys, RestrictionKeyPrefix+typ)
	}
	raw.Del(ctx, keys...)
	t.Cleanup(func() { raw.Del(context.Background(), keys...) })
	raw.Set(ctx, RestrictionKeyPrefix+RestrictionDrop, `[{"version":2,"token":"tok","pipelines":["analytics"],"event_names":["drop me"]}]`, 0)
	raw.Set(ctx, RestrictionKeyPrefix+RestrictionSkipPersons, `[{"version":2,"token":"tok","pipelines":["analytics"]}]`, 0)

	now := time.Now()
	r := NewRestrictions(rdb, time.Minute, 300*time.Second, nil)
	r.now = func() time.Time { return now }
	if eff := r.Check("tok", PipelineAnalytics, Subject{EventName: "drop me"}); eff != (Effects{}) {
		t.Errorf("before refresh: %+v", eff)
	}
	if err := r.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if eff := r.Check("tok", PipelineAnalytics, Subject{EventName: "drop me"}); !eff.Drop || !eff.SkipPersonProcessing || eff.ForceOverflow || eff.RedirectDLQ {
		t.Errorf("effects %+v", eff)
	}
	if eff := r.Check("tok", PipelineAnalytics, Subject{EventName: "keep"}); eff.Drop || !eff.SkipPersonProcessing {
		t.Errorf("effects %+v", eff)
	}
	if eff := r.Check("other", PipelineAnalytics, Subject{EventName: "drop me"}); eff != (Effects{}) {
		t.Errorf("other token: %+v", eff)
	}
	// Stale cache (Redis unreachable for longer than fail-open): ignored.
	now = now.Add(301 * time.Second)
	if eff := r.Check("tok", PipelineAnalytics, Subject{EventName: "drop me"}); eff != (Effects{}) {
		t.Errorf("stale cache applied: %+v", eff)
	}
}

func TestQuotaLimiterKeyFromRedis(t *testing.T) {
	rdb := testRedis(t)
	ctx := context.Background()
	key := "prefix//@posthog/quota-limits/events"
	if got := limiters.QuotaKey("prefix//", limiters.ResourceEvents); got != key {
		t.Fatalf("quota key %q", got)
	}
	raw := rdb.Raw()
	raw.Del(ctx, key)
	t.Cleanup(func() { raw.Del(context.Background(), key) })
	future := float64(time.Now().Add(time.Hour).Unix())
	past := float64(time.Now().Add(-time.Hour).Unix())
	raw.ZAdd(ctx, key, goredisZ("limited", future), goredisZ("expired", past))
	l := limiters.NewQuotaLimiter(rdb, limiters.ResourceEvents, "prefix//", time.Minute)
	if err := l.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	q := &Quota{Resource: "events", Global: l}
	if got := q.CheckAndFilter("limited", events(t, `[{"event":"e"}]`)); len(got) != 0 {
		t.Error("limited token kept")
	}
	if got := q.CheckAndFilter("expired", events(t, `[{"event":"e"}]`)); len(got) != 1 {
		t.Error("expired limit applied")
	}
}

func goredisZ(member string, score float64) goredis.Z { return goredis.Z{Score: score, Member: member} }
