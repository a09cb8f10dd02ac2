// Package definitions holds a project's feature flag definitions as read from
// posthog_featureflag or the Django flags cache, and the prepared FlagSet the
// evaluator works on (flag lookup, dependency order, cohorts).
package definitions

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/hoggo/feature-flags/internal/cohorts"
	"github.com/hoggo/feature-flags/internal/matching"
)

// Flag is one feature flag. Raw keeps the JSON it was read from so the
// definitions feed and the cache round-trip without loss.
type Flag struct {
	ID                         int      `json:"id"`
	TeamID                     int      `json:"team_id"`
	Name                       string   `json:"name"`
	Key                        string   `json:"key"`
	Filters                    Filters  `json:"filters"`
	Deleted                    bool     `json:"deleted"`
	Active                     bool     `json:"active"`
	EnsureExperienceContinuity bool     `json:"ensure_experience_continuity"`
	Version                    *int     `json:"version"`
	EvaluationRuntime          string   `json:"evaluation_runtime"`
	BucketingIdentifier        string   `json:"bucketing_identifier"`
	EvaluationContexts         []string `json:"evaluation_contexts"`
	// HasExperiment is set from the flags cache when a non-deleted experiment
	// links to the flag.
	HasExperiment bool `json:"-"`

	Raw json.RawMessage `json:"-"`
}

type flagAlias Flag

type flagJSON struct {
	flagAlias
	Version             json.RawMessage `json:"version"`
	EnsureEEC           *bool           `json:"ensure_experience_continuity"`
	EvaluationRuntime   *string         `json:"evaluation_runtime"`
	BucketingIdentifier *string         `json:"bucketing_identifier"`
	Active              *bool           `json:"active"`
	HasExperiment       *bool           `json:"has_experiment"`
}

// UnmarshalJSON decodes a flag; a missing "active" means active, nulls mean
// the field's zero value.
func (f *Flag) UnmarshalJSON(b []byte) error {
	var j flagJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("flag: %w", err)
	}
	*f = Flag(j.flagAlias)
	f.Active = j.Active == nil || *j.Active
	f.EnsureExperienceContinuity = j.EnsureEEC != nil && *j.EnsureEEC
	if j.EvaluationRuntime != nil {
		f.EvaluationRuntime = *j.EvaluationRuntime
	}
	if j.BucketingIdentifier != nil {
		f.BucketingIdentifier = *j.BucketingIdentifier
	}
	f.HasExperiment = j.HasExperiment != nil && *j.HasExperiment
	if v := bytes.TrimSpace(j.Version); len(v) > 0 && !bytes.Equal(v, []byte("null")) {
		var n json.Number
		if err := json.Unmarshal(v, &n); err != nil {
			return fmt.Errorf("flag version: %w", err)
		}
		i, err := n.Int64()
		if err != nil {
			fl, ferr := n.Float64()
			if ferr != nil {
				return fmt.Errorf("flag version: %w", err)
			}
			i = int64(fl)
		}
		iv := int(i)
		f.Version = &iv
	}
	f.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// MarshalJSON writes the flag as it was read (or from its fields when built
// in code).
func (f Flag) MarshalJSON() ([]byte, error) {
	if len(f.Raw) > 0 {
		return f.Raw, nil
	}
	m := map[string]any{
		"id": f.ID, "team_id": f.TeamID, "name": f.Name, "key": f.Key, "filters": f.Filters,
		"deleted": f.Deleted, "active": f.Active, "ensure_experience_continuity": f.EnsureExperienceContinuity,
		"version": f.Version, "evaluation_runtime": nilIfEmpty(f.EvaluationRuntime),
		"bucketing_identifier": nilIfEmpty(f.BucketingIdentifier), "evaluation_contexts": f.EvaluationContexts,
	}
	return json.Marshal(m)
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// VersionOrZero is the flag's version for response metadata.
func (f *Flag) VersionOrZero() int {
	if f.Version == nil {
		return 0
	}
	return *f.Version
}

// Filters is the filters JSON of a flag.
type Filters struct {
	Groups                    []Condition                `json:"groups"`
	Multivariate              *Multivariate              `json:"multivariate"`
	AggregationGroupTypeIndex *int                       `json:"aggregation_group_type_index"`
	Payloads                  map[string]json.RawMessage `json:"payloads"`
	SuperGroups               []Condition                `json:"super_groups"`
	FeatureEnrollment         bool                       `json:"feature_enrollment"`
	Holdout                   *Holdout                   `json:"holdout"`
	EarlyExit                 bool                       `json:"early_exit"`
}

// Multivariate lists a flag's variants in stored order.
type Multivariate struct {
	Variants []Variant `json:"variants"`
}

// Variant is one variant with its share in percent.
type Variant struct {
	Key               string  `json:"key"`
	Name              *string `json:"name,omitempty"`
	RolloutPercentage float64 `json:"rollout_percentage"`
}

// Holdout is a flag's holdout group.
type Holdout struct {
	ID                  int     `json:"id"`
	ExclusionPercentage float64 `json:"exclusion_percentage"`
}

// Condition is one condition set (a "group" of the filters).
type Condition struct {
	Properties        []*matching.Filter `json:"properties"`
	RolloutPercentage *float64           `json:"rollout_percentage"`
	Variant           *string            `json:"variant"`
	// AggregationSet is true when the condition carries its own
	// aggregation_group_type_index key (null meaning "person"), which then
	// overrides the flag-level aggregation.
	AggregationSet            bool `json:"-"`
	AggregationGroupTypeIndex *int `json:"-"`
}

// UnmarshalJSON decodes a condition and records whether it has its own
// aggregation key.
func (c *Condition) UnmarshalJSON(b []byte) error {
	var j struct {
		Properties        []*matching.Filter `json:"properties"`
		RolloutPercentage json.RawMessage    `json:"rollout_percentage"`
		Variant           *string            `json:"variant"`
		Aggregation       json.RawMessage    `json:"aggregation_group_type_index"`
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return fmt.Errorf("condition: %w", err)
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("condition: %w", err)
	}
	*c = Condition{Properties: j.Properties, Variant: j.Variant}
	if r := bytes.TrimSpace(j.RolloutPercentage); len(r) > 0 && !bytes.Equal(r, []byte("null")) {
		var p float64
		if err := json.Unmarshal(r, &p); err != nil {
			return fmt.Errorf("condition rollout_percentage: %w", err)
		}
		c.RolloutPercentage = &p
	}
	if raw, ok := keys["aggregation_group_type_index"]; ok {
		c.AggregationSet = true
		if a := bytes.TrimSpace(raw); !bytes.Equal(a, []byte("null")) {
			var i int
			if err := json.Unmarshal(a, &i); err != nil {
				return fmt.Errorf("condition aggregation_group_type_index: %w", err)
			}
			c.AggregationGroupTypeIndex = &i
		}
	}
	return nil
}

// MarshalJSON writes the condition back with its own aggregation key only
// when it had one.
func (c Condition) MarshalJSON() ([]byte, error) {
	m := map[string]any{"properties": c.Properties, "rollout_percentage": c.RolloutPercentage, "variant": c.Variant}
	if c.Properties == nil {
		m["properties"] = []any{}
	}
	if c.AggregationSet {
		m["aggregation_group_type_index"] = c.AggregationGroupTypeIndex
	}
	return json.Marshal(m)
}

// Rollout is the condition's rollout percentage; null means 100.
func (c *Condition) Rollout() float64 {
	if c.RolloutPercentage == nil {
		return 100
	}
	return *c.RolloutPercentage
}

// Aggregation is the group type index a condition of flag f hashes on, nil
// for persons.
func (c *Condition) Aggregation(f *Flag) *int {
	if c.AggregationSet {
		return c.AggregationGroupTypeIndex
	}
	return f.Filters.AggregationGroupTypeIndex
}

// VariantKeys reports whether key names one of the flag's variants.
func (f *Flag) HasVariant(key string) bool {
	if f.Filters.Multivariate == nil {
		return false
	}
	for _, v := range f.Filters.Multivariate.Variants {
		if v.Key == key {
			return true
		}
	}
	return false
}

// Payload returns the stored payload for key ("true" or a variant), nil when
// there is none.
func (f *Flag) Payload(key string) json.RawMessage {
	p, ok := f.Filters.Payloads[key]
	if !ok || bytes.Equal(bytes.TrimSpace(p), []byte("null")) {
		return nil
	}
	return p
}

// CacheEntry is the flags HyperCache value written by Django
// (cache/teams/{id}/feature_flags/flags.json) and the shape of a local
// evaluation fixture.
type CacheEntry struct {
	Flags              []*Flag             `json:"flags"`
	EvaluationMetadata *EvaluationMetadata `json:"evaluation_metadata,omitempty"`
	Cohorts            []*cohorts.Cohort   `json:"cohorts"`
	GroupTypeMapping   map[string]string   `json:"group_type_mapping,omitempty"`
}

// EvaluationMetadata is the dependency information precomputed by the cache
// builder; FlagSet recomputes it, so it is kept only for round-tripping.
type EvaluationMetadata struct {
	DependencyStages     [][]int          `json:"dependency_stages"`
	FlagsWithMissingDeps []int            `json:"flags_with_missing_deps"`
	TransitiveDeps       map[string][]int `json:"transitive_deps"`
}
