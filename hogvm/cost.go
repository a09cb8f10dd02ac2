package hogvm

// Memory cost model of the reference (calculateCost): every value costs 8
// bytes, strings add their length, containers add their contents; a container
// met again while being measured (a cycle) costs 8.
const costUnit = 8

// cost of the fields of plain-object representations.
func strCost(s string) int { return costUnit + len(s) }

func (m *machine) cost(v Value) int {
	switch v.kind {
	case KindString:
		return costUnit + len(v.str)
	case KindArray, KindDict, KindError, KindClosure:
		m.marks = m.marks[:0]
		return m.containerCost(v)
	case KindDateTime:
		return costUnit + strCost("__hogDateTime__") + costUnit + strCost("dt") + costUnit + strCost("zone") + strCost(v.str)
	case KindDate:
		return costUnit + strCost("__hogDate__") + strCost("year") + strCost("month") + strCost("day") + 4*costUnit
	case KindCallable:
		return callableCost(v.callable())
	}
	return costUnit
}

func callableCost(c *Callable) int {
	return costUnit + strCost("__hogCallable__") + strCost(c.Kind) + strCost("name") + strCost(c.Name) +
		strCost("argCount") + strCost("upvalueCount") + strCost("ip") + 3*costUnit + strCost("chunk") + strCost(c.Chunk)
}

func (m *machine) containerCost(v Value) int {
	switch v.kind {
	case KindString:
		return costUnit + len(v.str)
	case KindArray, KindDict, KindError, KindClosure:
	default:
		return m.cost(v)
	}
	for _, r := range m.marks {
		if r == v.ref {
			return costUnit
		}
	}
	m.marks = append(m.marks, v.ref)
	total := costUnit
	switch v.kind {
	case KindArray:
		for _, it := range v.AsArray().Items {
			if it.kind == KindString {
				total += costUnit + len(it.str)
			} else if it.kind <= KindNumber {
				total += costUnit
			} else {
				total += m.containerCost(it)
			}
		}
	case KindDict:
		d := v.AsDict()
		for i := range d.keys {
			k, val := d.keys[i], d.vals[i]
			if k.kind == KindString {
				total += costUnit + len(k.str)
			} else {
				total += m.containerCost(k)
			}
			if val.kind == KindString {
				total += costUnit + len(val.str)
			} else if val.kind <= KindNumber {
				total += costUnit
			} else {
				total += m.containerCost(val)
			}
		}
	case KindError:
		e := v.AsError()
		total += strCost("__hogError__") + costUnit + strCost("type") + strCost(e.Type) + strCost("message") +
			strCost(e.Message) + strCost("payload") + m.containerCost(e.Payload)
	case KindClosure:
		c := v.closure()
		total += strCost("__hogClosure__") + costUnit + strCost("callable") + callableCost(c.Callable) +
			strCost("upvalues") + costUnit + costUnit*len(c.Upvalues)
	}
	m.marks = m.marks[:len(m.marks)-1]
	return total
}
