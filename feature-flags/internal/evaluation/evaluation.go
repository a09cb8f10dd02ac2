package evaluation

import (
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/hoggo/feature-flags/internal/cohorts"
	"github.com/hoggo/feature-flags/internal/definitions"
	"github.com/hoggo/feature-flags/internal/hash"
	"github.com/hoggo/feature-flags/internal/matching"
)

// Per-flag failure codes produced by the evaluator itself.
const (
	CodeDependencyNotFoundCohort = "dependency_not_found_cohort"
	CodeDependencyCycleCohort    = "dependency_cycle_cohort"
	CodeDependencyCycleFlag      = "dependency_cycle_flag"
)

// Subject is everything known about who the flags are evaluated for.
type Subject struct {
	DistinctID     string
	DeviceID       string
	AnonDistinctID string
	// Groups maps group type name to the group key from the request.
	Groups map[string]any
	// GroupTypes maps group type index to name (posthog_grouptypemapping).
	GroupTypes map[int]string
	// Person is the person's properties: database values, then request
	// overrides, then the $initial_ back-fill.
	Person map[string]any
	// GroupProperties are the properties per group type index.
	GroupProperties map[int]map[string]any
	// HashKeyOverrides maps flag key to the experience-continuity hash key.
	HashKeyOverrides map[string]string
	// StaticCohorts is the person's membership of the team's static cohorts.
	StaticCohorts map[int]bool
	TZ            *time.Location
}

// Result is the outcome for one flag.
type Result struct {
	Flag    *definitions.Flag
	Enabled bool
	Variant string // "" when no variant was assigned
	Payload json.RawMessage
	Reason  Reason
	Failed  bool
}

// Value is the legacy value of the result: the variant, else the boolean.
func (r *Result) Value() any {
	if r.Variant != "" {
		return r.Variant
	}
	return r.Enabled
}

// Options narrows an evaluation.
type Options struct {
	// Only, when non-nil, is the set of flag indexes to evaluate (requested
	// flags plus their dependencies).
	Only map[int]bool
	// Excluded flags (runtime or tag filters) are not evaluated; as
	// dependencies they count as false.
	Excluded map[int]bool
	// Failed pre-fails flags with an error code (e.g. a database error for
	// flags that needed the database, a hash-key override error).
	Failed map[int]string
	// Results, when its capacity suffices, is reused (cleared) for the
	// returned slice, so callers can recycle it between requests.
	Results []Result
}

// Evaluate decides every active flag of set for s. The returned slice is
// indexed like set.Flags; entries for flags that were not evaluated (inactive,
// deleted, excluded, not requested) have a nil Flag.
func Evaluate(set *definitions.FlagSet, s *Subject, opt Options) []Result {
	results := opt.Results
	if cap(results) >= len(set.Flags) {
		results = results[:len(set.Flags)]
		clear(results)
	} else {
		results = make([]Result, len(set.Flags))
	}
	e := evaluator{set: set, s: s, results: results, memo: make([]uint8, set.Slots+1)}
	e.cohorts = cohorts.Evaluator{
		Cohorts:    set.Cohorts,
		Static:     func(id int) bool { return s.StaticCohorts[id] },
		Properties: s.Person,
		TZ:         s.TZ,
	}
	for _, i := range set.Order {
		f := set.Flags[i]
		if !f.Active || f.Deleted || opt.Excluded[i] {
			continue
		}
		if opt.Only != nil && !opt.Only[i] {
			continue
		}
		r := &e.results[i]
		r.Flag = f
		switch {
		case opt.Failed[i] != "":
			e.fail(r, opt.Failed[i])
		case set.InCycle[i]:
			e.fail(r, CodeDependencyCycleFlag)
		case set.MissingDeps[i]:
			r.Reason = reasonOf(kMissingDependency, -1)
		default:
			e.match(i, r)
		}
	}
	return e.results
}

type evaluator struct {
	set     *definitions.FlagSet
	s       *Subject
	results []Result
	cohorts cohorts.Evaluator
	// rollout memoises the rollout hash of the current flag for one
	// identifier: conditions of a flag usually share it.
	rolloutKey, rolloutID string
	rolloutHash           float64
	// memo caches person-filter results by Filter.Slot: 0 unknown, 1 no
	// match, 2 match.
	memo []uint8
}

func (e *evaluator) rolloutBucket(flagKey, id string) float64 {
	if e.rolloutKey == flagKey && e.rolloutID == id {
		return e.rolloutHash
	}
	h := hash.Rollout(flagKey, id)
	e.rolloutKey, e.rolloutID, e.rolloutHash = flagKey, id, h
	return h
}

func (e *evaluator) fail(r *Result, code string) {
	r.Failed = true
	r.Enabled = false
	r.Variant = ""
	r.Payload = nil
	r.Reason = Reason{Code: code, ConditionIndex: -1}
}

// describeError renders the description of a per-flag error code.
func describeError(code string) string {
	switch code {
	case CodeDependencyNotFoundCohort:
		return "Dependency not found: cohort"
	case CodeDependencyCycleCohort:
		return "Dependency cycle: cohort"
	case CodeDependencyCycleFlag:
		return "Dependency cycle: flag"
	case "hash_key_override_error":
		return "Hash key override error"
	}
	return "Error: " + code
}

// errFlag carries a per-flag failure code out of condition matching.
type errFlag struct{ code string }

func (e errFlag) Error() string { return e.code }

func (e *evaluator) match(i int, r *Result) {
	f := r.Flag
	person := e.s.Person
	// 1. Early access, current format.
	if f.Filters.FeatureEnrollment {
		if v, ok := person["$feature_enrollment/"+f.Key]; ok {
			on := v == true || v == "true"
			r.Enabled = on
			r.Reason = reasonOf(kSuperCondition, 0)
			r.Payload = f.Payload("true") // returned even when not enrolled, as the reference does
			return
		}
	}
	// 2. Early access, legacy super groups: only the first one counts.
	if len(f.Filters.SuperGroups) > 0 {
		sg := &f.Filters.SuperGroups[0]
		relevant := false
		for _, p := range sg.Properties {
			if _, ok := person[p.Key]; ok {
				relevant = true
				break
			}
		}
		if relevant {
			id := e.personIdentifier(f, true)
			k, err := e.condition(f, sg, nil, id)
			if err != nil {
				e.fail(r, failCode(err))
				return
			}
			r.Reason = reasonOf(kSuperCondition, 0)
			if k == kConditionMatch {
				r.Enabled = true
				r.Payload = f.Payload("true")
			}
			return
		}
	}
	// 3. Holdout.
	if h := f.Filters.Holdout; h != nil {
		p := min(max(h.ExclusionPercentage, 0), 100)
		if p >= 100 || hash.Holdout(e.holdoutIdentifier(f)) <= p/100 {
			variant := "holdout-" + strconv.Itoa(h.ID)
			r.Enabled = true
			r.Variant = variant
			r.Reason = reasonOf(kHoldout, -1)
			r.Payload = f.Payload(variant)
			return
		}
	}
	// 4. Conditions in stored order.
	best, bestIndex := kNoGroupType, -1
	groupSkipped := false
	update := func(k kind, idx int) {
		if k.score() >= best.score() {
			best, bestIndex = k, idx
		}
	}
	for ci := range f.Filters.Groups {
		c := &f.Filters.Groups[ci]
		agg := c.Aggregation(f)
		var id string
		if agg == nil {
			if f.BucketingIdentifier == "device_id" && e.s.DeviceID == "" {
				update(kOutOfRolloutBound, ci)
				continue
			}
			id = e.personIdentifier(f, true)
		} else {
			gid, ok := e.groupIdentifier(*agg)
			if !ok {
				update(kNoGroupType, ci)
				groupSkipped = true
				continue
			}
			id = gid
		}
		k, err := e.condition(f, c, agg, id)
		if err != nil {
			e.fail(r, failCode(err))
			return
		}
		update(k, ci)
		if k == kConditionMatch {
			variant := ""
			if c.Variant != nil && f.HasVariant(*c.Variant) {
				variant = *c.Variant
			} else {
				variant = pickVariant(f, id)
			}
			r.Enabled = true
			r.Variant = variant
			if variant != "" {
				r.Payload = f.Payload(variant)
			} else {
				r.Payload = f.Payload("true")
			}
			r.Reason = reasonOf(best, bestIndex)
			return
		}
		if f.Filters.EarlyExit && k == kOutOfRolloutBound {
			r.Reason = reasonOf(kOutOfRolloutBound, ci)
			return
		}
	}
	if best == kNoConditionMatch && groupSkipped {
		best = kNoConditionMatchGroupsNotEvaluated
	}
	r.Reason = reasonOf(best, bestIndex)
}

func failCode(err error) string {
	var ef errFlag
	if errors.As(err, &ef) {
		return ef.code
	}
	return "internal_error"
}

// personIdentifier picks the hashing identifier for person-aggregated
// conditions: device id (device bucketing), the stored hash-key override,
// the anonymous id for experience-continuity flags, else the distinct id.
func (e *evaluator) personIdentifier(f *definitions.Flag, useOverride bool) string {
	if f.BucketingIdentifier == "device_id" && e.s.DeviceID != "" {
		return e.s.DeviceID
	}
	if useOverride {
		if hk, ok := e.s.HashKeyOverrides[f.Key]; ok {
			return hk
		}
	}
	if f.EnsureExperienceContinuity && e.s.AnonDistinctID != "" {
		return e.s.AnonDistinctID
	}
	return e.s.DistinctID
}

func (e *evaluator) holdoutIdentifier(f *definitions.Flag) string {
	if agg := f.Filters.AggregationGroupTypeIndex; agg != nil {
		id, _ := e.groupIdentifier(*agg)
		return id
	}
	return e.personIdentifier(f, false)
}

// groupIdentifier is the key of the subject's group of type index; false when
// the type is unknown or the request has no usable key for it.
func (e *evaluator) groupIdentifier(index int) (string, bool) {
	name, ok := e.s.GroupTypes[index]
	if !ok {
		return "", false
	}
	v, ok := e.s.Groups[name]
	if !ok {
		return "", false
	}
	switch x := v.(type) {
	case string:
		return x, x != ""
	case json.Number, float64, int, int64:
		return matching.String(x), true
	}
	return "", false
}

// condition matches one condition set: property filters in order (short-
// circuiting), then cohort filters together, then the rollout.
func (e *evaluator) condition(f *definitions.Flag, c *definitions.Condition, agg *int, id string) (kind, error) {
	hasCohort := false
	for _, p := range c.Properties {
		switch p.Type {
		case "cohort":
			hasCohort = true
			continue
		case "flag":
			if !e.dependency(p) {
				return kNoConditionMatch, nil
			}
			continue
		}
		if !e.matchFilter(p, agg) {
			return kNoConditionMatch, nil
		}
	}
	if hasCohort {
		for _, p := range c.Properties {
			if p.Type != "cohort" {
				continue
			}
			cid, ok := p.CohortID()
			if !ok {
				return kNoConditionMatch, nil
			}
			member, err := e.cohorts.Member(cid)
			if err != nil {
				if errors.Is(err, cohorts.ErrCycle) {
					return 0, errFlag{CodeDependencyCycleCohort}
				}
				return 0, errFlag{CodeDependencyNotFoundCohort}
			}
			if p.Operator == matching.OpNotIn {
				member = !member
			}
			if !member {
				return kNoConditionMatch, nil
			}
		}
	}
	if rollout := c.Rollout(); rollout >= 100 || hash.Included(e.rolloutBucket(f.Key, id), rollout) {
		return kConditionMatch, nil
	}
	return kOutOfRolloutBound, nil
}

// matchFilter matches a property filter, remembering results of filters on
// person properties (identical filters recur across a project's flags).
func (e *evaluator) matchFilter(p *matching.Filter, agg *int) bool {
	person := p.Type == "person" || (agg == nil && p.Type != "group" && p.Type != "person_metadata")
	if !person || p.Slot <= 0 || p.Slot >= len(e.memo) {
		return p.Match(e.properties(p, agg), e.s.TZ)
	}
	switch e.memo[p.Slot] {
	case 1:
		return false
	case 2:
		return true
	}
	ok := p.Match(e.s.Person, e.s.TZ)
	e.memo[p.Slot] = 1
	if ok {
		e.memo[p.Slot] = 2
	}
	return ok
}

func (e *evaluator) properties(p *matching.Filter, agg *int) map[string]any {
	switch p.Type {
	case "person":
		return e.s.Person
	case "group":
		if p.GroupTypeIndex != nil {
			return e.s.GroupProperties[*p.GroupTypeIndex]
		}
		if agg != nil {
			return e.s.GroupProperties[*agg]
		}
		return nil
	case "person_metadata":
		return nil
	}
	if agg != nil {
		return e.s.GroupProperties[*agg]
	}
	return e.s.Person
}

// dependency evaluates a flag_evaluates_to filter against the already decided
// dependency: true = any enabled value, false = disabled, a string = that
// variant.
func (e *evaluator) dependency(p *matching.Filter) bool {
	if p.Operator != matching.OpFlagEvaluatesTo {
		return false
	}
	t := e.set.DependencyTarget(p)
	if t < 0 {
		return false
	}
	dep := &e.results[t] // zero (disabled) when the dependency was not evaluated
	enabled := dep.Enabled && !dep.Failed
	switch v := p.Value.(type) {
	case bool:
		if v {
			return enabled
		}
		return !enabled
	case string:
		return enabled && dep.Variant == v
	}
	return false
}

// pickVariant returns the variant whose cumulative share contains the
// identifier's variant hash, "" when the shares end below it.
func pickVariant(f *definitions.Flag, id string) string {
	mv := f.Filters.Multivariate
	if mv == nil || len(mv.Variants) == 0 {
		return ""
	}
	h := hash.Variant(f.Key, id)
	c := 0.0
	for _, v := range mv.Variants {
		c += v.RolloutPercentage / 100
		if h < c {
			return v.Key
		}
	}
	return ""
}
