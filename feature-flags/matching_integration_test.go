package flags_test

import (
	"context"
	"fmt"
	"testing"
)

func TestGroupFlags(t *testing.T) {
	e := newEnv(t)
	teamID, token := e.team()
	e.groupType(teamID, "organization", 0)
	e.groupType(teamID, "project", 1)
	e.group(teamID, 0, "org-1", `{"tier":"gold"}`)
	e.flag(teamID, "org-gold", `{"aggregation_group_type_index":0,"groups":[{"properties":[{"key":"tier","type":"group","group_type_index":0,"operator":"exact","value":"gold"}],"rollout_percentage":100}]}`)
	e.flag(teamID, "project-any", `{"aggregation_group_type_index":1,"groups":[{"properties":[],"rollout_percentage":100}]}`)
	e.flag(teamID, "mixed", `{"groups":[{"properties":[{"key":"plan","type":"person","value":"pro"}],"rollout_percentage":100},{"aggregation_group_type_index":0,"properties":[{"key":"tier","type":"group","group_type_index":0,"value":"silver"}],"rollout_percentage":100}]}`)

	flags := e.v2(map[string]any{"token": token, "distinct_id": "u", "groups": map[string]any{"organization": "org-1"}})
	if f := flagOf(t, flags, "org-gold"); f["enabled"] != true {
		t.Errorf("org-gold (db group property) = %v", f)
	}
	if code, idx := reasonOf(flagOf(t, flags, "project-any")); code != "no_group_type" || idx != 0.0 {
		t.Errorf("project-any without group = %s %v", code, idx)
	}
	// Request group properties win.
	flags = e.v2(map[string]any{"token": token, "distinct_id": "u", "groups": map[string]any{"organization": "org-1"}, "group_properties": map[string]any{"organization": map[string]any{"tier": "silver"}}})
	if f := flagOf(t, flags, "org-gold"); f["enabled"] != false {
		t.Errorf("override: %v", f)
	}
	if f := flagOf(t, flags, "mixed"); f["enabled"] != true {
		t.Errorf("mixed group condition: %v", f)
	}
	// Person condition misses, group condition skipped → groups-not-evaluated description.
	flags = e.v2(map[string]any{"token": token, "distinct_id": "u", "person_properties": map[string]any{"plan": "free"}})
	f := flagOf(t, flags, "mixed")
	r := f["reason"].(map[string]any)
	if r["code"] != "no_condition_match" || r["description"] != "No matching condition set (group conditions were not evaluated because no group type was provided)" {
		t.Errorf("mixed reason = %v", r)
	}
	// Numeric group keys hash as their decimal string.
	flags = e.v2(map[string]any{"token": token, "distinct_id": "u", "groups": map[string]any{"project": 42}})
	if f := flagOf(t, flags, "project-any"); f["enabled"] != true {
		t.Errorf("numeric group key: %v", f)
	}
}

func TestCohortFlags(t *testing.T) {
	e := newEnv(t)
	teamID, token := e.team()
	dyn := e.queryInt(`INSERT INTO posthog_cohort (team_id, name, filters) VALUES ($1, 'qa', '{"properties":{"type":"OR","values":[{"type":"AND","values":[{"key":"email","type":"person","operator":"icontains","value":"@qa.test"}]}]}}'::jsonb) RETURNING id`, teamID)
	static := e.queryInt(`INSERT INTO posthog_cohort (team_id, name, is_static) VALUES ($1, 'vip', true) RETURNING id`, teamID)
	nested := e.queryInt(fmt.Sprintf(`INSERT INTO posthog_cohort (team_id, name, filters) VALUES ($1, 'not-qa', '{"properties":{"type":"AND","values":[{"type":"AND","values":[{"key":"id","type":"cohort","value":%d,"negation":true}]}]}}'::jsonb) RETURNING id`, dyn), teamID)
	e.flag(teamID, "qa", fmt.Sprintf(`{"groups":[{"properties":[{"key":"id","type":"cohort","value":%d}],"rollout_percentage":100}]}`, dyn))
	e.flag(teamID, "vip", fmt.Sprintf(`{"groups":[{"properties":[{"key":"id","type":"cohort","value":%d}],"rollout_percentage":100}]}`, static))
	e.flag(teamID, "not-vip", fmt.Sprintf(`{"groups":[{"properties":[{"key":"id","type":"cohort","operator":"not_in","value":%d}],"rollout_percentage":100}]}`, static))
	e.flag(teamID, "not-qa", fmt.Sprintf(`{"groups":[{"properties":[{"key":"id","type":"cohort","value":%d}],"rollout_percentage":100}]}`, nested))
	e.flag(teamID, "missing-cohort", `{"groups":[{"properties":[{"key":"id","type":"cohort","value":999999}],"rollout_percentage":100}]}`)
	pid := e.person(teamID, `{"email":"a@qa.test"}`, "qa-user")
	e.person(teamID, `{"email":"b@example.com"}`, "other-user")
	e.exec(`INSERT INTO posthog_cohortpeople (cohort_id, person_id, version) VALUES ($1, $2, 0)`, static, pid)

	flags := e.v2(map[string]any{"token": token, "distinct_id": "qa-user"})
	want := map[string]bool{"qa": true, "vip": true, "not-vip": false, "not-qa": false}
	for k, v := range want {
		if f := flagOf(t, flags, k); f["enabled"] != v {
			t.Errorf("qa-user %s = %v, want %v", k, f["enabled"], v)
		}
	}
	mc := flagOf(t, flags, "missing-cohort")
	if mc["failed"] != true || mc["reason"].(map[string]any)["code"] != "dependency_not_found_cohort" {
		t.Errorf("missing cohort = %v", mc)
	}
	_, m := e.post("/flags?v=2", map[string]any{"token": token, "distinct_id": "qa-user"})
	if m["errorsWhileComputingFlags"] != true {
		t.Error("errorsWhileComputingFlags should be set by the failed flag")
	}
	flags = e.v2(map[string]any{"token": token, "distinct_id": "other-user"})
	want = map[string]bool{"qa": false, "vip": false, "not-vip": true, "not-qa": true}
	for k, v := range want {
		if f := flagOf(t, flags, k); f["enabled"] != v {
			t.Errorf("other-user %s = %v, want %v", k, f["enabled"], v)
		}
	}
}

func TestFlagDependencies(t *testing.T) {
	e := newEnv(t)
	teamID, token := e.team()
	base := e.flag(teamID, "base", `{"groups":[{"properties":[{"key":"plan","type":"person","value":"pro"}],"rollout_percentage":100}]}`)
	mv := e.flag(teamID, "mv", `{"groups":[{"properties":[],"rollout_percentage":100,"variant":"b"}],"multivariate":{"variants":[{"key":"a","rollout_percentage":50},{"key":"b","rollout_percentage":50}]}}`)
	off := e.flag(teamID, "disabled-dep", `{"groups":[{"properties":[],"rollout_percentage":100}]}`, inactive)
	e.flag(teamID, "needs-base", fmt.Sprintf(`{"groups":[{"properties":[{"key":"%d","type":"flag","operator":"flag_evaluates_to","value":true}],"rollout_percentage":100}]}`, base))
	e.flag(teamID, "needs-not-base", fmt.Sprintf(`{"groups":[{"properties":[{"key":"%d","type":"flag","operator":"flag_evaluates_to","value":false}],"rollout_percentage":100}]}`, base))
	e.flag(teamID, "needs-b", fmt.Sprintf(`{"groups":[{"properties":[{"key":"%d","type":"flag","operator":"flag_evaluates_to","value":"b"}],"rollout_percentage":100}]}`, mv))
	e.flag(teamID, "needs-a", fmt.Sprintf(`{"groups":[{"properties":[{"key":"%d","type":"flag","operator":"flag_evaluates_to","value":"a"}],"rollout_percentage":100}]}`, mv))
	e.flag(teamID, "needs-disabled", fmt.Sprintf(`{"groups":[{"properties":[{"key":"%d","type":"flag","operator":"flag_evaluates_to","value":false}],"rollout_percentage":100}]}`, off))
	e.flag(teamID, "needs-missing", `{"groups":[{"properties":[{"key":"424242","type":"flag","operator":"flag_evaluates_to","value":true}],"rollout_percentage":100}]}`)

	flags := e.v2(map[string]any{"token": token, "distinct_id": "u", "person_properties": map[string]any{"plan": "pro"}})
	for k, v := range map[string]bool{"needs-base": true, "needs-not-base": false, "needs-b": true, "needs-a": false, "needs-disabled": true, "needs-missing": false} {
		if f := flagOf(t, flags, k); f["enabled"] != v {
			t.Errorf("%s = %v, want %v", k, f, v)
		}
	}
	if code, idx := reasonOf(flagOf(t, flags, "needs-missing")); code != "missing_dependency" || idx != nil {
		t.Errorf("needs-missing reason = %s %v", code, idx)
	}
	// flag_keys evaluates dependencies but returns only what was asked.
	flags = e.v2(map[string]any{"token": token, "distinct_id": "u", "person_properties": map[string]any{"plan": "pro"}, "flag_keys": []string{"needs-base"}})
	if len(flags) != 1 || flagOf(t, flags, "needs-base")["enabled"] != true {
		t.Errorf("flag_keys = %v", flags)
	}
}

func TestPersonPropertyRules(t *testing.T) {
	e := newEnv(t)
	teamID, token := e.team()
	e.flag(teamID, "by-distinct-id", `{"groups":[{"properties":[{"key":"distinct_id","type":"person","value":"db-user"}],"rollout_percentage":100}]}`)
	e.flag(teamID, "initial-browser", `{"groups":[{"properties":[{"key":"$initial_browser","type":"person","value":"Chrome"}],"rollout_percentage":100}]}`)
	e.flag(teamID, "enrolled", `{"groups":[{"properties":[],"rollout_percentage":0}],"feature_enrollment":true,"payloads":{"true":"\"p\""}}`)
	e.person(teamID, `{"$feature_enrollment/enrolled":true}`, "db-user")

	flags := e.v2(map[string]any{"token": token, "distinct_id": "db-user", "person_properties": map[string]any{"$browser": "Chrome"}})
	if f := flagOf(t, flags, "by-distinct-id"); f["enabled"] != true {
		t.Errorf("distinct_id property: %v", f)
	}
	if f := flagOf(t, flags, "initial-browser"); f["enabled"] != true {
		t.Errorf("$initial_ back-fill: %v", f)
	}
	f := flagOf(t, flags, "enrolled")
	if code, idx := reasonOf(f); f["enabled"] != true || code != "super_condition_value" || idx != 0.0 {
		t.Errorf("enrollment: %v", f)
	}
	// Only override properties: the DB enrollment is ignored.
	_, m := e.post("/flags?v=2&only_use_override_person_properties=true", map[string]any{"token": token, "distinct_id": "db-user"})
	if f := m["flags"].(map[string]any)["enrolled"].(map[string]any); f["enabled"] != false {
		t.Errorf("only overrides: %v", f)
	}
}

func TestExperienceContinuity(t *testing.T) {
	e := newEnv(t)
	teamID, token := e.team()
	e.flag(teamID, "eec", `{"groups":[{"properties":[],"rollout_percentage":50}],"multivariate":{"variants":[{"key":"a","rollout_percentage":50},{"key":"b","rollout_percentage":50}]}}`, eec)
	anonPerson := e.person(teamID, `{}`, "anon-1")
	userPerson := e.person(teamID, `{}`, "user-1")

	// The anonymous user's view.
	before := e.v2(map[string]any{"token": token, "distinct_id": "anon-1"})
	// After identify: the request carries $anon_distinct_id, overrides get written for both persons.
	after := e.v2(map[string]any{"token": token, "distinct_id": "user-1", "$anon_distinct_id": "anon-1"})
	if flagOf(t, before, "eec")["enabled"] != flagOf(t, after, "eec")["enabled"] || flagOf(t, before, "eec")["variant"] != flagOf(t, after, "eec")["variant"] {
		t.Errorf("experience not continuous: %v vs %v", before["eec"], after["eec"])
	}
	n := e.queryInt(`SELECT count(*) FROM posthog_featureflaghashkeyoverride WHERE team_id = $1 AND hash_key = 'anon-1' AND person_id = ANY($2)`, teamID, []int64{anonPerson, userPerson})
	if n != 2 {
		t.Errorf("overrides written = %d, want 2", n)
	}
	// Later requests without the anon id still use the stored hash key.
	again := e.v2(map[string]any{"token": token, "distinct_id": "user-1"})
	if flagOf(t, again, "eec")["variant"] != flagOf(t, before, "eec")["variant"] || flagOf(t, again, "eec")["enabled"] != flagOf(t, before, "eec")["enabled"] {
		t.Errorf("stored override not used: %v vs %v", again["eec"], before["eec"])
	}
	// A second identify with another anon id keeps the first override (ON CONFLICT DO NOTHING).
	e.v2(map[string]any{"token": token, "distinct_id": "user-1", "$anon_distinct_id": "anon-2"})
	var hk string
	if err := e.db.QueryRow(context.Background(), `SELECT hash_key FROM posthog_featureflaghashkeyoverride WHERE person_id = $1`, userPerson).Scan(&hk); err != nil || hk != "anon-1" {
		t.Errorf("override = %q %v", hk, err)
	}
}

func TestFailuresStayPerFlag(t *testing.T) {
	e := newEnv(t)
	teamID, token := e.team()
	e.flag(teamID, "static", `{"groups":[{"properties":[],"rollout_percentage":100}]}`)
	e.flag(teamID, "needs-db", `{"groups":[{"properties":[{"key":"plan","type":"person","value":"pro"}],"rollout_percentage":100}]}`)
	e.flag(teamID, "eec-flag", `{"groups":[{"properties":[],"rollout_percentage":100}]}`, eec)
	e.person(teamID, `{"plan":"pro"}`, "u")
	// Warm the team and flag caches, then break the tables behind the person
	// and hash-key lookups.
	e.v2(map[string]any{"token": token, "distinct_id": "u"})
	e.exec(`ALTER TABLE posthog_person RENAME TO posthog_person_gone`)
	e.exec(`ALTER TABLE posthog_featureflaghashkeyoverride RENAME TO posthog_featureflaghashkeyoverride_gone`)
	code, m := e.post("/flags?v=2", map[string]any{"token": token, "distinct_id": "u", "$anon_distinct_id": "a"})
	if code != 200 || m["errorsWhileComputingFlags"] != true {
		t.Fatalf("status %d errors=%v", code, m["errorsWhileComputingFlags"])
	}
	flags := m["flags"].(map[string]any)
	if f := flagOf(t, flags, "static"); f["enabled"] != true || f["failed"] != nil {
		t.Errorf("static flag must be unaffected: %v", f)
	}
	if f := flagOf(t, flags, "needs-db"); f["failed"] != true || f["reason"].(map[string]any)["code"] != "database_error" {
		t.Errorf("person lookup failure: %v", f)
	}
	if f := flagOf(t, flags, "eec-flag"); f["failed"] != true || f["reason"].(map[string]any)["code"] != "hash_key_override_error" {
		t.Errorf("hash key failure: %v", f)
	}
	// Overrides in the request make the database unnecessary again.
	flags = e.v2(map[string]any{"token": token, "distinct_id": "u", "person_properties": map[string]any{"plan": "pro"}})
	if f := flagOf(t, flags, "needs-db"); f["enabled"] != true || f["failed"] != nil {
		t.Errorf("overridden properties skip the database: %v", f)
	}
}

func TestFlagFiltering(t *testing.T) {
	e := newEnv(t)
	teamID, token := e.team()
	e.flag(teamID, "everywhere", `{"groups":[{"properties":[],"rollout_percentage":100}]}`)
	server := e.flag(teamID, "server-only", `{"groups":[{"properties":[],"rollout_percentage":100}]}`)
	e.exec(`UPDATE posthog_featureflag SET evaluation_runtime = 'server' WHERE id = $1`, server)
	docs := e.flag(teamID, "docs-only", `{"groups":[{"properties":[],"rollout_percentage":100}]}`)
	e.queryInt(`WITH c AS (INSERT INTO posthog_evaluationcontext (name, team_id) VALUES ('docs', $1) RETURNING id)
		INSERT INTO posthog_featureflagevaluationcontext (feature_flag_id, evaluation_context_id) SELECT $2, id FROM c RETURNING 1`, teamID, docs)
	e.flag(teamID, "survey-targeting-x", `{"groups":[{"properties":[],"rollout_percentage":100}]}`)

	keys := func(flags map[string]any) map[string]bool {
		out := map[string]bool{}
		for k := range flags {
			out[k] = true
		}
		return out
	}
	// A browser: server-only flags are left out.
	_, m := e.post("/flags?v=2", map[string]any{"token": token, "distinct_id": "d"}, "User-Agent", "Mozilla/5.0")
	got := keys(m["flags"].(map[string]any))
	if got["server-only"] || !got["everywhere"] || !got["docs-only"] {
		t.Errorf("browser runtime: %v", got)
	}
	// A server SDK sees them; an explicit runtime in the body wins.
	_, m = e.post("/flags?v=2", map[string]any{"token": token, "distinct_id": "d"}, "User-Agent", "posthog-go/1.0")
	if got = keys(m["flags"].(map[string]any)); !got["server-only"] {
		t.Errorf("server runtime: %v", got)
	}
	_, m = e.post("/flags?v=2", map[string]any{"token": token, "distinct_id": "d", "evaluation_runtime": "client"}, "User-Agent", "posthog-go/1.0")
	if got = keys(m["flags"].(map[string]any)); got["server-only"] {
		t.Errorf("explicit client runtime: %v", got)
	}
	// Evaluation contexts: tagged flags need a shared tag, untagged ones stay.
	_, m = e.post("/flags?v=2", map[string]any{"token": token, "distinct_id": "d", "evaluation_contexts": []string{"marketing"}})
	if got = keys(m["flags"].(map[string]any)); got["docs-only"] || !got["everywhere"] {
		t.Errorf("other context: %v", got)
	}
	_, m = e.post("/flags?v=2", map[string]any{"token": token, "distinct_id": "d", "evaluation_environments": []string{"docs"}})
	if got = keys(m["flags"].(map[string]any)); !got["docs-only"] {
		t.Errorf("matching context (alias): %v", got)
	}
	// Survey-only requests.
	_, m = e.post("/flags?v=2&only_evaluate_survey_feature_flags=true", map[string]any{"token": token, "distinct_id": "d"})
	if got = keys(m["flags"].(map[string]any)); len(got) != 1 || !got["survey-targeting-x"] {
		t.Errorf("survey flags only: %v", got)
	}
}
