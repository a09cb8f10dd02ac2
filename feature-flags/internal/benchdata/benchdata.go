// Package benchdata generates the load-test team shared by the bench command
// and BenchmarkFlagsRequest: 50 flags over a mix of operators and one cohort,
// and person property sets, from a fixed seed so runs compare.
package benchdata

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
)

// CohortFilters is the dynamic cohort the flags reference (enterprise plan or
// older than 60).
const CohortFilters = `{"properties":{"type":"OR","values":[{"type":"AND","values":[{"key":"plan","type":"person","operator":"exact","value":"enterprise"}]},{"type":"AND","values":[{"key":"age","type":"person","operator":"gt","value":60}]}]}}`

// FlagCount is how many flags Flags returns.
const FlagCount = 50

// Generator draws flags and persons from one seeded stream.
type Generator struct{ r *rand.Rand }

// New returns a Generator with the fixed seed.
func New() *Generator { return &Generator{r: rand.New(rand.NewPCG(1, 2))} }

// FlagKey is the key of flag i.
func FlagKey(i int) string { return fmt.Sprintf("flag-%02d", i) }

// Flags returns the filters JSON of FlagCount flags (keys FlagKey(i)): 1–3
// conditions of 0–3 person or cohort filters, every third flag multivariate,
// each with a payload.
func (g *Generator) Flags(cohortID int) []string {
	r := g.r
	filters := []string{
		`{"key":"email","type":"person","operator":"icontains","value":"@corp"}`,
		`{"key":"email","type":"person","operator":"not_icontains","value":"spam"}`,
		`{"key":"plan","type":"person","operator":"exact","value":["pro","enterprise"]}`,
		`{"key":"plan","type":"person","operator":"is_not","value":"free"}`,
		`{"key":"country","type":"person","operator":"regex","value":"^(US|CA)$"}`,
		`{"key":"age","type":"person","operator":"gt","value":30}`,
		`{"key":"app_version","type":"person","operator":"semver_gte","value":"2.3.0"}`,
		`{"key":"signup","type":"person","operator":"is_date_before","value":"2024-06-01T00:00:00Z"}`,
		fmt.Sprintf(`{"key":"id","type":"cohort","value":%d}`, cohortID),
	}
	out := make([]string, 0, FlagCount)
	for i := 0; i < FlagCount; i++ {
		var conds []string
		for c := 0; c < 1+r.IntN(3); c++ {
			var props []string
			for p := 0; p < r.IntN(4); p++ {
				props = append(props, filters[r.IntN(len(filters))])
			}
			conds = append(conds, fmt.Sprintf(`{"properties":[%s],"rollout_percentage":%s}`, strings.Join(props, ","), []string{"100", "50", "null", "30"}[r.IntN(4)]))
		}
		mv := ""
		if i%3 == 0 {
			mv = `,"multivariate":{"variants":[{"key":"control","rollout_percentage":50},{"key":"test","rollout_percentage":50}]}`
		}
		out = append(out, fmt.Sprintf(`{"groups":[%s]%s,"payloads":{"true":"{\"n\":%d}"}}`, strings.Join(conds, ","), mv, i))
	}
	return out
}

// Person returns the next person's properties as a JSON object.
func (g *Generator) Person() []byte {
	r := g.r
	b, _ := json.Marshal(map[string]any{
		"email": []string{"a@corp.com", "b@x.io", "spam@y.com"}[r.IntN(3)], "plan": []string{"free", "pro", "enterprise"}[r.IntN(3)],
		"country": []string{"US", "CA", "DE"}[r.IntN(3)], "age": r.IntN(80), "app_version": []string{"1.0.0", "2.3.1", "3.0.0"}[r.IntN(3)],
		"signup": []string{"2023-01-01T00:00:00Z", "2025-01-01T00:00:00Z"}[r.IntN(2)],
	})
	return b
}
