package flags_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// pickleStr is the pickle (protocol 5) Django's cache writes for a str.
func pickleStr(s string) []byte {
	b := []byte{0x80, 0x05}
	if len(s) < 256 {
		b = append(b, 0x8c, byte(len(s)))
	} else {
		b = append(b, 'X')
		b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
	}
	b = append(b, s...)
	return append(b, 0x94, '.')
}

func TestHyperCacheDefinitions(t *testing.T) {
	e := newEnv(t)
	teamID, token := e.team()
	// Postgres says off; the HyperCache (zstd + pickle) says on and wins.
	e.flag(teamID, "cached", `{"groups":[{"properties":[],"rollout_percentage":0}]}`)
	entry := fmt.Sprintf(`{"flags":[{"id":1,"team_id":%d,"key":"cached","name":"","active":true,"deleted":false,"version":7,"filters":{"groups":[{"properties":[],"rollout_percentage":100}],"payloads":{"true":"\"from-cache\""}}},{"id":2,"team_id":%d,"key":"only-in-cache","active":true,"deleted":false,"filters":{"groups":[{"properties":[],"rollout_percentage":100}]}}],"evaluation_metadata":{"dependency_stages":[[1,2]],"flags_with_missing_deps":[],"transitive_deps":{}},"cohorts":[]}`, teamID, teamID)
	enc, _ := zstd.NewWriter(nil)
	val := enc.EncodeAll(pickleStr(entry), nil)
	key := fmt.Sprintf("posthog:1:cache/teams/%d/feature_flags/flags.json", teamID)
	if err := e.rdb.Set(context.Background(), key, val, 0).Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.rdb.Del(context.Background(), key) })
	flags := e.v2(map[string]any{"token": token, "distinct_id": "u"})
	f := flagOf(t, flags, "cached")
	md := f["metadata"].(map[string]any)
	if f["enabled"] != true || md["version"] != 7.0 || md["payload"] != `"from-cache"` {
		t.Errorf("cached = %v", f)
	}
	if _, ok := flags["only-in-cache"]; !ok {
		t.Error("only-in-cache missing")
	}
	// "__missing__" means the team has no flags.
	e.rdb.Set(context.Background(), key, pickleStr("__missing__"), 0)
	e.svc.Store.InvalidateFlags(teamID)
	if flags := e.v2(map[string]any{"token": token, "distinct_id": "u"}); len(flags) != 0 {
		t.Errorf("known-empty cache = %v", flags)
	}
}

func TestConfigFields(t *testing.T) {
	e := newEnv(t)
	teamID, token := e.team()
	e.flag(teamID, "on", `{"groups":[{"properties":[],"rollout_percentage":100}]}`)
	_, m := e.post("/flags?v=2&config=true", map[string]any{"token": token, "distinct_id": "u"})
	for _, k := range []string{"supportedCompression", "sessionRecording", "surveys", "heatmaps", "capturePerformance", "autocaptureExceptions", "isAuthenticated", "toolbarParams", "config"} {
		if _, ok := m[k]; !ok {
			t.Errorf("config field %s missing", k)
		}
	}
	if m["hasFeatureFlags"] != true {
		t.Errorf("hasFeatureFlags = %v", m["hasFeatureFlags"])
	}
	// The Django RemoteConfig blob passes through.
	key := "posthog:1:cache/team_tokens/" + token + "/array/config.json"
	e.rdb.Set(context.Background(), key, pickleStr(`{"surveys":true,"sessionRecording":{"endpoint":"/s/"},"token":"`+token+`"}`), 0)
	t.Cleanup(func() { e.rdb.Del(context.Background(), key) })
	_, m = e.post("/flags?v=2&config=true", map[string]any{"token": token, "distinct_id": "u"})
	if m["surveys"] != true || m["sessionRecording"] == false || m["flags"] == nil {
		t.Errorf("remote config passthrough = %v", m)
	}
	// disable_flags: config only.
	_, m = e.post("/flags?v=2&config=true", map[string]any{"token": token, "distinct_id": "u", "disable_flags": true})
	if len(m["flags"].(map[string]any)) != 0 || m["surveys"] != true {
		t.Errorf("disable_flags = %v", m)
	}
}

func getDefinitions(e *env, path, auth, etag string) (int, map[string]any, string) {
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m, res.Header.Get("ETag")
}

func TestDefinitionsFeed(t *testing.T) {
	e := newEnv(t)
	teamID, token := e.team()
	base := e.flag(teamID, "base", `{"groups":[{"properties":[],"rollout_percentage":100}]}`)
	e.flag(teamID, "dep", fmt.Sprintf(`{"groups":[{"properties":[{"key":"%d","type":"flag","operator":"flag_evaluates_to","value":true}],"rollout_percentage":100}]}`, base))
	cohort := e.queryInt(`INSERT INTO posthog_cohort (team_id, name, filters) VALUES ($1, 'c', '{"properties":{"type":"OR","values":[{"type":"AND","values":[{"key":"email","type":"person","value":"a@b.c"}]}]}}'::jsonb) RETURNING id`, teamID)
	e.groupType(teamID, "company", 0)
	key := e.personalKey(nil)
	path := "/flags/definitions?token=" + token + "&send_cohorts"

	code, m, etag := getDefinitions(e, path, key, "")
	if code != 200 || etag == "" {
		t.Fatalf("definitions = %d %v", code, m)
	}
	fl := m["flags"].([]any)
	if len(fl) != 2 {
		t.Fatalf("flags = %v", fl)
	}
	var dep map[string]any
	for _, f := range fl {
		if f.(map[string]any)["key"] == "dep" {
			dep = f.(map[string]any)
		}
	}
	prop := dep["filters"].(map[string]any)["groups"].([]any)[0].(map[string]any)["properties"].([]any)[0].(map[string]any)
	if prop["key"] != "base" || fmt.Sprint(prop["dependency_chain"]) != "[base]" {
		t.Errorf("dependency filter = %v", prop)
	}
	if m["group_type_mapping"].(map[string]any)["0"] != "company" {
		t.Errorf("group types = %v", m["group_type_mapping"])
	}
	if _, ok := m["cohorts"].(map[string]any)[fmt.Sprint(cohort)]; !ok {
		t.Errorf("cohorts = %v", m["cohorts"])
	}
	if code, _, _ := getDefinitions(e, path, key, etag); code != http.StatusNotModified {
		t.Errorf("If-None-Match = %d, want 304", code)
	}
	if code, _, _ := getDefinitions(e, "/api/feature_flag/local_evaluation?token="+token, key, ""); code != 200 {
		t.Errorf("legacy path = %d", code)
	}
	if code, _, _ := getDefinitions(e, path, "phx_wrong", ""); code != 401 {
		t.Errorf("bad key = %d", code)
	}
	if code, _, _ := getDefinitions(e, path, "", ""); code != 401 {
		t.Errorf("no auth = %d", code)
	}
	if code, _, _ := getDefinitions(e, path, e.personalKey([]string{"insight:read"}), ""); code != 403 {
		t.Errorf("wrong scope = %d", code)
	}
	if code, _, _ := getDefinitions(e, path, e.personalKey([]string{"feature_flag:read"}), ""); code != 200 {
		t.Errorf("feature_flag:read scope = %d", code)
	}
	e.exec(`UPDATE posthog_team SET secret_api_token = 'phs_secret_1' WHERE id = $1`, teamID)
	if code, m, _ := getDefinitions(e, "/flags/definitions", "phs_secret_1", ""); code != 200 || len(m["flags"].([]any)) != 2 {
		t.Errorf("secret token = %d", code)
	}
	if code, _, _ := getDefinitions(e, "/flags/definitions", "phs_other", ""); code != 401 {
		t.Errorf("bad secret = %d", code)
	}
}

func TestTeamFromHyperCache(t *testing.T) {
	e := newEnv(t)
	teamID, token := e.team()
	e.flag(teamID, "on", `{"groups":[{"properties":[],"rollout_percentage":100}]}`)
	// A token only the HyperCache knows resolves to the cached team.
	cachedToken := token + "_cached"
	key := "posthog:1:cache/team_tokens/" + cachedToken + "/team_metadata/full_metadata.json"
	e.rdb.Set(context.Background(), key, pickleStr(fmt.Sprintf(`{"id":%d,"project_id":%d,"api_token":%q,"name":"cached","timezone":"Europe/Paris"}`, teamID, teamID, cachedToken)), 0)
	t.Cleanup(func() { e.rdb.Del(context.Background(), key) })
	flags := e.v2(map[string]any{"token": cachedToken, "distinct_id": "u"})
	if f := flagOf(t, flags, "on"); f["enabled"] != true {
		t.Errorf("cached team = %v", flags)
	}
	// A cached row for another token is ignored.
	other := token + "_mismatch"
	okey := "posthog:1:cache/team_tokens/" + other + "/team_metadata/full_metadata.json"
	e.rdb.Set(context.Background(), okey, pickleStr(fmt.Sprintf(`{"id":%d,"api_token":"phc_someone_else"}`, teamID)), 0)
	t.Cleanup(func() { e.rdb.Del(context.Background(), okey) })
	if code, _ := e.post("/flags?v=2", map[string]any{"token": other, "distinct_id": "u"}); code != 401 {
		t.Errorf("mismatched cached team = %d, want 401", code)
	}
}
