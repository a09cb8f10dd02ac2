// Package cohorts decides cohort membership for flag evaluation: static
// cohorts from precomputed membership, dynamic cohorts by matching their
// property groups against person properties, nested cohorts in dependency
// order with cycle and missing-cohort detection.
package cohorts

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hoggo/feature-flags/internal/matching"
)

// Errors of nested cohort evaluation; a flag that needs such a cohort fails
// with dependency_not_found_cohort or dependency_cycle_cohort.
var (
	ErrNotFound = errors.New("cohort dependency not found")
	ErrCycle    = errors.New("cohort dependency cycle")
)

// Cohort is one posthog_cohort row (or the cohorts entry of the flags cache).
// Raw keeps the original JSON for writing it back unchanged.
type Cohort struct {
	ID         int
	Name       string
	IsStatic   bool
	Deleted    bool
	CohortType string
	// Properties is nil when the cohort has no usable filters; such a
	// dynamic cohort has no members.
	Properties *Group
	Raw        json.RawMessage
}

// Group is an AND/OR node of a cohort's property tree.
type Group struct {
	Type   string // "AND" or "OR" (inner "property" groups behave like AND)
	Values []Node
}

// Node is either a nested group or a property filter.
type Node struct {
	Group  *Group
	Filter *matching.Filter
}

type cohortJSON struct {
	ID         int             `json:"id"`
	Name       string          `json:"name"`
	IsStatic   bool            `json:"is_static"`
	Deleted    bool            `json:"deleted"`
	CohortType *string         `json:"cohort_type"`
	Filters    json.RawMessage `json:"filters"`
}

// UnmarshalJSON decodes a cohort; unparsable filters leave Properties nil
// rather than failing, as the reference treats such a cohort as empty.
func (c *Cohort) UnmarshalJSON(b []byte) error {
	var j cohortJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("cohort: %w", err)
	}
	*c = Cohort{ID: j.ID, Name: j.Name, IsStatic: j.IsStatic, Deleted: j.Deleted, Raw: append(json.RawMessage(nil), b...)}
	if j.CohortType != nil {
		c.CohortType = *j.CohortType
	}
	c.Properties = ParseFilters(j.Filters)
	return nil
}

// MarshalJSON writes the cohort as it was read.
func (c Cohort) MarshalJSON() ([]byte, error) {
	if len(c.Raw) > 0 {
		return c.Raw, nil
	}
	return json.Marshal(map[string]any{"id": c.ID, "name": c.Name, "is_static": c.IsStatic, "deleted": c.Deleted})
}

// ParseFilters reads a cohort's filters column ({"properties": {...}}); nil
// when absent or malformed.
func ParseFilters(b json.RawMessage) *Group {
	if len(b) == 0 {
		return nil
	}
	var f struct {
		Properties json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(b, &f); err != nil || len(f.Properties) == 0 {
		return nil
	}
	g, err := parseGroup(f.Properties)
	if err != nil {
		return nil
	}
	return g
}

func parseGroup(b json.RawMessage) (*Group, error) {
	var j struct {
		Type   string            `json:"type"`
		Values []json.RawMessage `json:"values"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, err
	}
	g := &Group{Type: strings.ToUpper(j.Type)}
	for _, v := range j.Values {
		var probe struct {
			Values json.RawMessage `json:"values"`
		}
		if err := json.Unmarshal(v, &probe); err != nil {
			return nil, err
		}
		if len(probe.Values) > 0 {
			sub, err := parseGroup(v)
			if err != nil {
				return nil, err
			}
			g.Values = append(g.Values, Node{Group: sub})
			continue
		}
		var f matching.Filter
		if err := json.Unmarshal(v, &f); err != nil {
			return nil, err
		}
		g.Values = append(g.Values, Node{Filter: &f})
	}
	return g, nil
}

// Dependencies returns the ids of cohorts referenced by c's filters.
func (c *Cohort) Dependencies() []int {
	var out []int
	var walk func(g *Group)
	walk = func(g *Group) {
		for _, n := range g.Values {
			if n.Group != nil {
				walk(n.Group)
			} else if n.Filter.Type == "cohort" {
				if id, ok := n.Filter.CohortID(); ok {
					out = append(out, id)
				}
			}
		}
	}
	if c.Properties != nil {
		walk(c.Properties)
	}
	return out
}

// Evaluator computes memberships of one person against a team's cohorts,
// memoising results so shared dependencies are evaluated once.
type Evaluator struct {
	Cohorts map[int]*Cohort
	// Static reports membership of a static cohort (from posthog_cohortpeople).
	Static     func(id int) bool
	Properties map[string]any
	TZ         *time.Location

	memo     map[int]bool
	visiting map[int]bool
}

// Member reports whether the person belongs to cohort id.
func (e *Evaluator) Member(id int) (bool, error) {
	if v, ok := e.memo[id]; ok {
		return v, nil
	}
	if e.visiting[id] {
		return false, fmt.Errorf("cohort %d: %w", id, ErrCycle)
	}
	c, ok := e.Cohorts[id]
	if !ok || c.Deleted {
		return false, fmt.Errorf("cohort %d: %w", id, ErrNotFound)
	}
	if e.memo == nil {
		e.memo, e.visiting = map[int]bool{}, map[int]bool{}
	}
	var member bool
	switch {
	case c.IsStatic:
		member = e.Static != nil && e.Static(id)
	case c.CohortType == "realtime" || c.CohortType == "behavioral":
		member = false // needs the behavioural database, which this service does not read
	case c.Properties == nil:
		member = false
	default:
		e.visiting[id] = true
		for _, dep := range c.Dependencies() {
			if _, err := e.Member(dep); err != nil {
				delete(e.visiting, id)
				return false, err
			}
		}
		delete(e.visiting, id)
		member = e.matchTop(c.Properties)
	}
	e.memo[id] = member
	return member, nil
}

func (e *Evaluator) matchTop(g *Group) bool {
	if len(g.Values) == 0 {
		return true
	}
	if g.Type == "OR" {
		for _, n := range g.Values {
			if e.matchNode(n) {
				return true
			}
		}
		return false
	}
	for _, n := range g.Values {
		if !e.matchNode(n) {
			return false
		}
	}
	return true
}

func (e *Evaluator) matchNode(n Node) bool {
	if n.Group == nil {
		return e.matchInner(&Group{Type: "AND", Values: []Node{n}})
	}
	return e.matchInner(n.Group)
}

// matchInner evaluates a second-level group: OR = any, AND/property = all.
// Nested cohort results honour negation inside AND but not inside OR, a quirk
// of the reference kept for parity.
func (e *Evaluator) matchInner(g *Group) bool {
	or := g.Type == "OR"
	if len(g.Values) == 0 {
		return true
	}
	for _, n := range g.Values {
		var ok bool
		if n.Group != nil {
			ok = e.matchInner(n.Group)
		} else {
			ok = e.matchFilter(n.Filter, or)
		}
		if or && ok {
			return true
		}
		if !or && !ok {
			return false
		}
	}
	return !or
}

func (e *Evaluator) matchFilter(f *matching.Filter, inOr bool) bool {
	if f.Type == "cohort" {
		id, ok := f.CohortID()
		if !ok {
			return false
		}
		m := e.memo[id]
		if f.Operator == matching.OpNotIn {
			m = !m
		}
		if inOr {
			return m
		}
		return m != f.Negation
	}
	if f.Type != "person" && f.Type != "" {
		return false // behavioural and other filters cannot be evaluated from properties
	}
	return f.Match(e.Properties, e.TZ) != f.Negation
}
