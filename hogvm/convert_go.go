package hogvm

import (
	"encoding/json"
	"fmt"
	"slices"
)

// ValueOf converts JSON-like Go data (nil, bool, numbers, string, json.Number,
// []any, map[string]any, Value) into a Hog value. Map keys are ordered as a
// JavaScript object orders them after sorting (integer-like keys first), so
// the result is deterministic.
func ValueOf(x any) (Value, error) {
	switch t := x.(type) {
	case nil:
		return Null, nil
	case Value:
		return t, nil
	case bool:
		return Bool(t), nil
	case string:
		return String(t), nil
	case float64:
		return Number(t), nil
	case float32:
		return Number(float64(t)), nil
	case int:
		return Int(t), nil
	case int64:
		return Number(float64(t)), nil
	case int32:
		return Number(float64(t)), nil
	case uint64:
		return Number(float64(t)), nil
	case json.Number:
		f, err := t.Float64()
		if err != nil {
			return Null, fmt.Errorf("convert %q: %w", t, err)
		}
		return Number(f), nil
	case []any:
		items := make([]Value, len(t))
		for i, it := range t {
			v, err := ValueOf(it)
			if err != nil {
				return Null, err
			}
			items[i] = v
		}
		return NewArray(items), nil
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		d := NewDict(len(keys))
		for _, k := range keys {
			v, err := ValueOf(t[k])
			if err != nil {
				return Null, err
			}
			d.SetString(k, v)
		}
		jsOrder(d)
		return NewDictValue(d), nil
	}
	return Null, fmt.Errorf("convert %T to a Hog value: unsupported type", x)
}

// Interface converts v to JSON-like Go data: nil, bool, float64, string,
// []any and map[string]any (dict keys become strings); dates, datetimes,
// errors and functions become the reference's marker objects.
func (v Value) Interface() any {
	switch v.kind {
	case KindNull:
		return nil
	case KindBool:
		return v.AsBool()
	case KindNumber:
		return v.f()
	case KindString:
		return v.s()
	case KindArray:
		a := v.AsArray()
		out := make([]any, len(a.Items))
		for i, it := range a.Items {
			out[i] = it.Interface()
		}
		return out
	case KindDict:
		d := v.AsDict()
		out := make(map[string]any, d.Len())
		for i := range d.entries {
			out[jsKeyString(d.entries[i].key)] = d.entries[i].val.Interface()
		}
		return out
	}
	var out any
	_ = json.Unmarshal([]byte(jsonStringify(v, 0)), &out)
	return out
}

// MarshalJSON encodes v as the reference's jsonStringify does.
func (v Value) MarshalJSON() ([]byte, error) {
	return []byte(jsonStringify(v, 0)), nil
}
