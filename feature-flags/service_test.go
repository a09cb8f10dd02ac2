package flags_test

import (
	"net/http"
	"testing"
)

func TestBasicFlags(t *testing.T) {
	e := newEnv(t)
	teamID, token := e.team()
	e.flag(teamID, "on", `{"groups":[{"properties":[],"rollout_percentage":100}],"payloads":{"true":"{\"a\":1}"}}`)
	e.flag(teamID, "email", `{"groups":[{"properties":[{"key":"email","type":"person","operator":"icontains","value":"@posthog.com"}],"rollout_percentage":100}]}`)
	e.flag(teamID, "off", `{"groups":[{"properties":[],"rollout_percentage":100}]}`, inactive)
	e.person(teamID, `{"email":"max@posthog.com"}`, "user-1")

	flags := e.v2(map[string]any{"token": token, "distinct_id": "user-1"})
	if f := flagOf(t, flags, "on"); f["enabled"] != true {
		t.Errorf("on = %v", f)
	}
	if f := flagOf(t, flags, "email"); f["enabled"] != true {
		t.Errorf("email (db property) = %v", f)
	}
	if _, ok := flags["off"]; ok {
		t.Error("inactive flag returned")
	}
	// Request overrides win over the database.
	flags = e.v2(map[string]any{"token": token, "distinct_id": "user-1", "person_properties": map[string]any{"email": "x@example.com"}})
	if f := flagOf(t, flags, "email"); f["enabled"] != false {
		t.Errorf("override should win: %v", f)
	}
	code, legacy := e.post("/flags?v=1", map[string]any{"token": token, "distinct_id": "user-1"})
	if code != http.StatusOK {
		t.Fatal(code)
	}
	ff := legacy["featureFlags"].(map[string]any)
	if ff["on"] != true || ff["email"] != true {
		t.Errorf("legacy = %v", legacy)
	}
	if p := legacy["featureFlagPayloads"].(map[string]any); p["on"] != `{"a":1}` {
		t.Errorf("payloads = %v", p)
	}
}
