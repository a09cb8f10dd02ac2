// Package response renders flag results in each response version of /flags
// and legacy /decide: legacy (featureFlags + featureFlagPayloads), v2 (flags
// map with reasons and metadata), decide v1 (list of enabled keys) and decide
// v2 (map of enabled keys).
package response

import (
	"bytes"
	"encoding/json"
	"sort"

	"github.com/hoggo/feature-flags/internal/evaluation"
)

// Shape is a response version.
type Shape int

// Shapes.
const (
	Legacy Shape = iota
	V2
	DecideV1
	DecideV2
)

// Select picks the shape from the endpoint origin and the parsed v parameter
// (hasVersion false when absent).
func Select(fromDecide bool, version int, hasVersion bool) Shape {
	if !fromDecide {
		if hasVersion && version >= 2 {
			return V2
		}
		return Legacy
	}
	switch {
	case !hasVersion || version == 1:
		return DecideV1
	case version == 2:
		return DecideV2
	case version == 3:
		return Legacy
	case version >= 4:
		return V2
	}
	return DecideV1
}

// Envelope is what every shape carries besides the flags.
type Envelope struct {
	RequestID    string
	EvaluatedAt  int64
	QuotaLimited []string
	// Config fields are merged at the top level (config=true).
	Config map[string]any
	// MinimalFlagCalledEvents is added to v2 responses when the team asks.
	MinimalFlagCalledEvents bool
}

// Reason is the v2 reason object.
type Reason struct {
	Code           string  `json:"code"`
	ConditionIndex *int    `json:"condition_index"`
	Description    *string `json:"description,omitempty"`
}

// Metadata is the v2 metadata object.
type Metadata struct {
	ID            int             `json:"id"`
	Version       int             `json:"version"`
	Description   *string         `json:"description"`
	Payload       json.RawMessage `json:"payload"`
	HasExperiment bool            `json:"has_experiment"`
}

// Detail is one flag of a v2 response.
type Detail struct {
	Key      string   `json:"key"`
	Enabled  bool     `json:"enabled"`
	Variant  *string  `json:"variant"`
	Failed   bool     `json:"failed,omitempty"`
	Reason   Reason   `json:"reason"`
	Metadata Metadata `json:"metadata"`
}

type decideV1Body struct {
	FeatureFlags []string `json:"featureFlags"`
	RequestID    string   `json:"requestId"`
	EvaluatedAt  int64    `json:"evaluatedAt"`
	QuotaLimited []string `json:"quotaLimited,omitempty"`
}

type decideV2Body struct {
	FeatureFlags map[string]any `json:"featureFlags"`
	RequestID    string         `json:"requestId"`
	EvaluatedAt  int64          `json:"evaluatedAt"`
	QuotaLimited []string       `json:"quotaLimited,omitempty"`
}

// DetailOf renders one result as a v2 flag detail.
func DetailOf(r *evaluation.Result) Detail {
	d := Detail{Key: r.Flag.Key, Enabled: r.Enabled, Failed: r.Failed}
	if r.Variant != "" {
		v := r.Variant
		d.Variant = &v
	}
	d.Reason.Code = r.Reason.Code
	if r.Reason.ConditionIndex >= 0 {
		i := r.Reason.ConditionIndex
		d.Reason.ConditionIndex = &i
	}
	if desc := r.Reason.Description(); desc != "" {
		d.Reason.Description = &desc
	}
	d.Metadata = Metadata{ID: r.Flag.ID, Version: r.Flag.VersionOrZero(), Payload: r.Payload, HasExperiment: r.Flag.HasExperiment}
	if d.Metadata.Payload == nil {
		d.Metadata.Payload = json.RawMessage("null")
	}
	return d
}

// Render writes the results (entries with a nil Flag are skipped) in shape.
func Render(shape Shape, results []evaluation.Result, env Envelope) ([]byte, error) {
	return AppendRender(nil, shape, results, env)
}

// AppendRender is Render appending to dst, so callers can reuse buffers.
func AppendRender(dst []byte, shape Shape, results []evaluation.Result, env Envelope) ([]byte, error) {
	errs := false
	for i := range results {
		if results[i].Flag != nil && results[i].Failed {
			errs = true
		}
	}
	var body any
	switch shape {
	case V2:
		return mergeTop(encodeV2(dst, results, errs, &env), env.Config)
	case DecideV1:
		b := decideV1Body{FeatureFlags: []string{}, RequestID: env.RequestID, EvaluatedAt: env.EvaluatedAt, QuotaLimited: env.QuotaLimited}
		for i := range results {
			if results[i].Flag != nil && results[i].Enabled {
				b.FeatureFlags = append(b.FeatureFlags, results[i].Flag.Key)
			}
		}
		sort.Strings(b.FeatureFlags)
		body = b
	case DecideV2:
		b := decideV2Body{FeatureFlags: map[string]any{}, RequestID: env.RequestID, EvaluatedAt: env.EvaluatedAt, QuotaLimited: env.QuotaLimited}
		for i := range results {
			if results[i].Flag != nil && results[i].Enabled {
				b.FeatureFlags[results[i].Flag.Key] = results[i].Value()
			}
		}
		body = b
	default:
		return mergeTop(encodeLegacy(dst, results, errs, &env), env.Config)
	}
	out, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	return mergeTop(out, env.Config)
}

// mergeTop appends config fields to a marshalled object, skipping keys the
// shape already has.
func mergeTop(obj []byte, extra map[string]any) ([]byte, error) {
	if len(extra) == 0 {
		return obj, nil
	}
	var have map[string]json.RawMessage
	if err := json.Unmarshal(obj, &have); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		if _, dup := have[k]; !dup {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.Write(obj[:len(obj)-1])
	for _, k := range keys {
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(extra[k])
		if err != nil {
			return nil, err
		}
		b.WriteByte(',')
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
