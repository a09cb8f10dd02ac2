package hogvm

import "math"

// jsonTarget parses obj when it is a JSON string (as the reference's JSON* helpers do).
func jsonTarget(obj Value) (Value, bool) {
	if obj.kind == KindString {
		v, err := parseJSON(obj.s(), false)
		if err != nil {
			return Null, false
		}
		return v, true
	}
	return obj, true
}

// readOnlyJSON is jsonTarget for helpers that only read the parsed value and
// return scalars: programs often query the same JSON string many times, so
// the parse is cached per execution.
func (m *machine) readOnlyJSON(obj Value) (Value, bool) {
	if obj.kind != KindString {
		return obj, true
	}
	if e, ok := m.jsonCache[obj.s()]; ok {
		return e.v, e.ok
	}
	v, ok := jsonTarget(obj)
	if m.jsonCache == nil {
		m.jsonCache = map[string]parsedJSON{}
	}
	if len(m.jsonCache) < 64 {
		m.jsonCache[obj.s()] = parsedJSON{v, ok}
	}
	return v, ok
}

type parsedJSON struct {
	v  Value
	ok bool
}

// jsonPath is the reference's getNestedValue(obj, path, true); index 0 fails.
func jsonPath(obj Value, path []Value) (Value, error) {
	return nestedGet(obj, path)
}

func stlJSONHas(m *machine, a []Value) (Value, error) {
	cur := a[0]
	for _, key := range a[1:] {
		if cur.kind == KindString {
			v, ok := m.readOnlyJSON(cur)
			if !ok {
				return False, nil
			}
			cur = v
		}
		switch cur.kind {
		case KindDict:
			v, ok := cur.AsDict().Get(key)
			if !ok {
				return False, nil
			}
			cur = v
		case KindArray:
			if key.kind == KindNumber {
				items := cur.AsArray().Items
				k := key.f()
				var idx float64
				switch {
				case k < 0:
					if k < -float64(len(items)) {
						return False, nil
					}
					idx = float64(len(items)) + k
				case k == 0:
					return False, nil
				default:
					if k > float64(len(items)) {
						return False, nil
					}
					idx = k - 1
				}
				cur = Null // a fractional index reads undefined
				if idx == math.Trunc(idx) && idx >= 0 && idx < float64(len(items)) {
					cur = items[int(idx)]
				}
			} else {
				v, err := getProperty(cur, key)
				if err != nil || v.kind == KindNull {
					return False, nil
				}
				cur = v
			}
		case KindNull:
			// typeof null === 'object' in the reference: a numeric key is skipped,
			// a string key fails the `in` operator
			if key.kind == KindNumber {
				continue
			}
			k := jsString(key)
			switch key.kind {
			case KindArray:
				k = "[object Array]"
			case KindDict:
				k = "#<Map>"
			}
			return Null, vmErrorf("Cannot use 'in' operator to search for '%s' in null", k)
		default:
			return False, nil
		}
	}
	return True, nil
}

func stlJSONLength(m *machine, a []Value) (Value, error) {
	obj, ok := m.readOnlyJSON(a[0])
	if !ok {
		return Int(0), nil
	}
	switch obj.kind {
	case KindNull, KindArray, KindDict, KindError, KindDate, KindDateTime, KindClosure, KindCallable:
	default:
		return Int(0), nil // typeof obj !== 'object'
	}
	v, err := jsonPath(obj, a[1:])
	if err != nil {
		return Null, err
	}
	switch v.kind {
	case KindArray:
		return Int(len(v.AsArray().Items)), nil
	case KindDict:
		return Int(v.AsDict().Len()), nil
	case KindNull:
		return Null, vmErrorf("Cannot convert undefined or null to object")
	case KindError:
		return Int(4), nil
	case KindDate:
		return Int(4), nil
	case KindDateTime:
		return Int(3), nil
	}
	return Int(0), nil
}

func stlJSONExtractBool(m *machine, a []Value) (Value, error) {
	obj, ok := m.readOnlyJSON(a[0])
	if !ok {
		return False, nil
	}
	if len(a) > 1 {
		var err error
		if obj, err = jsonPath(obj, a[1:]); err != nil {
			return Null, err
		}
	}
	if obj.kind == KindBool {
		return obj, nil
	}
	return False, nil
}

func jsonExtractNum(parse func(string) float64) stlFunc {
	return func(m *machine, a []Value) (Value, error) {
		obj, ok := m.readOnlyJSON(a[0])
		if !ok {
			return Null, nil
		}
		v, err := jsonPath(obj, a[1:])
		if err != nil {
			return Null, err
		}
		f := parse(jsString(v))
		if math.IsNaN(f) {
			return Null, nil
		}
		return Number(f), nil
	}
}

func stlJSONExtractString(m *machine, a []Value) (Value, error) {
	obj, ok := m.readOnlyJSON(a[0])
	if !ok {
		return Null, nil
	}
	v, err := jsonPath(obj, a[1:])
	if err != nil {
		return Null, err
	}
	if v.kind == KindNull {
		return Null, nil
	}
	return String(jsString(v)), nil
}

func stlJSONExtractArrayRaw(m *machine, a []Value) (Value, error) {
	obj, ok := jsonTarget(a[0])
	if !ok {
		return Null, nil
	}
	v, err := jsonPath(obj, a[1:])
	if err != nil {
		return Null, err
	}
	if v.kind == KindArray {
		return v, nil
	}
	return Null, nil
}

func stlJSONExtract(m *machine, a []Value) (Value, error) {
	obj, ok := jsonTarget(a[0])
	if !ok {
		return Null, nil
	}
	var path []Value
	if len(a) > 2 {
		path = a[1 : len(a)-1]
	}
	return jsonPath(obj, path)
}
