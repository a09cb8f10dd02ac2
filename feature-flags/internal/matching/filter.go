// Package matching implements PostHog's property filter semantics
// (match_property of the Rust flags service): every operator, the string and
// number coercions, semver and date comparisons, and regexes run by a
// backtracking engine with a time limit.
package matching

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dlclark/regexp2"
)

// Operator is a property filter operator.
type Operator uint8

// Operators, named as in the filter JSON.
const (
	OpExact Operator = iota
	OpIsNot
	OpIsSet
	OpIsNotSet
	OpIcontains
	OpNotIcontains
	OpIcontainsMulti
	OpNotIcontainsMulti
	OpStartsWith
	OpNotStartsWith
	OpEndsWith
	OpNotEndsWith
	OpRegex
	OpNotRegex
	OpGt
	OpGte
	OpLt
	OpLte
	OpBetween
	OpNotBetween
	OpSemverEq
	OpSemverNeq
	OpSemverGt
	OpSemverGte
	OpSemverLt
	OpSemverLte
	OpSemverTilde
	OpSemverCaret
	OpSemverWildcard
	OpIsDateBefore
	OpIsDateAfter
	OpIsDateExact
	OpIn
	OpNotIn
	OpFlagEvaluatesTo
	OpUnknown
)

var operatorNames = map[string]Operator{
	"exact": OpExact, "is_not": OpIsNot, "is_set": OpIsSet, "is_not_set": OpIsNotSet,
	"icontains": OpIcontains, "not_icontains": OpNotIcontains,
	"icontains_multi": OpIcontainsMulti, "not_icontains_multi": OpNotIcontainsMulti,
	"starts_with": OpStartsWith, "not_starts_with": OpNotStartsWith,
	"ends_with": OpEndsWith, "not_ends_with": OpNotEndsWith,
	"regex": OpRegex, "not_regex": OpNotRegex,
	"gt": OpGt, "gte": OpGte, "lt": OpLt, "lte": OpLte,
	"between": OpBetween, "not_between": OpNotBetween,
	"semver_eq": OpSemverEq, "semver_neq": OpSemverNeq, "semver_gt": OpSemverGt,
	"semver_gte": OpSemverGte, "semver_lt": OpSemverLt, "semver_lte": OpSemverLte,
	"semver_tilde": OpSemverTilde, "semver_caret": OpSemverCaret, "semver_wildcard": OpSemverWildcard,
	"is_date_before": OpIsDateBefore, "is_date_after": OpIsDateAfter, "is_date_exact": OpIsDateExact,
	"in": OpIn, "not_in": OpNotIn, "flag_evaluates_to": OpFlagEvaluatesTo,
}

// ParseOperator maps an operator name to its Operator; an empty name is exact.
func ParseOperator(s string) Operator {
	if s == "" {
		return OpExact
	}
	if op, ok := operatorNames[s]; ok {
		return op
	}
	return OpUnknown
}

// RegexTimeout bounds one regex match; the reference caps backtracking at
// 10,000 steps (about 1 ms), a limit hit counts as no match.
const RegexTimeout = 5 * time.Millisecond

// Filter is one property filter of a flag condition or cohort, decoded from
// JSON and pre-compiled for matching. Raw keeps the original object so it can
// be written back unchanged.
type Filter struct {
	Key            string
	Value          any // nil when absent or null; see HasValue
	HasValue       bool
	OperatorName   string
	Operator       Operator
	Type           string // person, group, cohort, flag, person_metadata
	Negation       bool
	GroupTypeIndex *int
	// DependencyChain is set on flag filters in the local-evaluation feed.
	DependencyChain []string
	Raw             json.RawMessage
	// Slot, when > 0, numbers the filter among identical filters of a flag
	// set (see definitions.FlagSet) so one request matches each distinct
	// person filter once.
	Slot int

	valueString string
	valueLower  string
	truthyClass bool // filter value is a bool / "true"/"false" / array of those
	truthyValue bool
	arrayLower  []string // exact/is_not against an array filter value
	multiLower  []string // icontains_multi needles
	num         float64
	numOK       bool
	lo, hi      float64
	rangeOK     bool
	version     *Version
	req         *Requirement
	regex       *regexp2.Regexp
	regexBad    bool
	// date caches the parsed absolute filter date for one timezone.
	date atomic.Pointer[filterDate]
}

type filterDate struct {
	tz *time.Location
	t  time.Time
	ok bool
}

// filterDate parses the filter value as a date; absolute dates are cached
// per timezone, relative ones move with the clock.
func (f *Filter) filterDate(s string, tz *time.Location) (time.Time, bool) {
	if d := f.date.Load(); d != nil && d.tz == tz {
		return d.t, d.ok
	}
	t, ok := ParseDate(s, tz, time.Now())
	if !IsRelativeDate(s) {
		f.date.Store(&filterDate{tz: tz, t: t, ok: ok})
	}
	return t, ok
}

type filterJSON struct {
	Key             json.RawMessage `json:"key"`
	Value           json.RawMessage `json:"value"`
	Operator        *string         `json:"operator"`
	Type            string          `json:"type"`
	Negation        *bool           `json:"negation"`
	GroupTypeIndex  *int            `json:"group_type_index"`
	DependencyChain []string        `json:"dependency_chain"`
}

// UnmarshalJSON decodes and compiles a filter.
func (f *Filter) UnmarshalJSON(b []byte) error {
	var j filterJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("property filter: %w", err)
	}
	*f = Filter{Raw: append(json.RawMessage(nil), b...), Type: j.Type, GroupTypeIndex: j.GroupTypeIndex, DependencyChain: j.DependencyChain}
	if len(j.Key) > 0 {
		k, err := DecodeValue(j.Key)
		if err != nil {
			return fmt.Errorf("property filter key: %w", err)
		}
		f.Key = String(k)
	}
	if j.Operator != nil {
		f.OperatorName = *j.Operator
	}
	if j.Negation != nil {
		f.Negation = *j.Negation
	}
	if len(j.Value) > 0 && !bytes.Equal(bytes.TrimSpace(j.Value), []byte("null")) {
		v, err := DecodeValue(j.Value)
		if err != nil {
			return fmt.Errorf("property filter value: %w", err)
		}
		f.Value, f.HasValue = v, true
	}
	f.Compile()
	return nil
}

// MarshalJSON writes the filter as it was read.
func (f *Filter) MarshalJSON() ([]byte, error) {
	if len(f.Raw) > 0 {
		return f.Raw, nil
	}
	m := map[string]any{"key": f.Key, "value": f.Value, "type": f.Type}
	if f.OperatorName != "" {
		m["operator"] = f.OperatorName
	}
	if f.Negation {
		m["negation"] = true
	}
	if f.GroupTypeIndex != nil {
		m["group_type_index"] = *f.GroupTypeIndex
	}
	if f.DependencyChain != nil {
		m["dependency_chain"] = f.DependencyChain
	}
	return json.Marshal(m)
}

// DecodeValue decodes one JSON value keeping numbers as json.Number.
func DecodeValue(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// Compile precomputes everything about the filter value that does not depend
// on the property being matched. UnmarshalJSON calls it; call it again after
// changing fields by hand.
func (f *Filter) Compile() {
	f.Operator = ParseOperator(f.OperatorName)
	f.arrayLower, f.multiLower, f.regex, f.regexBad, f.version, f.req = nil, nil, nil, false, nil, nil
	if !f.HasValue {
		return
	}
	v := f.Value
	f.valueString = String(v)
	f.valueLower = strings.ToLower(f.valueString)
	switch f.Operator {
	case OpExact, OpIsNot:
		f.truthyClass = truthyOrFalsy(v)
		f.truthyValue = truthy(v)
		if arr, ok := v.([]any); ok {
			f.arrayLower = make([]string, len(arr))
			for i, e := range arr {
				f.arrayLower[i] = strings.ToLower(String(e))
			}
		}
	case OpIcontains, OpNotIcontains, OpStartsWith, OpNotStartsWith, OpEndsWith, OpNotEndsWith:
		f.valueLower = asciiLower(f.valueString)
	case OpIcontainsMulti, OpNotIcontainsMulti:
		if arr, ok := v.([]any); ok {
			for _, e := range arr {
				f.multiLower = append(f.multiLower, asciiLower(String(e)))
			}
		} else {
			f.multiLower = []string{asciiLower(f.valueString)}
		}
	case OpRegex, OpNotRegex:
		re, err := compileRegex(f.valueString)
		if err != nil {
			f.regexBad = true
		} else {
			f.regex = re
		}
	case OpGt, OpGte, OpLt, OpLte:
		f.num, f.numOK = Float(v)
	case OpBetween, OpNotBetween:
		if arr, ok := v.([]any); ok && len(arr) == 2 {
			lo, ok1 := Float(arr[0])
			hi, ok2 := Float(arr[1])
			f.lo, f.hi = lo, hi
			f.rangeOK = ok1 && ok2 && lo == lo && hi == hi && lo <= hi
		}
	case OpSemverEq, OpSemverNeq, OpSemverGt, OpSemverGte, OpSemverLt, OpSemverLte:
		f.version = ParseVersionLenient(f.valueString)
	case OpSemverTilde, OpSemverCaret, OpSemverWildcard:
		f.req = parseRequirement(f.Operator, f.valueString)
	}
}

func compileRegex(pattern string) (*regexp2.Regexp, error) {
	re, err := regexp2.Compile(pattern, regexp2.RE2)
	if err != nil {
		return nil, err
	}
	re.MatchTimeout = RegexTimeout
	return re, nil
}

// Match reports whether props satisfy the filter. Every error of the
// reference (bad numbers, bad regex, unsupported operator) is "no match".
// A key present with a JSON null is present; only an absent key is missing.
// tz is the team timezone used for naive dates.
func (f *Filter) Match(props map[string]any, tz *time.Location) bool {
	pv, present := props[f.Key]
	switch f.Operator {
	case OpIsSet:
		return present
	case OpIsNotSet:
		return !present
	}
	if !f.HasValue {
		return false
	}
	switch f.Operator {
	case OpExact, OpIsNot:
		if !present {
			return f.Operator == OpIsNot
		}
		return f.exact(pv) == (f.Operator == OpExact)
	case OpIcontains, OpNotIcontains:
		if !present {
			return f.Operator == OpNotIcontains
		}
		return strings.Contains(asciiLower(String(pv)), f.valueLower) == (f.Operator == OpIcontains)
	case OpStartsWith, OpNotStartsWith:
		if !present {
			return f.Operator == OpNotStartsWith
		}
		return strings.HasPrefix(asciiLower(String(pv)), f.valueLower) == (f.Operator == OpStartsWith)
	case OpEndsWith, OpNotEndsWith:
		if !present {
			return f.Operator == OpNotEndsWith
		}
		return strings.HasSuffix(asciiLower(String(pv)), f.valueLower) == (f.Operator == OpEndsWith)
	case OpIcontainsMulti, OpNotIcontainsMulti:
		if !present {
			return f.Operator == OpNotIcontainsMulti
		}
		s := asciiLower(String(pv))
		any := false
		for _, n := range f.multiLower {
			if strings.Contains(s, n) {
				any = true
				break
			}
		}
		return any == (f.Operator == OpIcontainsMulti)
	case OpRegex, OpNotRegex:
		if !present {
			return f.Operator == OpNotRegex
		}
		if f.regexBad || f.regex == nil {
			return false
		}
		ok, err := f.regex.MatchString(String(pv))
		if err != nil {
			return false
		}
		return ok == (f.Operator == OpRegex)
	case OpGt, OpGte, OpLt, OpLte:
		if !present {
			return false
		}
		x, ok := Float(pv)
		if !ok || !f.numOK {
			return false
		}
		switch f.Operator {
		case OpGt:
			return x > f.num
		case OpGte:
			return x >= f.num
		case OpLt:
			return x < f.num
		default:
			return x <= f.num
		}
	case OpBetween, OpNotBetween:
		if !present {
			return f.Operator == OpNotBetween
		}
		if !f.rangeOK {
			return false
		}
		x, ok := Float(pv)
		if !ok || x != x {
			return false
		}
		in := x >= f.lo && x <= f.hi
		return in == (f.Operator == OpBetween)
	case OpSemverEq, OpSemverNeq, OpSemverGt, OpSemverGte, OpSemverLt, OpSemverLte:
		if !present || f.version == nil {
			return false
		}
		pvv, ok := parseLenient(String(pv))
		if !ok {
			return false
		}
		c := pvv.Compare(f.version)
		switch f.Operator {
		case OpSemverEq:
			return c == 0
		case OpSemverNeq:
			return c != 0
		case OpSemverGt:
			return c > 0
		case OpSemverGte:
			return c >= 0
		case OpSemverLt:
			return c < 0
		default:
			return c <= 0
		}
	case OpSemverTilde, OpSemverCaret, OpSemverWildcard:
		if !present || f.req == nil {
			return false
		}
		pvv, ok := parseLenient(String(pv))
		if !ok {
			return false
		}
		return f.req.Matches(&pvv)
	case OpIsDateBefore, OpIsDateAfter, OpIsDateExact:
		if !present {
			return false
		}
		pd, ok := propertyDate(pv, tz)
		if !ok {
			return false
		}
		s, isStr := f.Value.(string)
		if !isStr {
			return false
		}
		fd, ok := f.filterDate(s, tz)
		if !ok {
			return false
		}
		switch f.Operator {
		case OpIsDateBefore:
			return pd.Before(fd)
		case OpIsDateAfter:
			return pd.After(fd)
		default:
			return pd.Equal(fd)
		}
	}
	// in/not_in belong to cohort matching, flag_evaluates_to to dependency
	// matching; anything else is unknown. All are "no match" here.
	return false
}

func (f *Filter) exact(pv any) bool {
	if f.truthyClass {
		return truthy(pv) == f.truthyValue
	}
	if f.arrayLower != nil {
		ps := String(pv)
		for _, e := range f.arrayLower {
			if lowerEqual(ps, e) {
				return true
			}
		}
		return false
	}
	if _, isArr := f.Value.([]any); isArr {
		return false
	}
	return lowerEqual(String(pv), f.valueLower)
}

// lowerEqual reports strings.ToLower(s) == lower without allocating when s
// is ASCII.
func lowerEqual(s, lower string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return strings.ToLower(s) == lower
		}
	}
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func truthyOrFalsy(v any) bool {
	switch x := v.(type) {
	case bool:
		return true
	case string:
		l := strings.ToLower(x)
		return l == "true" || l == "false"
	case []any:
		for _, e := range x {
			if !truthyOrFalsy(e) {
				return false
			}
		}
		return true
	}
	return false
}

func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.ToLower(x) == "true"
	case []any:
		for _, e := range x {
			if !truthy(e) {
				return false
			}
		}
		return true
	}
	return false
}

// asciiLower lowercases ASCII letters only, as the reference's
// to_ascii_lowercase does.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// CohortID returns the cohort id of a cohort filter's value (a number or a
// numeric string).
func (f *Filter) CohortID() (int, bool) {
	switch x := f.Value.(type) {
	case json.Number:
		n, err := strconv.Atoi(string(x))
		return n, err == nil
	case string:
		n, err := strconv.Atoi(x)
		return n, err == nil
	case float64:
		return int(x), x == float64(int(x))
	}
	return 0, false
}
