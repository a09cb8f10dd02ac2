package response

import (
	"encoding/json"
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
	t.Logf("legacy projection: %d cases, %d renderings checked", len(corpus.Cases), checked)
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
