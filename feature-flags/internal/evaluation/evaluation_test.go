package evaluation

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/hoggo/feature-flags/internal/definitions"
	"github.com/hoggo/feature-flags/internal/hash"
)

func set(t *testing.T, flagsJSON ...string) *definitions.FlagSet {
	t.Helper()
	var flags []*definitions.Flag
	for i, js := range flagsJSON {
		var f definitions.Flag
		if err := json.Unmarshal([]byte(js), &f); err != nil {
			t.Fatalf("flag %d: %v", i, err)
		}
		if f.ID == 0 {
			f.ID = i + 1
		}
		flags = append(flags, &f)
	}
	return definitions.NewFlagSet(flags, nil)
}

func one(t *testing.T, s *definitions.FlagSet, subj *Subject) Result {
	t.Helper()
	if subj.TZ == nil {
		subj.TZ = time.UTC
	}
	return Evaluate(s, subj, Options{})[0]
}

// findID returns a distinct id whose rollout bucket for key is above (or
// below) p percent.
func findID(key string, p float64, above bool) string {
	for i := 0; ; i++ {
		id := fmt.Sprintf("id-%d", i)
		if hash.Included(hash.Rollout(key, id), p) != above {
			return id
		}
	}
}

func TestReasonPriority(t *testing.T) {
	key := "prio"
	miss := findID(key, 10, true) // outside a 10% rollout
	s := set(t, `{"key":"prio","filters":{"groups":[
		{"properties":[],"rollout_percentage":10},
		{"properties":[{"key":"plan","type":"person","value":"pro"}],"rollout_percentage":100}]}}`)
	r := one(t, s, &Subject{DistinctID: miss, Person: map[string]any{"plan": "free"}})
	if r.Enabled || r.Reason.Code != CodeOutOfRolloutBound || r.Reason.ConditionIndex != 0 {
		t.Errorf("rollout miss then targeting miss = %+v", r.Reason)
	}
	s = set(t, `{"key":"prio","filters":{"groups":[
		{"properties":[{"key":"plan","type":"person","value":"pro"}],"rollout_percentage":100},
		{"properties":[],"rollout_percentage":10}]}}`)
	r = one(t, s, &Subject{DistinctID: miss, Person: map[string]any{"plan": "free"}})
	if r.Reason.Code != CodeOutOfRolloutBound || r.Reason.ConditionIndex != 1 {
		t.Errorf("targeting miss then rollout miss = %+v", r.Reason)
	}
	s = set(t, `{"key":"prio","filters":{"groups":[
		{"properties":[{"key":"plan","type":"person","value":"pro"}]},
		{"properties":[{"key":"plan","type":"person","value":"team"}]}]}}`)
	r = one(t, s, &Subject{DistinctID: "x", Person: map[string]any{"plan": "free"}})
	if r.Reason.Code != CodeNoConditionMatch || r.Reason.ConditionIndex != 1 || r.Reason.Description() != "No matching condition set" {
		t.Errorf("all targeting misses = %+v", r.Reason)
	}
	s = set(t, `{"key":"empty","filters":{"groups":[]}}`)
	if r = one(t, s, &Subject{DistinctID: "x"}); r.Reason.Code != CodeNoGroupType || r.Reason.ConditionIndex != -1 {
		t.Errorf("no conditions = %+v", r.Reason)
	}
}

func TestVariantOverrideAndPayload(t *testing.T) {
	s := set(t, `{"key":"mv","filters":{"groups":[{"properties":[],"rollout_percentage":100,"variant":"second"}],
		"multivariate":{"variants":[{"key":"first","rollout_percentage":100},{"key":"second","rollout_percentage":0}]},
		"payloads":{"second":"two","true":"t"}}}`)
	r := one(t, s, &Subject{DistinctID: "u"})
	if r.Variant != "second" || string(r.Payload) != `"two"` || r.Reason.Description() != "Matched condition set 1" {
		t.Errorf("valid override = %+v %s", r, r.Payload)
	}
	s = set(t, `{"key":"mv","filters":{"groups":[{"properties":[],"rollout_percentage":100,"variant":"nope"}],
		"multivariate":{"variants":[{"key":"first","rollout_percentage":100}]}}}`)
	if r = one(t, s, &Subject{DistinctID: "u"}); r.Variant != "first" {
		t.Errorf("invalid override should hash: %+v", r)
	}
	s = set(t, `{"key":"short","filters":{"groups":[{"properties":[],"rollout_percentage":100}],
		"multivariate":{"variants":[{"key":"a","rollout_percentage":0}]},"payloads":{"true":1}}}`)
	if r = one(t, s, &Subject{DistinctID: "u"}); r.Variant != "" || !r.Enabled || string(r.Payload) != "1" {
		t.Errorf("variants short of 100%% = %+v", r)
	}
}

func TestHoldout(t *testing.T) {
	s := set(t, `{"key":"exp","filters":{"groups":[{"properties":[],"rollout_percentage":100}],"holdout":{"id":7,"exclusion_percentage":100},"payloads":{"holdout-7":"h"}}}`)
	r := one(t, s, &Subject{DistinctID: "anyone"})
	if r.Variant != "holdout-7" || r.Reason.Code != CodeHoldoutConditionValue || r.Reason.ConditionIndex != -1 || string(r.Payload) != `"h"` {
		t.Errorf("100%% holdout = %+v", r)
	}
	s = set(t, `{"key":"exp","filters":{"groups":[{"properties":[],"rollout_percentage":100}],"holdout":{"id":7,"exclusion_percentage":0}}}`)
	if r = one(t, s, &Subject{DistinctID: "user-31"}); r.Variant != "" || r.Reason.Code != CodeConditionMatch {
		t.Errorf("0%% holdout = %+v", r)
	}
}

func TestEarlyAccess(t *testing.T) {
	s := set(t, `{"key":"beta","filters":{"groups":[{"properties":[],"rollout_percentage":0}],"feature_enrollment":true,"payloads":{"true":"p"}}}`)
	r := one(t, s, &Subject{DistinctID: "u", Person: map[string]any{"$feature_enrollment/beta": "true"}})
	if !r.Enabled || r.Reason.Code != CodeSuperConditionValue || r.Reason.ConditionIndex != 0 {
		t.Errorf("enrolled = %+v", r)
	}
	r = one(t, s, &Subject{DistinctID: "u", Person: map[string]any{"$feature_enrollment/beta": false}})
	if r.Enabled || r.Reason.Code != CodeSuperConditionValue || string(r.Payload) != `"p"` {
		t.Errorf("opted out keeps the payload quirk = %+v %s", r, r.Payload)
	}
	if r = one(t, s, &Subject{DistinctID: "u", Person: map[string]any{}}); r.Reason.Code != CodeOutOfRolloutBound {
		t.Errorf("no enrollment property falls through = %+v", r.Reason)
	}
	s = set(t, `{"key":"legacy","filters":{"groups":[{"properties":[],"rollout_percentage":0}],
		"super_groups":[{"properties":[{"key":"$feature_enrollment/legacy","type":"person","operator":"exact","value":["true"]}],"rollout_percentage":100}]}}`)
	if r = one(t, s, &Subject{DistinctID: "u", Person: map[string]any{"$feature_enrollment/legacy": true}}); !r.Enabled || r.Reason.Code != CodeSuperConditionValue {
		t.Errorf("legacy super group = %+v", r)
	}
	if r = one(t, s, &Subject{DistinctID: "u", Person: map[string]any{}}); r.Enabled || r.Reason.Code != CodeOutOfRolloutBound {
		t.Errorf("legacy super group without the property = %+v", r.Reason)
	}
}

func TestBucketingIdentifiers(t *testing.T) {
	s := set(t, `{"key":"dev","bucketing_identifier":"device_id","filters":{"groups":[{"properties":[],"rollout_percentage":50}]}}`)
	in := findID("dev", 50, false)
	out := findID("dev", 50, true)
	if r := one(t, s, &Subject{DistinctID: out, DeviceID: in}); !r.Enabled {
		t.Error("device id should be hashed, not distinct id")
	}
	if r := one(t, s, &Subject{DistinctID: in}); r.Enabled || r.Reason.Code != CodeOutOfRolloutBound {
		t.Errorf("device bucketing without a device id = %+v", r.Reason)
	}
	e := set(t, `{"key":"dev","ensure_experience_continuity":true,"filters":{"groups":[{"properties":[],"rollout_percentage":50}]}}`)
	if r := one(t, e, &Subject{DistinctID: out, HashKeyOverrides: map[string]string{"dev": in}}); !r.Enabled {
		t.Error("hash key override should win over distinct id")
	}
	if r := one(t, e, &Subject{DistinctID: out, AnonDistinctID: in}); !r.Enabled {
		t.Error("EEC flag should hash the anonymous id")
	}
	if r := one(t, e, &Subject{DistinctID: in, AnonDistinctID: out, HashKeyOverrides: map[string]string{"dev": in}}); !r.Enabled {
		t.Error("stored override beats the anonymous id")
	}
}

func TestEarlyExit(t *testing.T) {
	miss := findID("ee", 10, true)
	s := set(t, `{"key":"ee","filters":{"early_exit":true,"groups":[{"properties":[],"rollout_percentage":10},{"properties":[],"rollout_percentage":100}]}}`)
	if r := one(t, s, &Subject{DistinctID: miss}); r.Enabled || r.Reason.ConditionIndex != 0 {
		t.Errorf("early exit = %+v", r)
	}
	s = set(t, `{"key":"ee","filters":{"groups":[{"properties":[],"rollout_percentage":10},{"properties":[],"rollout_percentage":100}]}}`)
	if r := one(t, s, &Subject{DistinctID: miss}); !r.Enabled || r.Reason.ConditionIndex != 1 {
		t.Errorf("without early exit = %+v", r)
	}
}

func TestDependencyCycle(t *testing.T) {
	s := set(t,
		`{"id":1,"key":"a","filters":{"groups":[{"properties":[{"key":"2","type":"flag","operator":"flag_evaluates_to","value":true}]}]}}`,
		`{"id":2,"key":"b","filters":{"groups":[{"properties":[{"key":"1","type":"flag","operator":"flag_evaluates_to","value":true}]}]}}`,
		`{"id":3,"key":"c","filters":{"groups":[{"properties":[]}]}}`)
	res := Evaluate(s, &Subject{DistinctID: "u", TZ: time.UTC}, Options{})
	if !res[0].Failed || res[0].Reason.Code != CodeDependencyCycleFlag || !res[1].Failed {
		t.Errorf("cycle = %+v %+v", res[0].Reason, res[1].Reason)
	}
	if !res[2].Enabled || res[2].Failed {
		t.Errorf("unrelated flag = %+v", res[2])
	}
}

func TestExcludedDependencyIsFalse(t *testing.T) {
	s := set(t,
		`{"id":1,"key":"server-only","evaluation_runtime":"server","filters":{"groups":[{"properties":[]}]}}`,
		`{"id":2,"key":"needs-off","filters":{"groups":[{"properties":[{"key":"1","type":"flag","operator":"flag_evaluates_to","value":false}]}]}}`)
	res := Evaluate(s, &Subject{DistinctID: "u", TZ: time.UTC}, Options{Excluded: map[int]bool{0: true}})
	if res[0].Flag != nil || !res[1].Enabled {
		t.Errorf("excluded dependency should count as false: %+v %+v", res[0], res[1])
	}
}
