package definitions

import (
	"sort"
	"strconv"

	"github.com/hoggo/feature-flags/internal/cohorts"
	"github.com/hoggo/feature-flags/internal/matching"
)

// FlagSet is a project's flags prepared for evaluation: dependency filters
// resolved to flags, evaluation order computed (Kahn's algorithm over the
// flag_evaluates_to graph), flags with missing dependencies and cycles marked.
// A FlagSet is immutable and shared by concurrent requests.
type FlagSet struct {
	Flags   []*Flag // every flag as loaded, in stored order
	ByKey   map[string]int
	Cohorts map[int]*cohorts.Cohort
	// GroupTypeMapping maps group type index (as a string) to its name when
	// the definitions carry it (fixtures, the local-evaluation feed).
	GroupTypeMapping map[string]string

	// Order lists flag indexes so every dependency precedes its dependents.
	Order []int
	// Deps[i] are the direct dependency flag indexes of flag i.
	Deps [][]int
	// MissingDeps[i] is set when flag i (transitively) depends on a flag that
	// does not exist.
	MissingDeps []bool
	// InCycle[i] is set when flag i is part of or depends on a dependency cycle.
	InCycle []bool
	// depTarget maps a flag filter to the flag index it names (-1: missing).
	depTarget map[*matching.Filter]int
	// StaticCohortIDs lists the ids of static cohorts in Cohorts.
	StaticCohortIDs []int
	// Slots is the number of distinct property filters (Filter.Slot values).
	Slots int
	needs []Needs
}

// NewFlagSet prepares flags and cohorts for evaluation.
func NewFlagSet(flags []*Flag, cohortList []*cohorts.Cohort) *FlagSet {
	s := &FlagSet{
		Flags:     flags,
		ByKey:     make(map[string]int, len(flags)),
		Cohorts:   make(map[int]*cohorts.Cohort, len(cohortList)),
		depTarget: map[*matching.Filter]int{},
	}
	byID := make(map[int]int, len(flags))
	for i, f := range flags {
		s.ByKey[f.Key] = i
		byID[f.ID] = i
	}
	for _, c := range cohortList {
		s.Cohorts[c.ID] = c
		if c.IsStatic && !c.Deleted {
			s.StaticCohortIDs = append(s.StaticCohortIDs, c.ID)
		}
	}
	sort.Ints(s.StaticCohortIDs)
	n := len(flags)
	s.Deps = make([][]int, n)
	s.MissingDeps = make([]bool, n)
	s.InCycle = make([]bool, n)
	for i, f := range flags {
		for _, c := range f.Filters.Groups {
			for _, p := range c.Properties {
				if p.Type != "flag" {
					continue
				}
				// The server cache names the dependency by flag id, the
				// local-evaluation feed by key.
				t, ok := -1, false
				if id, err := strconv.Atoi(p.Key); err == nil {
					t, ok = byID[id]
				}
				if !ok {
					t, ok = s.ByKey[p.Key]
				}
				if !ok {
					t = -1
					s.MissingDeps[i] = true
				} else {
					s.Deps[i] = append(s.Deps[i], t)
				}
				s.depTarget[p] = t
			}
		}
	}
	s.order()
	s.analyse()
	s.intern()
	return s
}

func (s *FlagSet) order() {
	n := len(s.Flags)
	indeg := make([]int, n)
	rev := make([][]int, n)
	for i, deps := range s.Deps {
		for _, d := range deps {
			indeg[i]++
			rev[d] = append(rev[d], i)
		}
	}
	queue := make([]int, 0, n)
	for i := range n {
		if indeg[i] == 0 {
			queue = append(queue, i)
		}
	}
	done := make([]bool, n)
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		done[i] = true
		s.Order = append(s.Order, i)
		for _, d := range s.Deps[i] {
			if s.MissingDeps[d] {
				s.MissingDeps[i] = true
			}
		}
		for _, j := range rev[i] {
			indeg[j]--
			if indeg[j] == 0 {
				queue = append(queue, j)
			}
		}
	}
	for i := range n {
		if !done[i] {
			s.InCycle[i] = true
			s.Order = append(s.Order, i)
		}
	}
}

// DependencyTarget returns the flag index a flag filter refers to, or -1.
func (s *FlagSet) DependencyTarget(f *matching.Filter) int {
	t, ok := s.depTarget[f]
	if !ok {
		return -1
	}
	return t
}

// Closure returns the indexes of the given flags plus everything they
// (transitively) depend on.
func (s *FlagSet) Closure(keys []string) map[int]bool {
	out := map[int]bool{}
	var add func(i int)
	add = func(i int) {
		if out[i] {
			return
		}
		out[i] = true
		for _, d := range s.Deps[i] {
			add(d)
		}
	}
	for _, k := range keys {
		if i, ok := s.ByKey[k]; ok {
			add(i)
		}
	}
	return out
}

// Needs describes which stored data a flag's evaluation reads.
type Needs struct {
	// PersonKeys are person property keys read by conditions (including
	// early-access keys); a request that overrides all of them needs no
	// person lookup unless Cohorts is set.
	PersonKeys []string
	// Cohorts is set when a condition has a cohort filter.
	Cohorts bool
	// GroupIndexes are group type indexes the flag aggregates on or filters by.
	GroupIndexes []int
	// GroupKeys are group property keys read, by group type index.
	GroupKeys map[int][]string
}

// NeedsOf returns what flag i reads (computed once per FlagSet).
func (s *FlagSet) NeedsOf(i int) *Needs {
	return &s.needs[i]
}

func (s *FlagSet) analyse() {
	s.needs = make([]Needs, len(s.Flags))
	for i, f := range s.Flags {
		n := &s.needs[i]
		n.GroupKeys = map[int][]string{}
		addGroup := func(idx int) {
			for _, g := range n.GroupIndexes {
				if g == idx {
					return
				}
			}
			n.GroupIndexes = append(n.GroupIndexes, idx)
		}
		if a := f.Filters.AggregationGroupTypeIndex; a != nil {
			addGroup(*a)
		}
		if f.Filters.FeatureEnrollment {
			n.PersonKeys = append(n.PersonKeys, "$feature_enrollment/"+f.Key)
		}
		conds := append(append([]Condition(nil), f.Filters.Groups...), f.Filters.SuperGroups...)
		for ci := range conds {
			c := &conds[ci]
			agg := c.Aggregation(f)
			if agg != nil {
				addGroup(*agg)
			}
			for _, p := range c.Properties {
				switch p.Type {
				case "cohort":
					n.Cohorts = true
				case "flag":
				case "group":
					idx := agg
					if p.GroupTypeIndex != nil {
						idx = p.GroupTypeIndex
					}
					if idx != nil {
						addGroup(*idx)
						n.GroupKeys[*idx] = append(n.GroupKeys[*idx], p.Key)
					}
				default:
					if agg != nil && p.Type != "person" {
						n.GroupKeys[*agg] = append(n.GroupKeys[*agg], p.Key)
					} else {
						n.PersonKeys = append(n.PersonKeys, p.Key)
					}
				}
			}
		}
	}
}

// intern numbers identical property filters (same JSON) across the set, so
// evaluation can match each distinct filter once per request.
func (s *FlagSet) intern() {
	slots := map[string]int{}
	for _, f := range s.Flags {
		for ci := range f.Filters.Groups {
			for _, p := range f.Filters.Groups[ci].Properties {
				if p.Type == "cohort" || p.Type == "flag" || len(p.Raw) == 0 {
					continue
				}
				k := string(p.Raw)
				slot, ok := slots[k]
				if !ok {
					slot = len(slots) + 1
					slots[k] = slot
				}
				p.Slot = slot
			}
		}
	}
	s.Slots = len(slots)
}
