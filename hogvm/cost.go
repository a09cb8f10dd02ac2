package hogvm

// Memory cost model of the reference (calculateCost): every value costs 8
// bytes, strings add their length, containers add their contents; a container
// met again while being measured (a cycle) costs 8.
//
// The reference recomputes a container's cost on every push, which makes each
// push O(size). Here every array and dict keeps the summed cost of its scalar
// entries up to date as it is mutated, plus how many entries hold containers
// and where the first one is; measuring adds the scalar sum and walks only the
// nested containers, so the result is the reference's exact figure at a
// fraction of the work.
const costUnit = 8

func strCost(s string) int { return costUnit + len(s) }

// costIndex is what a container keeps to be measured quickly.
type costIndex struct {
	flat   int   // summed cost of the scalar keys and values
	nested int32 // entries holding a container key or value
	first  int32 // no entry before this one holds a container
	last   int32 // nor after this one
	ok     bool  // false until the container is first scanned
}

// holdsContainer reports whether a value's cost depends on other containers.
func holdsContainer(v Value) bool {
	return v.kind == KindArray || v.kind == KindDict || v.kind == KindError
}

// scalarCost reports the cost of v when it holds no containers.
func scalarCost(v Value) (int, bool) {
	switch v.kind {
	case KindString:
		return costUnit + len(v.s()), true
	case KindNull, KindBool, KindNumber:
		return costUnit, true
	case KindDateTime:
		return costUnit + strCost("__hogDateTime__") + costUnit + strCost("dt") + costUnit + strCost("zone") + strCost(v.s()), true
	case KindDate:
		return costUnit + strCost("__hogDate__") + strCost("year") + strCost("month") + strCost("day") + 4*costUnit, true
	case KindCallable:
		return callableCost(v.callable()), true
	case KindClosure:
		c := v.closure()
		return costUnit + strCost("__hogClosure__") + costUnit + strCost("callable") + callableCost(c.Callable) +
			strCost("upvalues") + costUnit + costUnit*len(c.Upvalues), true
	}
	return 0, false
}

func callableCost(c *Callable) int {
	return costUnit + strCost("__hogCallable__") + strCost(c.Kind) + strCost("name") + strCost(c.Name) +
		strCost("argCount") + strCost("upvalueCount") + strCost("ip") + 3*costUnit + strCost("chunk") + strCost(c.Chunk)
}

// valueCost measures v.
func valueCost(v Value) int {
	if c, ok := scalarCost(v); ok {
		return c
	}
	var w costWalker
	return w.cost(v)
}

func (m *machine) cost(v Value) int {
	switch v.kind {
	case KindString:
		return costUnit + len(v.s())
	case KindNull, KindBool, KindNumber:
		return costUnit
	}
	if c, ok := acyclicCost(v, acyclicDepth); ok {
		return c
	}
	m.walker.marks = m.walker.marks[:0]
	return m.walker.cost(v)
}

// acyclicDepth bounds acyclicCost's recursion.
const acyclicDepth = 8

// acyclicCost measures v without cycle marks, failing once it nests deeper
// than depth. The walker's marks only ever hold the path from the root, so
// they matter only on a cycle, and a cycle nests without end: a walk that
// stays within depth met none and equals the marked walk.
func acyclicCost(v Value, depth int) (int, bool) {
	switch v.kind {
	case KindArray:
		a := v.AsArray()
		a.scan()
		total := costUnit + a.ci.flat
		if a.ci.nested == 0 {
			return total, true
		}
		if depth == 0 {
			return 0, false
		}
		for _, it := range a.Items[a.ci.first : a.ci.last+1] {
			if holdsContainer(it) {
				c, ok := acyclicCost(it, depth-1)
				if !ok {
					return 0, false
				}
				total += c
			}
		}
		return total, true
	case KindDict:
		d := v.AsDict()
		d.scan()
		total := costUnit + d.ci.flat
		if d.ci.nested == 0 {
			return total, true
		}
		if depth == 0 {
			return 0, false
		}
		for i := int(d.ci.first); i <= int(d.ci.last); i++ {
			e := &d.entries[i]
			if holdsContainer(e.key) {
				c, ok := acyclicCost(e.key, depth-1)
				if !ok {
					return 0, false
				}
				total += c
			}
			if holdsContainer(e.val) {
				c, ok := acyclicCost(e.val, depth-1)
				if !ok {
					return 0, false
				}
				total += c
			}
		}
		return total, true
	case KindError:
		if depth == 0 {
			return 0, false
		}
		e := v.AsError()
		c, ok := acyclicCost(e.Payload, depth-1)
		if !ok {
			return 0, false
		}
		return costUnit + strCost("__hogError__") + costUnit + strCost("type") + strCost(e.Type) + strCost("message") +
			strCost(e.Message) + strCost("payload") + c, true
	}
	return scalarCost(v)
}

type costWalker struct {
	buf   [8]any // backing for marks: most values nest shallowly
	marks []any
}

func (w *costWalker) enter(ref any) bool {
	if w.marks == nil {
		w.marks = w.buf[:0]
	}
	for _, r := range w.marks {
		if r == ref {
			return false
		}
	}
	w.marks = append(w.marks, ref)
	return true
}

func (w *costWalker) cost(v Value) int {
	if c, ok := scalarCost(v); ok {
		return c
	}
	switch v.kind {
	case KindError:
		e := v.AsError()
		return costUnit + strCost("__hogError__") + costUnit + strCost("type") + strCost(e.Type) + strCost("message") +
			strCost(e.Message) + strCost("payload") + w.cost(e.Payload)
	case KindArray:
		a := v.AsArray()
		a.scan()
		if a.ci.nested == 0 {
			return costUnit + a.ci.flat // a flat container cannot be part of a cycle
		}
		if !w.enter(a) {
			return costUnit
		}
		total := costUnit + a.ci.flat
		for _, it := range a.Items[a.ci.first : a.ci.last+1] {
			if holdsContainer(it) {
				total += w.cost(it)
			}
		}
		w.marks = w.marks[:len(w.marks)-1]
		return total
	case KindDict:
		d := v.AsDict()
		d.scan()
		if d.ci.nested == 0 {
			return costUnit + d.ci.flat
		}
		if !w.enter(d) {
			return costUnit
		}
		total := costUnit + d.ci.flat
		for i := int(d.ci.first); i <= int(d.ci.last); i++ {
			e := &d.entries[i]
			if holdsContainer(e.key) {
				total += w.cost(e.key)
			}
			if holdsContainer(e.val) {
				total += w.cost(e.val)
			}
		}
		w.marks = w.marks[:len(w.marks)-1]
		return total
	}
	return costUnit
}

func (a *Array) scan() {
	if a.ci.ok {
		return
	}
	a.ci = costIndex{ok: true}
	for i, it := range a.Items {
		a.ci.add(int32(i), Null, it, true)
	}
}

func (d *Dict) scan() {
	if d.ci.ok {
		return
	}
	d.ci = costIndex{ok: true}
	for i := range d.entries {
		d.ci.add(int32(i), d.entries[i].key, d.entries[i].val, false)
	}
}

// add accounts for entry i (a dict key and value, or an array item when noKey).
func (ci *costIndex) add(i int32, k, v Value, noKey bool) {
	nested := false
	if !noKey {
		if c, ok := scalarCost(k); ok {
			ci.flat += c
		} else {
			nested = true
		}
	}
	if c, ok := scalarCost(v); ok {
		ci.flat += c
	} else {
		nested = true
	}
	if nested {
		ci.addNested(i)
	}
}

func (ci *costIndex) addNested(i int32) {
	if ci.nested == 0 {
		ci.first, ci.last = i, i
	}
	ci.first = min(ci.first, i)
	ci.last = max(ci.last, i)
	ci.nested++
}

// replace accounts for entry i's value changing from old to new.
func (ci *costIndex) replace(i int32, key, old, new Value) {
	if !ci.ok {
		return
	}
	oc, oldScalar := scalarCost(old)
	nc, newScalar := scalarCost(new)
	_, keyScalar := scalarCost(key)
	switch {
	case oldScalar && newScalar:
		ci.flat += nc - oc
	case oldScalar:
		ci.flat -= oc
		if keyScalar {
			ci.addNested(i)
		}
	case newScalar:
		ci.flat += nc
		if keyScalar {
			ci.nested--
		}
	}
}
