package cohorts

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func cohort(t *testing.T, js string) *Cohort {
	t.Helper()
	var c Cohort
	if err := json.Unmarshal([]byte(js), &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

func TestMembership(t *testing.T) {
	set := map[int]*Cohort{
		1: cohort(t, `{"id":1,"filters":{"properties":{"type":"OR","values":[{"type":"AND","values":[{"key":"email","type":"person","operator":"icontains","value":"@a.com"},{"key":"age","type":"person","operator":"gt","value":18}]},{"type":"OR","values":[{"key":"vip","type":"person","value":true}]}]}}}`),
		2: cohort(t, `{"id":2,"filters":{"properties":{"type":"AND","values":[{"type":"AND","values":[{"key":"id","type":"cohort","value":1,"negation":true}]}]}}}`),
		3: cohort(t, `{"id":3,"is_static":true}`),
		4: cohort(t, `{"id":4,"filters":{"properties":{"type":"AND","values":[{"type":"AND","values":[{"key":"id","type":"cohort","value":5}]}]}}}`),
		5: cohort(t, `{"id":5,"filters":{"properties":{"type":"AND","values":[{"type":"AND","values":[{"key":"id","type":"cohort","value":4}]}]}}}`),
		6: cohort(t, `{"id":6,"filters":{"properties":{"type":"AND","values":[{"type":"AND","values":[{"key":"id","type":"cohort","value":99}]}]}}}`),
		7: cohort(t, `{"id":7,"filters":{"properties":{"type":"AND","values":[{"type":"AND","values":[{"key":"plan","type":"person","value":"free","negation":true}]}]}}}`),
		8: cohort(t, `{"id":8,"filters":"garbage"}`),
		9: cohort(t, `{"id":9,"filters":{"properties":{"type":"OR","values":[{"type":"OR","values":[{"key":"id","type":"cohort","value":1,"negation":true}]}]}}}`),
	}
	eval := func(props map[string]any, static map[int]bool) *Evaluator {
		return &Evaluator{Cohorts: set, Properties: props, TZ: time.UTC, Static: func(id int) bool { return static[id] }}
	}
	member := eval(map[string]any{"email": "x@a.com", "age": json.Number("30"), "plan": "pro"}, map[int]bool{3: true})
	for id, want := range map[int]bool{1: true, 2: false, 3: true, 7: true, 8: false, 9: true} {
		got, err := member.Member(id)
		if err != nil || got != want {
			t.Errorf("cohort %d = %v (%v), want %v", id, got, err, want)
		}
	}
	other := eval(map[string]any{"email": "x@b.com", "plan": "free"}, nil)
	for id, want := range map[int]bool{1: false, 2: true, 3: false, 7: false, 9: false} {
		got, err := other.Member(id)
		if err != nil || got != want {
			t.Errorf("other: cohort %d = %v (%v), want %v", id, got, err, want)
		}
	}
	if _, err := eval(nil, nil).Member(4); !errors.Is(err, ErrCycle) {
		t.Errorf("cycle: %v", err)
	}
	if _, err := eval(nil, nil).Member(6); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing dependency: %v", err)
	}
	if _, err := eval(nil, nil).Member(42); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown cohort: %v", err)
	}
}
