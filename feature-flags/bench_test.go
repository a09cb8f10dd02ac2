package flags_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hoggo/feature-flags/internal/benchdata"
)

// BenchmarkFlagsRequest is one POST /flags?v=2 through the real router and
// store (Postgres person lookup, cached flag set) for the bench command's
// team (internal/benchdata: 50 flags, one cohort), without the network.
func BenchmarkFlagsRequest(b *testing.B) {
	e := newEnv(b)
	teamID, token := e.team()
	cohort := e.queryInt(`INSERT INTO posthog_cohort (team_id, name, filters) VALUES ($1, 'c', $2::jsonb) RETURNING id`, teamID, benchdata.CohortFilters)
	gen := benchdata.New()
	for i, filters := range gen.Flags(int(cohort)) {
		e.flag(teamID, benchdata.FlagKey(i), filters)
	}
	const persons = 100
	bodies := make([][]byte, persons)
	for i := range persons {
		did := fmt.Sprintf("person-%d", i)
		e.person(teamID, string(gen.Person()), did)
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
