package hogvm

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

var errArrayIndex = &Error{Message: "Hog arrays start from index 1"}

// getProperty is the reference's getNestedValue for one key.
func getProperty(obj, key Value) (Value, error) {
	switch obj.kind {
	case KindDict:
		v, _ := obj.AsDict().Get(key)
		return v, nil
	case KindArray:
		items := obj.AsArray().Items
		if key.kind == KindNumber {
			k := key.f()
			if k == 0 {
				return Null, errArrayIndex
			}
			if k > 0 {
				k--
			} else {
				k += float64(len(items))
			}
			if k >= 0 && k < float64(len(items)) && k == math.Trunc(k) {
				return items[int(k)], nil
			}
			return Null, nil
		}
		if key.kind == KindString {
			if key.s() == "length" {
				return Int(len(items)), nil
			}
			if i, err := strconv.Atoi(key.s()); err == nil && i >= 0 && i < len(items) && strconv.Itoa(i) == key.s() {
				return items[i], nil
			}
		}
		return Null, nil
	case KindError, KindDateTime, KindDate:
		if key.kind == KindNumber && key.f() == 0 {
			return Null, errArrayIndex
		}
		if key.kind != KindString {
			return Null, nil
		}
		return objectField(obj, key.s()), nil
	case KindClosure, KindCallable:
		if key.kind == KindNumber && key.f() == 0 {
			return Null, errArrayIndex
		}
	}
	return Null, nil
}

// objectField reads a field of the reference's plain-object representations.
func objectField(obj Value, k string) Value {
	switch obj.kind {
	case KindError:
		e := obj.AsError()
		switch k {
		case "__hogError__":
			return True
		case "type":
			return String(e.Type)
		case "message":
			return String(e.Message)
		case "payload":
			return e.Payload
		}
	case KindDateTime:
		switch k {
		case "__hogDateTime__":
			return True
		case "dt":
			return Number(obj.f())
		case "zone":
			return String(obj.s())
		}
	case KindDate:
		d := obj.AsDate()
		switch k {
		case "__hogDate__":
			return True
		case "year":
			return Int(d.Year)
		case "month":
			return Int(d.Month)
		case "day":
			return Int(d.Day)
		}
	}
	return Null
}

// setProperty is the reference's setNestedValue for one key.
func setProperty(obj, key, value Value) error {
	switch obj.kind {
	case KindDict:
		obj.AsDict().Set(key, value)
		return nil
	case KindArray:
		if key.kind == KindNumber {
			if key.f() <= 0 {
				return errArrayIndex
			}
			a := obj.AsArray()
			idx := key.f() - 1
			if idx != math.Trunc(idx) || idx > 1<<24 {
				return vmErrorf("Can not set %s on element of type object", jsKeyString(key))
			}
			i := int(idx)
			for len(a.Items) <= i {
				a.Items = append(a.Items, Null)
				if a.ci.ok {
					a.ci.flat += costUnit
				}
			}
			a.ci.replace(int32(i), Null, a.Items[i], value)
			a.Items[i] = value
			return nil
		}
		return vmErrorf("Can not set %s on element of type object", jsKeyString(key))
	case KindNull:
		return vmErrorf("Can not set %s on non-object: object", jsKeyString(key))
	case KindBool, KindNumber, KindString:
		return vmErrorf("Can not set %s on non-object: %s", jsKeyString(key), typeofJS(obj))
	}
	return vmErrorf("Can not set %s on element of type object", jsKeyString(key))
}

// nestedGet walks a chain of keys with nullish semantics (GET_GLOBAL, JSON helpers).
func nestedGet(obj Value, chain []Value) (Value, error) {
	switch obj.kind {
	case KindDict, KindArray, KindError, KindDate, KindDateTime, KindClosure, KindCallable:
	default:
		return Null, nil
	}
	for _, k := range chain {
		if obj.kind == KindNull {
			return Null, nil
		}
		v, err := getProperty(obj, k)
		if err != nil {
			return Null, err
		}
		obj = v
	}
	return obj, nil
}

// getGlobal resolves GET_GLOBAL: globals, then async functions, then the STL.
func (m *machine) getGlobal(ch *chunk, chain []Value) (Value, error) {
	if g := m.globalsOf(ch); g != nil && len(chain) > 0 {
		if root, ok := g.Get(chain[0]); ok {
			v, err := nestedGet(root, chain[1:])
			if err != nil {
				return Null, err
			}
			return deepCopy(v), nil
		}
	}
	if len(chain) == 1 && chain[0].kind == KindString {
		name := chain[0].s()
		if _, ok := m.opts.AsyncFunctions[name]; ok {
			return closureValue(&Closure{Callable: &Callable{Kind: "async", Name: name, IP: -1, Chunk: "async"}}), nil
		}
		if name == "sleep" {
			return closureValue(&Closure{Callable: &Callable{Kind: "async", Name: name, ArgCount: 1, IP: -1, Chunk: "async"}}), nil
		}
		if e := stlFunctions[name]; e != nil {
			return closureValue(&Closure{Callable: &Callable{Kind: "stl", Name: name, ArgCount: max(e.max, 0), IP: -1, Chunk: "stl"}}), nil
		}
		if b := bytecodeSTL[name]; b != nil {
			return closureValue(&Closure{Callable: &Callable{Kind: "stl", Name: name, ArgCount: len(b.args), Chunk: "stl/" + name}}), nil
		}
	}
	names := make([]string, len(chain))
	for i, c := range chain {
		names[i] = jsString(c)
	}
	return Null, vmErrorf("Global variable not found: %s", strings.Join(names, "."))
}

// deepCopy copies containers recursively (the reference converts globals afresh on every read).
func deepCopy(v Value) Value {
	switch v.kind {
	case KindArray:
		a := v.AsArray()
		items := make([]Value, len(a.Items))
		for i, it := range a.Items {
			items[i] = deepCopy(it)
		}
		return arrayValue(&Array{Items: items, Tuple: a.Tuple})
	case KindDict:
		d := v.AsDict()
		// same positions, so the index and cost bookkeeping carry over; room to
		// grow because transformations usually add properties to what they copy
		out := &Dict{entries: make([]entry, len(d.entries), len(d.entries)+len(d.entries)/2+4)}
		for i := range d.entries {
			out.entries[i] = entry{key: deepCopy(d.entries[i].key), val: deepCopy(d.entries[i].val)}
		}
		if d.index != nil {
			out.index = slices.Clone(d.index)
		}
		if d.ci.ok {
			out.ci = d.ci
		}
		return NewDictValue(out)
	}
	return v
}

type regexEntry struct {
	re  *regexp.Regexp
	err error
}

// regexMatch is an unanchored RE2 search, as the reference CLI's external matcher.
func (m *machine) regexMatch(pattern, value string) (bool, error) {
	re, err := m.compile(pattern)
	if err != nil {
		return false, err
	}
	return re.MatchString(value), nil
}

func (m *machine) compile(pattern string) (*regexp.Regexp, error) {
	if e, ok := m.regexes[pattern]; ok {
		return e.re, e.err
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		err = vmErrorf("Invalid regular expression: %s", err.Error())
	}
	if m.regexes == nil {
		m.regexes = map[string]*regexEntry{}
	}
	if len(m.regexes) < 256 {
		m.regexes[pattern] = &regexEntry{re: re, err: err}
	}
	return re, err
}
