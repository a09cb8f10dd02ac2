package hogvm

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestValueOfAndBack(t *testing.T) {
	in := map[string]any{"b": 1, "a": []any{"x", true, nil}, "2": 2.5, "10": map[string]any{"k": "v"}}
	v, err := ValueOf(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := Print(v); got != "{'2': 2.5, '10': {'k': 'v'}, 'a': ['x', true, null], 'b': 1}" {
		t.Fatalf("Print = %s", got)
	}
	data, err := json.Marshal(v)
	if err != nil || string(data) != `{"2":2.5,"10":{"k":"v"},"a":["x",true,null],"b":1}` {
		t.Fatalf("MarshalJSON = %s, %v", data, err)
	}
	back := v.Interface()
	want := map[string]any{"b": 1.0, "a": []any{"x", true, nil}, "2": 2.5, "10": map[string]any{"k": "v"}}
	if !reflect.DeepEqual(back, want) {
		t.Fatalf("Interface = %#v", back)
	}
	if _, err := ValueOf(struct{}{}); err == nil {
		t.Fatal("ValueOf(struct{}) should fail")
	}
}
