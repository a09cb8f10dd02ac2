package flags_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkFlagsRequest is one POST /flags?v=2 through the real router and
// store (Postgres person lookup, cached flag set) for a team with 50 flags,
// the shape of the bench command's load, without the network.
func BenchmarkFlagsRequest(b *testing.B) {
	e := newEnv(b)
	teamID, token := e.team()
	filters := []string{
		`{"key":"email","type":"person","operator":"icontains","value":"@corp"}`,
		`{"key":"email","type":"person","operator":"not_icontains","value":"spam"}`,
		`{"key":"plan","type":"person","operator":"exact","value":["pro","enterprise"]}`,
		`{"key":"plan","type":"person","operator":"is_not","value":"free"}`,
		`{"key":"country","type":"person","operator":"regex","value":"^(US|CA)$"}`,
		`{"key":"age","type":"person","operator":"gt","value":30}`,
		`{"key":"app_version","type":"person","operator":"semver_gte","value":"2.3.0"}`,
		`{"key":"signup","type":"person","operator":"is_date_before","value":"2024-06-01T00:00:00Z"}`,
	}
	rollouts := []string{"100", "50", "null", "30", "75.5"}
	for i := range 50 {
		var conds []string
		for c := range 1 + i%3 {
			var props []string
			for f := range (i + c) % 4 {
				props = append(props, filters[(i*3+c*5+f)%len(filters)])
			}
			conds = append(conds, fmt.Sprintf(`{"properties":[%s],"rollout_percentage":%s}`, strings.Join(props, ","), rollouts[(i+c)%len(rollouts)]))
		}
		mv := ""
		if i%3 == 0 {
			mv = `,"multivariate":{"variants":[{"key":"a","rollout_percentage":34},{"key":"b","rollout_percentage":33},{"key":"c","rollout_percentage":33}]}`
		}
		e.flag(teamID, fmt.Sprintf("flag-%02d", i), fmt.Sprintf(`{"groups":[%s]%s,"payloads":{"true":"{\"n\":%d}"}}`, strings.Join(conds, ","), mv, i))
	}
	const persons = 100
	bodies := make([][]byte, persons)
	for i := range persons {
		did := fmt.Sprintf("person-%d", i)
		plans := []string{"free", "pro", "enterprise"}
		props, _ := json.Marshal(map[string]any{"email": fmt.Sprintf("u%d@corp.example", i), "plan": plans[i%3],
			"country": []string{"US", "DE", "CA"}[i%3], "age": 20 + i%50, "app_version": fmt.Sprintf("2.%d.0", i%6),
			"signup": "2024-01-15T00:00:00Z"})
		e.person(teamID, string(props), did)
		req := map[string]any{"token": token, "distinct_id": did}
		if i%4 == 0 {
			req["person_properties"] = map[string]any{"plan": "pro"}
		}
		bodies[i], _ = json.Marshal(req)
	}
	h := e.svc.Handler
	serve := func(body []byte) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/flags?v=2", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	if w := serve(bodies[1]); w.Code != http.StatusOK || !bytes.Contains(w.Body.Bytes(), []byte(`"flag-49"`)) {
		b.Fatalf("warm-up request: %d %s", w.Code, w.Body.Bytes())
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if w := serve(bodies[i%persons]); w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body.Bytes())
		}
	}
}
