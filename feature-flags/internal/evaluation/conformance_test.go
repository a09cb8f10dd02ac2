package evaluation

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/hoggo/feature-flags/internal/conformance"
	"github.com/hoggo/feature-flags/internal/definitions"
	"github.com/hoggo/feature-flags/internal/matching"
)

type v1Case struct {
	ID          string                 `json:"id"`
	Definitions definitions.CacheEntry `json:"definitions"`
	Context     struct {
		DistinctID       string                     `json:"distinct_id"`
		PersonProperties json.RawMessage            `json:"person_properties"`
		Groups           json.RawMessage            `json:"groups"`
		GroupProperties  map[string]json.RawMessage `json:"group_properties"`
	} `json:"context"`
	Expected struct {
		Flags map[string]struct {
			Value   any             `json:"value"`
			Enabled bool            `json:"enabled"`
			Variant *string         `json:"variant"`
			Payload json.RawMessage `json:"payload"`
			Reason  struct {
				Code           string `json:"code"`
				ConditionIndex *int   `json:"condition_index"`
			} `json:"reason"`
		} `json:"flags"`
		Omitted []string `json:"omitted_flags"`
	} `json:"expected"`
}

func decodeObject(t *testing.T, b json.RawMessage) map[string]any {
	t.Helper()
	if len(b) == 0 {
		return map[string]any{}
	}
	v, err := matching.DecodeValue(b)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := v.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return m
}

// subjectFor builds the subject of a corpus context the way the service
// does for a request: group types from the mapping, group properties by
// index, distinct_id added to the person properties.
func subjectFor(t *testing.T, c *v1Case) *Subject {
	s := &Subject{
		DistinctID:      c.Context.DistinctID,
		Person:          decodeObject(t, c.Context.PersonProperties),
		Groups:          decodeObject(t, c.Context.Groups),
		GroupTypes:      map[int]string{},
		GroupProperties: map[int]map[string]any{},
		TZ:              time.UTC,
	}
	for k, name := range c.Definitions.GroupTypeMapping {
		i, err := strconv.Atoi(k)
		if err != nil {
			t.Fatal(err)
		}
		s.GroupTypes[i] = name
		props := decodeObject(t, c.Context.GroupProperties[name])
		if key, ok := s.Groups[name]; ok {
			props["$group_key"] = key
		}
		s.GroupProperties[i] = props
	}
	return s
}

func TestV1EvaluationCorpus(t *testing.T) {
	var corpus struct {
		Cases []v1Case `json:"cases"`
	}
	conformance.Load(t, "rules_v2_contract/1.2.0/corpus/v1_evaluation.json", &corpus)
	passed, flagsChecked := 0, 0
	for i := range corpus.Cases {
		c := &corpus.Cases[i]
		ok := t.Run(c.ID, func(t *testing.T) {
			set := definitions.NewFlagSet(c.Definitions.Flags, c.Definitions.Cohorts)
			results := Evaluate(set, subjectFor(t, c), Options{})
			got := map[string]*Result{}
			for j := range results {
				if results[j].Flag != nil {
					got[results[j].Flag.Key] = &results[j]
				}
			}
			for key, want := range c.Expected.Flags {
				flagsChecked++
				r, ok := got[key]
				if !ok {
					t.Errorf("%s: missing from results", key)
					continue
				}
				if v := r.Value(); v != want.Value {
					t.Errorf("%s: value = %v, want %v", key, v, want.Value)
				}
				if r.Enabled != want.Enabled {
					t.Errorf("%s: enabled = %v, want %v", key, r.Enabled, want.Enabled)
				}
				wantVariant := ""
				if want.Variant != nil {
					wantVariant = *want.Variant
				}
				if r.Variant != wantVariant {
					t.Errorf("%s: variant = %q, want %q", key, r.Variant, wantVariant)
				}
				wantPayload := want.Payload
				if bytes.Equal(wantPayload, []byte("null")) {
					wantPayload = nil
				}
				if !bytes.Equal(r.Payload, wantPayload) {
					t.Errorf("%s: payload = %s, want %s", key, r.Payload, wantPayload)
				}
				if r.Reason.Code != want.Reason.Code {
					t.Errorf("%s: reason = %s, want %s", key, r.Reason.Code, want.Reason.Code)
				}
				wantIndex := -1
				if want.Reason.ConditionIndex != nil {
					wantIndex = *want.Reason.ConditionIndex
				}
				if r.Reason.ConditionIndex != wantIndex {
					t.Errorf("%s: condition_index = %d, want %d", key, r.Reason.ConditionIndex, wantIndex)
				}
			}
			for _, key := range c.Expected.Omitted {
				if _, ok := got[key]; ok {
					t.Errorf("%s: should be omitted", key)
				}
			}
		})
		if ok {
			passed++
		}
	}
	t.Logf("v1 evaluation corpus: %d/%d cases passed (%d flag expectations)", passed, len(corpus.Cases), flagsChecked)
}

func TestConsistencyVectors(t *testing.T) {
	var data struct {
		Cases []struct {
			Name       string   `json:"name"`
			FlagKey    string   `json:"flag_key"`
			Fixture    string   `json:"flag_definition_fixture"`
			DistinctID []string `json:"distinct_ids"`
			Expected   []any    `json:"expected"`
		} `json:"cases"`
	}
	conformance.Load(t, "consistency.json", &data)
	total, passed := 0, 0
	for _, c := range data.Cases {
		var entry definitions.CacheEntry
		conformance.Load(t, c.Fixture, &entry)
		set := definitions.NewFlagSet(entry.Flags, nil)
		idx := set.ByKey[c.FlagKey]
		for i, id := range c.DistinctID {
			total++
			r := Evaluate(set, &Subject{DistinctID: id, Person: map[string]any{"distinct_id": id}, TZ: time.UTC}, Options{})[idx]
			var got any
			switch c.Name {
			case "multivariate_payload":
				got = ""
				if r.Enabled {
					var s string
					if err := json.Unmarshal(r.Payload, &s); err != nil {
						t.Fatalf("%s[%d]: payload %s: %v", c.Name, i, r.Payload, err)
					}
					got = s
				}
			default:
				got = r.Value()
			}
			if got != c.Expected[i] {
				t.Errorf("%s[%d] %s: got %v, want %v", c.Name, i, id, got, c.Expected[i])
				continue
			}
			passed++
		}
	}
	t.Logf("consistency vectors: %d/%d passed", passed, total)
	if total != 3000 {
		t.Errorf("checked %d vectors, want 3000", total)
	}
}

func TestHypercacheContract(t *testing.T) {
	raw := conformance.Read(t, "hypercache_contract.json")
	var entry definitions.CacheEntry
	if err := json.Unmarshal(raw, &entry); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(entry)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	_ = json.Unmarshal(raw, &a)
	_ = json.Unmarshal(out, &b)
	ab, _ := json.Marshal(a)
	bb, _ := json.Marshal(b)
	if !bytes.Equal(ab, bb) {
		t.Errorf("round trip lost data:\n%s\n%s", ab, bb)
	}
	full := entry.Flags[0]
	if !full.EnsureExperienceContinuity || full.BucketingIdentifier != "device_id" || full.Filters.Holdout.ID != 42 ||
		!full.Filters.FeatureEnrollment || len(full.EvaluationContexts) != 2 || full.VersionOrZero() != 3 {
		t.Errorf("full flag fields: %+v", full)
	}
	set := definitions.NewFlagSet(entry.Flags, entry.Cohorts)
	pos := map[int]int{}
	for i, fi := range set.Order {
		pos[set.Flags[fi].ID] = i
	}
	if pos[4] < pos[2] {
		t.Errorf("flag 4 evaluated before its dependency 2: order %v", set.Order)
	}
	res := Evaluate(set, &Subject{DistinctID: "u1", DeviceID: "dev", Person: map[string]any{"email": "test@example.com"}, TZ: time.UTC}, Options{})
	byID := map[int]Result{}
	for _, r := range res {
		if r.Flag != nil {
			byID[r.Flag.ID] = r
		}
	}
	if r := byID[5]; r.Enabled || r.Reason.Code != CodeMissingDependency || r.Reason.ConditionIndex != -1 {
		t.Errorf("flag 5 = %+v, want missing_dependency", r.Reason)
	}
	if r := byID[4]; !r.Enabled {
		t.Errorf("flag 4 (depends on enabled flag 2) = %+v", r.Reason)
	}
	if r := byID[3]; !r.Enabled || r.Reason.Code != CodeConditionMatch {
		t.Errorf("cohort flag = %+v, want match via cohort 100", r.Reason)
	}
}
