package evaluation_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/posthog/posthog-go"

	"github.com/hoggo/feature-flags/internal/api"
	"github.com/hoggo/feature-flags/internal/definitions"
	"github.com/hoggo/feature-flags/internal/evaluation"
)

// benchFilters mixes the operators a real project uses; every one has the
// same meaning for the server and posthog-go's local evaluator.
var benchFilters = []string{
	`{"key":"email","type":"person","operator":"icontains","value":"@corp"}`,
	`{"key":"email","type":"person","operator":"not_icontains","value":"spam"}`,
	`{"key":"email","type":"person","operator":"ends_with","value":".com"}`,
	`{"key":"plan","type":"person","operator":"exact","value":["pro","enterprise"]}`,
	`{"key":"plan","type":"person","operator":"is_not","value":"free"}`,
	`{"key":"country","type":"person","operator":"regex","value":"^(US|CA)$"}`,
	`{"key":"country","type":"person","operator":"not_regex","value":"^D"}`,
	`{"key":"age","type":"person","operator":"gt","value":30}`,
	`{"key":"age","type":"person","operator":"lte","value":45}`,
	`{"key":"app_version","type":"person","operator":"semver_gte","value":"2.3.0"}`,
	`{"key":"app_version","type":"person","operator":"semver_caret","value":"1.2.0"}`,
	`{"key":"signup","type":"person","operator":"is_date_before","value":"2024-06-01T00:00:00Z"}`,
	`{"key":"email","type":"person","operator":"is_set","value":"is_set"}`,
	`{"key":"id","type":"cohort","value":1}`,
}

// BenchFlags builds a 50-flag definitions set (multivariate every third flag,
// one to three conditions of up to three filters each, one dynamic cohort).
func benchFlags(tb testing.TB) *definitions.CacheEntry {
	r := rand.New(rand.NewPCG(1, 2))
	var flags []string
	for i := 0; i < 50; i++ {
		var conds []string
		for c := 0; c < 1+r.IntN(3); c++ {
			var props []string
			for p := 0; p < r.IntN(4); p++ {
				props = append(props, benchFilters[r.IntN(len(benchFilters))])
			}
			rollout := []string{"100", "50", "null", "30", "75.5"}[r.IntN(5)]
			conds = append(conds, fmt.Sprintf(`{"properties":[%s],"rollout_percentage":%s}`, strings.Join(props, ","), rollout))
		}
		mv, payloads := "", `{"true":"{\"n\":`+fmt.Sprint(i)+`}"}`
		if i%3 == 0 {
			mv = `,"multivariate":{"variants":[{"key":"control","rollout_percentage":34},{"key":"test","rollout_percentage":33},{"key":"other","rollout_percentage":33}]}`
			payloads = `{"control":"\"c\"","test":"{\"t\":1}"}`
		}
		flags = append(flags, fmt.Sprintf(`{"id":%d,"team_id":1,"key":"flag-%02d","name":"","active":true,"deleted":false,"filters":{"groups":[%s]%s,"payloads":%s}}`, i+1, i, strings.Join(conds, ","), mv, payloads))
	}
	js := `{"flags":[` + strings.Join(flags, ",") + `],"cohorts":[{"id":1,"name":"c","deleted":false,"is_static":false,"filters":{"properties":{"type":"OR","values":[{"type":"AND","values":[{"key":"plan","type":"person","operator":"exact","value":"enterprise"}]},{"type":"AND","values":[{"key":"age","type":"person","operator":"gt","value":60}]}]}}}]}`
	var entry definitions.CacheEntry
	if err := json.Unmarshal([]byte(js), &entry); err != nil {
		tb.Fatal(err)
	}
	return &entry
}

type benchUser struct {
	id    string
	props map[string]any
}

func benchUsers(n int) []benchUser {
	r := rand.New(rand.NewPCG(3, 4))
	out := make([]benchUser, n)
	for i := range out {
		out[i] = benchUser{id: fmt.Sprintf("user-%d", r.IntN(1_000_000)), props: map[string]any{
			"email":       []string{"u1@corp.com", "u2@corp.io", "spam@x.com", "someone@example.com"}[r.IntN(4)],
			"plan":        []string{"free", "pro", "enterprise"}[r.IntN(3)],
			"country":     []string{"US", "CA", "DE", "DK", "FR"}[r.IntN(5)],
			"age":         json.Number(fmt.Sprint(r.IntN(80))),
			"app_version": []string{"1.2.3", "1.9.0", "2.3.0", "2.4.7", "3.0.0"}[r.IntN(5)],
			"signup":      []string{"2022-05-01T10:00:00Z", "2023-07-04T00:00:00Z", "2025-01-01T00:00:00Z"}[r.IntN(3)],
		}}
	}
	return out
}

// sdkProps converts properties to the Go types an SDK caller passes.
func sdkProps(p map[string]any) posthog.Properties {
	out := posthog.Properties{}
	for k, v := range p {
		if n, ok := v.(json.Number); ok {
			i, _ := n.Int64()
			out[k] = int(i)
			continue
		}
		out[k] = v
	}
	return out
}

// localSDK starts posthog-go with local evaluation fed by our definitions
// feed rendering of the same flags.
func localSDK(tb testing.TB, set *definitions.FlagSet) posthog.Client {
	body, err := api.DefinitionsJSON(set, map[int]string{})
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/flags/definitions") {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
			return
		}
		_, _ = w.Write([]byte(`{}`))
	}))
	tb.Cleanup(srv.Close)
	c, err := posthog.NewWithConfig("phc_bench", posthog.Config{Endpoint: srv.URL, SecretKey: "phx_bench", DefaultFeatureFlagsPollingInterval: time.Hour})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	if err := c.ReloadFeatureFlags(); err != nil {
		tb.Fatal(err)
	}
	return c
}

func evaluateAll(set *definitions.FlagSet, u benchUser) []evaluation.Result {
	return evaluation.Evaluate(set, &evaluation.Subject{DistinctID: u.id, Person: u.props, TZ: time.UTC}, evaluation.Options{})
}

// TestBenchSetAgreesWithSDK checks that the benchmark compares like with
// like: both evaluators give the same value for every flag and user.
func TestBenchSetAgreesWithSDK(t *testing.T) {
	entry := benchFlags(t)
	set := definitions.NewFlagSet(entry.Flags, entry.Cohorts)
	c := localSDK(t, set)
	users := benchUsers(50)
	enabled := 0
	for _, u := range users {
		got, err := c.GetAllFlags(posthog.FeatureFlagPayloadNoKey{DistinctId: u.id, PersonProperties: sdkProps(u.props), OnlyEvaluateLocally: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range evaluateAll(set, u) {
			if got[r.Flag.Key] != r.Value() {
				t.Errorf("%s/%s: sdk %v, ours %v", u.id, r.Flag.Key, got[r.Flag.Key], r.Value())
			}
			if r.Enabled {
				enabled++
			}
		}
	}
	t.Logf("%d flag evaluations agree (%d enabled)", len(users)*len(set.Flags), enabled)
}

// BenchmarkEvaluate evaluates 50 flags with mixed operators for one user per
// iteration, here and through posthog-go's local evaluator; ns/flag is the
// per-flag cost.
func BenchmarkEvaluate(b *testing.B) {
	entry := benchFlags(b)
	set := definitions.NewFlagSet(entry.Flags, entry.Cohorts)
	users := benchUsers(256)
	n := len(set.Flags)
	b.Run("hoggo", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			evaluateAll(set, users[i&255])
			i++
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/flag")
	})
	b.Run("posthog-go", func(b *testing.B) {
		c := localSDK(b, set)
		props := make([]posthog.Properties, len(users))
		for i, u := range users {
			props[i] = sdkProps(u.props)
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			u := users[i&255]
			if _, err := c.GetAllFlags(posthog.FeatureFlagPayloadNoKey{DistinctId: u.id, PersonProperties: props[i&255], OnlyEvaluateLocally: true}); err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/flag")
	})
}

// BenchmarkEvaluateInterleaved alternates blocks of both evaluators on the
// same users so machine-load drift hits both equally; it reports each one's
// ns/flag and the speed-up.
func BenchmarkEvaluateInterleaved(b *testing.B) {
	entry := benchFlags(b)
	set := definitions.NewFlagSet(entry.Flags, entry.Cohorts)
	users := benchUsers(256)
	c := localSDK(b, set)
	props := make([]posthog.Properties, len(users))
	for i, u := range users {
		props[i] = sdkProps(u.props)
	}
	n := len(set.Flags)
	const block = 200
	var ours, theirs, oursCPU, theirsCPU time.Duration
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		start, cpu := time.Now(), threadCPU()
		for j := 0; j < block; j++ {
			evaluateAll(set, users[(i+j)&255])
		}
		ours += time.Since(start)
		oursCPU += threadCPU() - cpu
		start, cpu = time.Now(), threadCPU()
		for j := 0; j < block; j++ {
			u := users[(i+j)&255]
			if _, err := c.GetAllFlags(posthog.FeatureFlagPayloadNoKey{DistinctId: u.id, PersonProperties: props[(i+j)&255], OnlyEvaluateLocally: true}); err != nil {
				b.Fatal(err)
			}
		}
		theirs += time.Since(start)
		theirsCPU += threadCPU() - cpu
		i += block
	}
	evals := float64(b.N * block * n)
	b.ReportMetric(float64(ours.Nanoseconds())/evals, "hoggo-ns/flag")
	b.ReportMetric(float64(theirs.Nanoseconds())/evals, "posthog-go-ns/flag")
	b.ReportMetric(float64(theirs)/float64(ours), "speedup")
	if oursCPU > 0 {
		// CPU time of the benchmark thread only: immune to other processes,
		// and it leaves out GC work on other threads (which favours posthog-go,
		// the bigger allocator).
		b.ReportMetric(float64(oursCPU.Nanoseconds())/evals, "hoggo-cpu-ns/flag")
		b.ReportMetric(float64(theirsCPU.Nanoseconds())/evals, "posthog-go-cpu-ns/flag")
		b.ReportMetric(float64(theirsCPU)/float64(oursCPU), "cpu-speedup")
	}
}
