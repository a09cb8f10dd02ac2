package hogvm

import (
	"math/rand/v2"
	"testing"
)

// naiveCost is calculateCost of the reference, written the slow way.
func naiveCost(v Value, marked map[any]bool) int {
	switch v.kind {
	case KindArray, KindDict:
		if marked[v.p] {
			return costUnit
		}
		marked[v.p] = true
		defer delete(marked, v.p)
		total := costUnit
		if a := v.AsArray(); a != nil {
			for _, it := range a.Items {
				total += naiveCost(it, marked)
			}
		} else {
			d := v.AsDict()
			for i := range d.entries {
				total += naiveCost(d.entries[i].key, marked) + naiveCost(d.entries[i].val, marked)
			}
		}
		return total
	}
	var w costWalker
	return w.cost(v)
}

func TestCostMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var containers []Value
	randomValue := func() Value {
		switch r.IntN(6) {
		case 0:
			return Null
		case 1:
			return Int(r.IntN(100))
		case 2:
			return String(string(make([]byte, r.IntN(20))))
		case 3:
			return NewArray([]Value{String("x"), Int(1)})
		default:
			if len(containers) > 0 {
				return containers[r.IntN(len(containers))]
			}
			return NewDictValue(NewDict(0))
		}
	}
	for i := 0; i < 20; i++ {
		if i%2 == 0 {
			containers = append(containers, NewDictValue(NewDict(0)))
		} else {
			containers = append(containers, NewArray(nil))
		}
	}
	keys := []Value{String("a"), String("bb"), Int(1), String("c")}
	m := &machine{}
	for step := 0; step < 5000; step++ {
		c := containers[r.IntN(len(containers))]
		v := randomValue()
		if d := c.AsDict(); d != nil {
			d.Set(keys[r.IntN(len(keys))], v)
		} else if err := setProperty(c, Int(1+r.IntN(4)), v); err != nil {
			t.Fatal(err)
		}
		probe := containers[r.IntN(len(containers))]
		if got, want := valueCost(probe), naiveCost(probe, map[any]bool{}); got != want {
			t.Fatalf("step %d: cost %d, reference %d: %s (mutated %s)", step, got, want, Print(probe), Print(c))
		}
		if got, want := m.cost(probe), naiveCost(probe, map[any]bool{}); got != want {
			t.Fatalf("step %d: machine cost %d, reference %d", step, got, want)
		}
	}
}
