package flags_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/posthog/posthog-go"
)

// sdkServer puts the service behind one host with a capture sink, since
// the SDK also posts $feature_flag_called events.
func sdkServer(e *env) *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle("/flags", e.svc.Handler)
	mux.Handle("/flags/", e.svc.Handler)
	mux.Handle("/api/feature_flag/", e.svc.Handler)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"status":1}`)) })
	srv := httptest.NewServer(mux)
	e.t.Cleanup(srv.Close)
	return srv
}

type sdkUser struct {
	id     string
	props  posthog.Properties
	groups posthog.Groups
	gprops map[string]posthog.Properties
}

// generateFlags creates flags using only semantics the SDK's local evaluator
// shares with the server (every referenced property supplied, no holdouts,
// early access, static cohorts or experience continuity).
func generateFlags(e *env, teamID int, r *rand.Rand) []string {
	cohort := e.queryInt(`INSERT INTO posthog_cohort (team_id, name, filters) VALUES ($1, 'gen', '{"properties":{"type":"OR","values":[{"type":"AND","values":[{"key":"plan","type":"person","operator":"exact","value":"enterprise"}]},{"type":"AND","values":[{"key":"age","type":"person","operator":"gt","value":60}]}]}}'::jsonb) RETURNING id`, teamID)
	e.groupType(teamID, "company", 0)
	filters := []string{
		`{"key":"email","type":"person","operator":"icontains","value":"@corp"}`,
		`{"key":"email","type":"person","operator":"not_icontains","value":"spam"}`,
		`{"key":"email","type":"person","operator":"ends_with","value":".com"}`,
		`{"key":"email","type":"person","operator":"starts_with","value":"u1"}`,
		`{"key":"plan","type":"person","operator":"exact","value":["pro","enterprise"]}`,
		`{"key":"plan","type":"person","operator":"is_not","value":"free"}`,
		`{"key":"plan","type":"person","value":"PRO"}`,
		`{"key":"country","type":"person","operator":"regex","value":"^(US|CA)$"}`,
		`{"key":"country","type":"person","operator":"not_regex","value":"^D"}`,
		`{"key":"age","type":"person","operator":"gt","value":30}`,
		`{"key":"age","type":"person","operator":"lte","value":45}`,
		`{"key":"age","type":"person","operator":"gte","value":18}`,
		`{"key":"age","type":"person","operator":"lt","value":70}`,
		`{"key":"app_version","type":"person","operator":"semver_gte","value":"2.3.0"}`,
		`{"key":"app_version","type":"person","operator":"semver_lt","value":"3.0.0"}`,
		`{"key":"app_version","type":"person","operator":"semver_tilde","value":"2.4.0"}`,
		`{"key":"app_version","type":"person","operator":"semver_caret","value":"1.2.0"}`,
		`{"key":"signup","type":"person","operator":"is_date_before","value":"2024-06-01T00:00:00Z"}`,
		`{"key":"signup","type":"person","operator":"is_date_after","value":"2023-01-01T00:00:00Z"}`,
		`{"key":"email","type":"person","operator":"is_set","value":"is_set"}`,
		fmt.Sprintf(`{"key":"id","type":"cohort","value":%d}`, cohort),
	}
	var keys []string
	for i := 0; i < 40; i++ {
		key := fmt.Sprintf("gen-%02d", i)
		var conds []string
		for c := 0; c < 1+r.IntN(3); c++ {
			var props []string
			for p := 0; p < r.IntN(3); p++ {
				props = append(props, filters[r.IntN(len(filters))])
			}
			rollout := []string{"100", "50", "null", "0", "75.5"}[r.IntN(5)]
			conds = append(conds, fmt.Sprintf(`{"properties":[%s],"rollout_percentage":%s}`, strings.Join(props, ","), rollout))
		}
		mv := ""
		payloads := `{"true":"{\"n\":` + fmt.Sprint(i) + `}"}`
		if i%3 == 0 {
			mv = `,"multivariate":{"variants":[{"key":"control","rollout_percentage":34},{"key":"test","rollout_percentage":33},{"key":"other","rollout_percentage":33}]}`
			payloads = `{"control":"\"c\"","test":"{\"t\":1}"}`
			if i%6 == 0 {
				conds[0] = strings.Replace(conds[0], `"properties"`, `"variant":"test","properties"`, 1)
			}
		}
		e.flag(teamID, key, fmt.Sprintf(`{"groups":[%s]%s,"payloads":%s}`, strings.Join(conds, ","), mv, payloads))
		keys = append(keys, key)
	}
	dep := e.queryInt(`SELECT id FROM posthog_featureflag WHERE team_id = $1 AND key = 'gen-03'`, teamID)
	e.flag(teamID, "gen-dep", fmt.Sprintf(`{"groups":[{"properties":[{"key":"%d","type":"flag","operator":"flag_evaluates_to","value":true}],"rollout_percentage":100}]}`, dep))
	e.flag(teamID, "gen-dep-variant", `{"groups":[{"properties":[{"key":"`+fmt.Sprint(e.queryInt(`SELECT id FROM posthog_featureflag WHERE team_id = $1 AND key = 'gen-00'`, teamID))+`","type":"flag","operator":"flag_evaluates_to","value":"test"}],"rollout_percentage":100}]}`)
	e.flag(teamID, "gen-group", `{"aggregation_group_type_index":0,"groups":[{"properties":[{"key":"size","type":"group","group_type_index":0,"operator":"gt","value":10}],"rollout_percentage":60}],"payloads":{"true":"\"g\""}}`)
	return append(keys, "gen-dep", "gen-dep-variant", "gen-group")
}

func generateUsers(r *rand.Rand, n int) []sdkUser {
	out := make([]sdkUser, n)
	for i := range out {
		out[i] = sdkUser{
			id: fmt.Sprintf("u%d-%d", i, r.IntN(100000)),
			props: posthog.Properties{
				"email":       []string{"u1@corp.com", "u2@corp.io", "spam@x.com", "someone@example.com", "u10@CORP.COM"}[r.IntN(5)],
				"plan":        []string{"free", "pro", "enterprise", "Pro"}[r.IntN(4)],
				"country":     []string{"US", "CA", "DE", "DK", "FR"}[r.IntN(5)],
				"age":         r.IntN(80),
				"app_version": []string{"1.2.3", "1.9.0", "2.3.0", "2.4.7", "3.0.0", "2.10.1"}[r.IntN(6)],
				"signup":      []string{"2022-05-01T10:00:00Z", "2023-07-04T00:00:00Z", "2024-05-31T23:59:59Z", "2025-01-01T00:00:00Z"}[r.IntN(4)],
			},
			groups: posthog.Groups{"company": fmt.Sprintf("c%d", r.IntN(20))},
			gprops: map[string]posthog.Properties{"company": {"size": r.IntN(30)}},
		}
	}
	return out
}

func TestPosthogGoSDK(t *testing.T) {
	e := newEnv(t)
	teamID, token := e.team()
	r := rand.New(rand.NewPCG(4, 2))
	keys := generateFlags(e, teamID, r)
	users := generateUsers(r, 40)
	srv := sdkServer(e)
	noEvents := false

	remote, err := posthog.NewWithConfig(token, posthog.Config{Endpoint: srv.URL, FeatureFlagRequestTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer remote.Close()
	local, err := posthog.NewWithConfig(token, posthog.Config{Endpoint: srv.URL, SecretKey: e.personalKey(nil), DefaultFeatureFlagsPollingInterval: time.Hour, FeatureFlagRequestTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	if err := local.ReloadFeatureFlags(); err != nil {
		t.Fatal(err)
	}

	compared, enabled, payloads := 0, 0, 0
	for _, u := range users {
		// Our server, directly.
		body := map[string]any{"token": token, "distinct_id": u.id, "person_properties": u.props, "groups": u.groups, "group_properties": u.gprops}
		server := e.v2(body)
		for _, key := range keys {
			f := flagOf(t, server, key)
			var want any = f["enabled"]
			if v, ok := f["variant"].(string); ok {
				want = v
			}
			cfg := posthog.FeatureFlagPayload{Key: key, DistinctId: u.id, PersonProperties: u.props, Groups: u.groups, GroupProperties: u.gprops, SendFeatureFlagEvents: &noEvents}
			got, err := remote.GetFeatureFlag(cfg)
			if err != nil || got != want {
				t.Errorf("remote %s/%s = %v (%v), server %v", u.id, key, got, err, want)
			}
			cfg.OnlyEvaluateLocally = true
			gotLocal, err := local.GetFeatureFlag(cfg)
			if err != nil || gotLocal != want {
				t.Errorf("local %s/%s = %v (%v), server %v", u.id, key, gotLocal, err, want)
			}
			if want != false {
				enabled++
				wantPayload := ""
				if p, ok := f["metadata"].(map[string]any)["payload"].(string); ok {
					wantPayload = p
				}
				cfg.OnlyEvaluateLocally = false
				pr, err := remote.GetFeatureFlagPayload(cfg)
				if err != nil || !samePayload(pr, wantPayload) {
					t.Errorf("remote payload %s/%s = %q (%v), server %q", u.id, key, pr, err, wantPayload)
				}
				cfg.OnlyEvaluateLocally = true
				pl, err := local.GetFeatureFlagPayload(cfg)
				if err != nil || !samePayload(pl, wantPayload) {
					t.Errorf("local payload %s/%s = %q (%v), server %q", u.id, key, pl, err, wantPayload)
				}
				if wantPayload != "" {
					payloads++
				}
			}
			compared++
		}
		enabledRemote, err := remote.IsFeatureEnabled(posthog.FeatureFlagPayload{Key: keys[1], DistinctId: u.id, PersonProperties: u.props, Groups: u.groups, GroupProperties: u.gprops, SendFeatureFlagEvents: &noEvents})
		if err != nil || enabledRemote != (flagOf(t, server, keys[1])["enabled"] == true) {
			t.Errorf("IsFeatureEnabled %s = %v (%v)", u.id, enabledRemote, err)
		}
	}
	t.Logf("posthog-go: %d flag×user pairs agree (server, remote SDK, local SDK); %d enabled, %d with payloads", compared, enabled, payloads)
	if enabled == 0 || enabled == compared {
		t.Errorf("degenerate generated set: %d of %d enabled", enabled, compared)
	}
}

// samePayload compares payloads as JSON values (the SDK re-encodes them).
func samePayload(got, want string) bool {
	if got == want {
		return true
	}
	var a, b any
	if json.Unmarshal([]byte(got), &a) != nil || json.Unmarshal([]byte(want), &b) != nil {
		return false
	}
	ab, _ := json.Marshal(a)
	bb, _ := json.Marshal(b)
	return string(ab) == string(bb)
}
