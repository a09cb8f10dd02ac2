package response

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/hoggo/feature-flags/internal/conformance"
	"github.com/hoggo/feature-flags/internal/definitions"
	"github.com/hoggo/feature-flags/internal/evaluation"
)

type projectionCase struct {
	ID      string `json:"id"`
	Outcome struct {
		Key     string          `json:"key"`
		FlagID  int             `json:"flag_id"`
		Version int             `json:"flag_version"`
		Enabled bool            `json:"enabled"`
		Variant *string         `json:"variant"`
		Payload json.RawMessage `json:"payload"`
		Failed  bool            `json:"failed"`
		Omitted bool            `json:"omitted"`
		Reason  struct {
			Code           string `json:"code"`
			ConditionIndex *int   `json:"condition_index"`
		} `json:"reason"`
	} `json:"outcome"`
	Projections map[string]map[string]any `json:"projections"`
}

// subset reports whether every field of want is in got with the same value
// (objects compared recursively, other values exactly).
func subset(t *testing.T, path string, want, got any) {
	t.Helper()
	wm, ok := want.(map[string]any)
	if !ok {
		if !reflect.DeepEqual(want, got) {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
		return
	}
	gm, ok := got.(map[string]any)
	if !ok {
		t.Errorf("%s = %v, want an object", path, got)
		return
	}
	if len(wm) == 0 && len(gm) != 0 {
		t.Errorf("%s = %v, want {}", path, gm)
	}
	for k, wv := range wm {
		if k == "response_version" {
			continue
		}
		gv, ok := gm[k]
		if !ok {
			t.Errorf("%s.%s missing", path, k)
			continue
		}
		subset(t, path+"."+k, wv, gv)
	}
}

func TestLegacyProjection(t *testing.T) {
	var corpus struct {
		Cases []projectionCase `json:"cases"`
	}
	conformance.Load(t, "rules_v2_contract/1.2.0/corpus/legacy_projection.json", &corpus)
	shapes := map[string]Shape{"flags_v2": V2, "flags_v1": Legacy, "decide_v2": DecideV2, "decide_v1": DecideV1}
	checked := 0
	for _, c := range corpus.Cases {
		t.Run(c.ID, func(t *testing.T) {
			o := c.Outcome
			v := o.Version
			flag := &definitions.Flag{ID: o.FlagID, Key: o.Key, Version: &v, Active: true}
			r := evaluation.Result{Flag: flag, Enabled: o.Enabled, Failed: o.Failed, Reason: evaluation.Reason{Code: o.Reason.Code, ConditionIndex: -1}}
			if o.Reason.ConditionIndex != nil {
				r.Reason.ConditionIndex = *o.Reason.ConditionIndex
			}
			if o.Variant != nil {
				r.Variant = *o.Variant
			}
			if string(o.Payload) != "null" && len(o.Payload) > 0 {
				r.Payload = o.Payload
			}
			results := []evaluation.Result{r}
			if o.Omitted {
				results = []evaluation.Result{{}}
			}
			for name, want := range c.Projections {
				b, err := Render(shapes[name], results, Envelope{RequestID: "r", EvaluatedAt: 1})
				if err != nil {
					t.Fatal(err)
				}
				var got map[string]any
				if err := json.Unmarshal(b, &got); err != nil {
					t.Fatal(err)
				}
				subset(t, name, want, got)
				checked++
			}
		})
	}
	if checked == 0 {
		t.Fatal("legacy projection corpus rendered nothing")
	}
	t.Logf("legacy projection: %d cases, %d renderings checked", len(corpus.Cases), checked)
}

type legacyBody struct {
	Errors       bool                       `json:"errorsWhileComputingFlags"`
	FeatureFlags map[string]any             `json:"featureFlags"`
	Payloads     map[string]json.RawMessage `json:"featureFlagPayloads"`
	RequestID    string                     `json:"requestId"`
	EvaluatedAt  int64                      `json:"evaluatedAt"`
	QuotaLimited []string                   `json:"quotaLimited,omitempty"`
}

type v2Body struct {
	Errors       bool              `json:"errorsWhileComputingFlags"`
	Flags        map[string]Detail `json:"flags"`
	RequestID    string            `json:"requestId"`
	EvaluatedAt  int64             `json:"evaluatedAt"`
	QuotaLimited []string          `json:"quotaLimited,omitempty"`
	Minimal      bool              `json:"minimalFlagCalledEvents,omitempty"`
}

// TestEncodersMatchReflection checks the hand-written encoders against
// encoding/json on the documented structs, including awkward strings.
func TestEncodersMatchReflection(t *testing.T) {
	v := 3
	flags := []*definitions.Flag{
		{ID: 1, Key: "plain", Version: &v},
		{ID: 2, Key: "quo\"te\\ \n\t\u0001 é 😀 <&>", HasExperiment: true},
		{ID: 3, Key: "bad-\xff-utf8"},
	}
	results := []evaluation.Result{
		{Flag: flags[0], Enabled: true, Payload: json.RawMessage(`{"a":[1,2]}`), Reason: evaluation.Reason{Code: "condition_match", ConditionIndex: 1}},
		{Flag: flags[1], Variant: "tëst\"", Enabled: true, Reason: evaluation.Reason{Code: "holdout_condition_value", ConditionIndex: -1}},
		{},
		{Flag: flags[2], Failed: true, Reason: evaluation.Reason{Code: "timeout", ConditionIndex: -1}},
	}
	env := Envelope{RequestID: "id", EvaluatedAt: 42, QuotaLimited: []string{"x"}}
	wantV2 := v2Body{Errors: true, Flags: map[string]Detail{}, RequestID: "id", EvaluatedAt: 42, QuotaLimited: []string{"x"}}
	wantLegacy := legacyBody{Errors: true, FeatureFlags: map[string]any{}, Payloads: map[string]json.RawMessage{}, RequestID: "id", EvaluatedAt: 42, QuotaLimited: []string{"x"}}
	for i := range results {
		if results[i].Flag == nil {
			continue
		}
		wantV2.Flags[results[i].Flag.Key] = DetailOf(&results[i])
		wantLegacy.FeatureFlags[results[i].Flag.Key] = results[i].Value()
		if results[i].Payload != nil {
			wantLegacy.Payloads[results[i].Flag.Key] = results[i].Payload
		}
	}
	for name, c := range map[string]struct {
		shape Shape
		want  any
	}{"v2": {V2, wantV2}, "legacy": {Legacy, wantLegacy}} {
		got, err := Render(c.shape, results, env)
		if err != nil {
			t.Fatal(err)
		}
		wantJSON, _ := json.Marshal(c.want)
		var a, b any
		if err := json.Unmarshal(got, &a); err != nil {
			t.Fatalf("%s: invalid JSON %s: %v", name, got, err)
		}
		_ = json.Unmarshal(wantJSON, &b)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s:\n got  %s\n want %s", name, got, wantJSON)
		}
	}
}

func TestSelect(t *testing.T) {
	cases := []struct {
		decide bool
		v      int
		hasV   bool
		want   Shape
	}{
		{false, 0, false, Legacy}, {false, 1, true, Legacy}, {false, 2, true, V2}, {false, 3, true, V2},
		{true, 0, false, DecideV1}, {true, 1, true, DecideV1}, {true, 2, true, DecideV2}, {true, 3, true, Legacy},
		{true, 4, true, V2}, {true, 7, true, V2}, {true, 0, true, DecideV1}, {true, -1, true, DecideV1},
	}
	for _, c := range cases {
		if got := Select(c.decide, c.v, c.hasV); got != c.want {
			t.Errorf("Select(%v,%d,%v) = %v, want %v", c.decide, c.v, c.hasV, got, c.want)
		}
	}
}

func TestConfigMerge(t *testing.T) {
	b, err := Render(V2, nil, Envelope{RequestID: "r", EvaluatedAt: 5, QuotaLimited: []string{"feature_flags"},
		Config: map[string]any{"supportedCompression": []string{"gzip", "gzip-js"}, "requestId": "ignored"}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"errorsWhileComputingFlags":false,"flags":{},"requestId":"r","evaluatedAt":5,"quotaLimited":["feature_flags"],"supportedCompression":["gzip","gzip-js"]}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}

func BenchmarkRenderV2(b *testing.B) {
	results := make([]evaluation.Result, 50)
	for i := range results {
		v := i
		results[i] = evaluation.Result{Flag: &definitions.Flag{ID: i, Key: fmt.Sprintf("flag-%02d", i), Version: &v}, Enabled: i%2 == 0,
			Payload: json.RawMessage(`{"n":1}`), Reason: evaluation.Reason{Code: "condition_match", ConditionIndex: 0}}
	}
	env := Envelope{RequestID: "0f8b6c1e-6c3a-4f4e-9a55-0d1f2b3c4d5e", EvaluatedAt: 1730000000000}
	b.ReportAllocs()
	for b.Loop() {
		out, _ := Render(V2, results, env)
		b.SetBytes(int64(len(out)))
	}
}
