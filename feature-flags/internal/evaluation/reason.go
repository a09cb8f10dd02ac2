// Package evaluation decides every flag of a FlagSet for one subject: early
// access, holdouts, conditions in stored order with the reference's reason
// priority, rollout and variant hashing, payloads, flag dependencies and
// cohorts.
package evaluation

import "strconv"

// Reason codes, as serialised in responses.
const (
	CodeConditionMatch        = "condition_match"
	CodeNoConditionMatch      = "no_condition_match"
	CodeOutOfRolloutBound     = "out_of_rollout_bound"
	CodeNoGroupType           = "no_group_type"
	CodeSuperConditionValue   = "super_condition_value"
	CodeHoldoutConditionValue = "holdout_condition_value"
	CodeFlagDisabled          = "flag_disabled"
	CodeMissingDependency     = "missing_dependency"
)

// kind is an internal match reason; two kinds share no_condition_match.
type kind int8

const (
	kMissingDependency kind = iota
	kFlagDisabled
	kNoGroupType
	kNoConditionMatch
	kNoConditionMatchGroupsNotEvaluated
	kOutOfRolloutBound
	kConditionMatch
	kHoldout
	kSuperCondition
)

func (k kind) score() int {
	switch k {
	case kSuperCondition:
		return 6
	case kHoldout:
		return 5
	case kConditionMatch:
		return 4
	case kOutOfRolloutBound:
		return 3
	case kNoConditionMatch, kNoConditionMatchGroupsNotEvaluated:
		return 2
	case kNoGroupType:
		return 1
	case kFlagDisabled:
		return 0
	}
	return -1
}

func (k kind) code() string {
	switch k {
	case kSuperCondition:
		return CodeSuperConditionValue
	case kHoldout:
		return CodeHoldoutConditionValue
	case kConditionMatch:
		return CodeConditionMatch
	case kOutOfRolloutBound:
		return CodeOutOfRolloutBound
	case kNoConditionMatch, kNoConditionMatchGroupsNotEvaluated:
		return CodeNoConditionMatch
	case kNoGroupType:
		return CodeNoGroupType
	case kFlagDisabled:
		return CodeFlagDisabled
	}
	return CodeMissingDependency
}

// Reason explains a flag result. ConditionIndex is -1 for null.
type Reason struct {
	Code           string
	ConditionIndex int
	// GroupsNotEvaluated marks the no_condition_match variant where group
	// conditions were skipped for lack of a group key.
	GroupsNotEvaluated bool
}

func reasonOf(k kind, index int) Reason {
	return Reason{Code: k.code(), ConditionIndex: index, GroupsNotEvaluated: k == kNoConditionMatchGroupsNotEvaluated}
}

var matchedDescriptions = func() []string {
	out := make([]string, 32)
	for i := range out {
		out[i] = "Matched condition set " + strconv.Itoa(i+1)
	}
	return out
}()

// Description is the human-readable reason shown in v2 responses; it is
// built on demand so evaluation does not allocate it.
func (r Reason) Description() string {
	switch r.Code {
	case CodeConditionMatch:
		i := max(r.ConditionIndex, 0)
		if i < len(matchedDescriptions) {
			return matchedDescriptions[i]
		}
		return "Matched condition set " + strconv.Itoa(i+1)
	case CodeNoConditionMatch:
		if r.GroupsNotEvaluated {
			return "No matching condition set (group conditions were not evaluated because no group type was provided)"
		}
		return "No matching condition set"
	case CodeOutOfRolloutBound:
		return "Out of rollout bound"
	case CodeNoGroupType:
		return "No group type"
	case CodeSuperConditionValue:
		return "Super condition value"
	case CodeHoldoutConditionValue:
		return "Holdout condition value"
	case CodeFlagDisabled:
		return "Feature flag is disabled"
	case CodeMissingDependency:
		return "Flag cannot be evaluated due to missing dependency"
	}
	return describeError(r.Code)
}
