package hogvm

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func mustLoad(t testing.TB, tokens ...any) *Program {
	t.Helper()
	p, err := LoadTokens(tokens)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func execValue(t *testing.T, tokens ...any) Value {
	t.Helper()
	res, err := Exec(mustLoad(t, tokens...), nil)
	if err != nil {
		t.Fatal(err)
	}
	return res.Value
}

func execErr(tokens ...any) string {
	p, err := LoadTokens(tokens)
	if err != nil {
		return err.Error()
	}
	_, err = ExecAsync(context.Background(), p, &Options{})
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestOperators(t *testing.T) {
	cases := []struct {
		tokens []any
		want   string
	}{
		{[]any{"_h", 33, 1, 33, 2, 6}, "3"},
		{[]any{"_h", 33, 1, 33, 2, 7}, "1"},
		{[]any{"_h", 33, 3, 33, 2, 8}, "6"},
		{[]any{"_h", 33, 2, 33, 3, 9}, "1.5"},
		{[]any{"_h", 33, 3, 33, 5, 10}, "2"},
		{[]any{"_h", 29, 29, 3, 2}, "true"},
		{[]any{"_h", 29, 30, 29, 3, 3}, "false"},
		{[]any{"_h", 30, 30, 29, 4, 3}, "true"},
		{[]any{"_h", 29, 5}, "false"},
		{[]any{"_h", 33, 1, 33, 2, 15}, "false"},
		{[]any{"_h", 33, 1, 33, 2, 13}, "true"},
		{[]any{"_h", 32, "%a%", 32, "baa", 17}, "true"},
		{[]any{"_h", 32, "%x%", 32, "baa", 17}, "false"},
		{[]any{"_h", 32, "%A%", 32, "baa", 18}, "true"},
		{[]any{"_h", 32, "car", 32, "a", 21}, "true"},
		{[]any{"_h", 32, "car", 32, "a", 22}, "false"},
		{[]any{"_h", 32, "(?i)AL", 32, "kala", 23}, "true"},
		{[]any{"_h", 32, "(?-i)AL", 32, "kala", 25}, "false"},
		{[]any{"_h", 32, "AL", 32, "kala", 24}, "true"},
		{[]any{"_h", 33, 1, 31, 11}, "false"},
		{[]any{"_h", 33, 1, 31, 12}, "true"},
		{[]any{"_H", 1, 33, 0, 31, 16}, "true"},      // null <= 0
		{[]any{"_H", 1, 31, 33, 1, 13}, "true"},      // 1 > null
		{[]any{"_H", 1, 32, "1", 33, 1, 11}, "true"}, // 1 == '1'
		{[]any{"_H", 1, 32, "true", 29, 11}, "true"},
		{[]any{"_H", 1, 33, 10, 32, "9", 13}, "false"}, // '9' > 10
		{[]any{"_H", 1, 32, "a", 32, "b", 13}, "true"}, // 'b' > 'a'
	}
	for _, c := range cases {
		if got := Print(execValue(t, c.tokens...)); got != c.want {
			t.Errorf("%v = %s, want %s", c.tokens, got, c.want)
		}
	}
}

func TestSTLCalls(t *testing.T) {
	cases := []struct {
		tokens []any
		want   string
	}{
		{[]any{"_h", 31, 29, 32, "a", 2, "concat", 3}, "'atrue'"},
		{[]any{"_H", 1, 32, "", 32, ".+", 2, "match", 2}, "false"},
		{[]any{"_H", 1, 34, 1.2345, 33, 2, 2, "round", 2}, "1"},
		{[]any{"_H", 1, 34, 1.9, 33, 1, 2, "floor", 2}, "1"},
		{[]any{"_H", 1, 33, 123, 32, "UTC", 2, "toString", 2}, "'123'"},
		{[]any{"_H", 1, 32, "abc", 32, "b", 33, 1, 2, "position", 3}, "2"},
		{[]any{"_H", 1, 32, "ABC", 32, "b", 33, 1, 2, "positionCaseInsensitive", 3}, "2"},
		{[]any{"_H", 1, 33, 10, 33, 9, 33, 1, 43, 3, 2, "arraySort", 1}, "[1, 10, 9]"},
		{[]any{"_H", 1, 32, "v2.10.3-beta", 2, "sortableSemver", 1}, "[2, 10, 3]"},
		{[]any{"_H", 1, 32, "12abc", 2, "toInt", 1}, "12"},
		{[]any{"_H", 1, 32, "2024-01-02T03:04:05.678Z", 2, "toDateTime", 1, 2, "toString", 1}, "'2024-01-02T03:04:05.678Z'"},
		{[]any{"_H", 1, 32, "2024-01-02 03:04:05", 32, "Europe/Berlin", 2, "toDateTime", 2, 2, "toString", 1}, "'2024-01-02T03:04:05.000+01:00'"},
		{[]any{"_H", 1, 32, "a", 33, 1, 42, 1, 33, 2, 2, "jsonStringify", 2}, "'{\\n  \"a\": 1\\n}'"},
		{[]any{"_H", 1, 32, `{"b":1,"2":2,"a":3,"1":4}`, 2, "jsonParse", 1}, "{'1': 4, '2': 2, 'b': 1, 'a': 3}"},
	}
	for _, c := range cases {
		if got := Print(execValue(t, c.tokens...)); got != c.want {
			t.Errorf("%v = %s, want %s", c.tokens, got, c.want)
		}
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		tokens []any
		want   string
	}{
		{[]any{}, "Invalid HogQL bytecode, must start with '_H'"},
		{[]any{"_h", "invalid"}, `Unexpected node while running bytecode in chunk "root": invalid`},
		{[]any{"_h", 2, "notAFunction", 0}, "Unsupported function call: notAFunction"},
		{[]any{"_h", 33}, "Unexpected end of bytecode"},
		{[]any{"_h", 2, "concat", 1}, "Not enough arguments on the stack"},
		{[]any{"_H", 1, 32, "a", 2, "replaceOne", 1}, "Function replaceOne requires at least 3 arguments"},
		{[]any{"_H", 1, 32, "a", 32, "b", 2, "lower", 2}, "Function lower requires at most 1 arguments"},
		{[]any{"_H", 1, 35}, "Invalid HogQL bytecode, stack is empty, can not pop"},
		{[]any{"_H", 1, 51}, "Invalid operation POP_TRY: no try block to pop"},
		{[]any{"_H", 1, 33, 1, 49}, "Can not throw: value is not of type Error"},
		{[]any{"_H", 1, 32, "it's bad", 2, "Error", 1, 49}, `Error('it\'s bad')`},
		{[]any{"_H", 1, 32, "nope", 1, 1}, "Global variable not found: nope"},
		{[]any{"_H", 1, 43, 0, 33, 0, 45}, "Hog arrays start from index 1"},
		{[]any{"_H", 1, 2, "fn", 301}, "Not enough arguments on the stack"},
	}
	for _, c := range cases {
		if got := execErr(c.tokens...); got != c.want {
			t.Errorf("%v: got %q, want %q", c.tokens, got, c.want)
		}
	}
	many := []any{"_H", 1}
	for i := 0; i < 301; i++ {
		many = append(many, 31)
	}
	many = append(many, 2, "concat", 301)
	if got := execErr(many...); got != "Too many arguments" {
		t.Errorf("301 args: %q", got)
	}
}

func sleeps(n int) []any {
	tokens := []any{"_H", 1}
	for i := 0; i < n; i++ {
		tokens = append(tokens, 33, 0, 2, "sleep", 1, 35)
	}
	return tokens
}

func TestAsyncStepLimit(t *testing.T) {
	p := mustLoad(t, sleeps(200)...)
	_, err := ExecAsync(context.Background(), p, nil)
	if err == nil || err.Error() != "Exceeded maximum number of async steps: 100" {
		t.Fatalf("got %v", err)
	}
	_, err = ExecAsync(context.Background(), p, &Options{MaxAsyncSteps: 55})
	if err == nil || err.Error() != "Exceeded maximum number of async steps: 55" {
		t.Fatalf("got %v", err)
	}
	res, err := ExecAsync(context.Background(), mustLoad(t, sleeps(3)...), nil)
	if err != nil || !res.Finished || res.State != nil {
		t.Fatalf("3 sleeps: %v %+v", err, res)
	}
}

func TestMemoryLimit(t *testing.T) {
	// s := 'x'; while (true) { s := concat(s, s) }
	p := mustLoad(t, "_H", 1, 32, "x", 36, 0, 36, 0, 2, "concat", 2, 37, 0, 39, -11)
	_, err := Exec(p, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "Memory limit of 67108864 bytes exceeded. Tried to allocate ") {
		t.Fatalf("got %v", err)
	}
	_, err = Exec(p, &Options{MemoryLimit: 1000})
	if err == nil || !strings.HasPrefix(err.Error(), "Memory limit of 1000 bytes exceeded. Tried to allocate 1") {
		t.Fatalf("got %v", err)
	}
}

func TestTimeout(t *testing.T) {
	p := mustLoad(t, "_H", 1, 39, -2)
	_, err := Exec(p, &Options{Timeout: 20 * time.Millisecond})
	if err == nil || !strings.HasPrefix(err.Error(), "Execution timed out after 0.02 seconds. Performed ") {
		t.Fatalf("got %v", err)
	}
}

func TestCallDepth(t *testing.T) {
	// f := () -> f(); f()
	p := mustLoad(t, "_H", 1, 31, 52, "f", 0, 1, 5, 55, 0, 54, 0, 38, 53, 1, 1, 0, 37, 0, 36, 0, 54, 0)
	_, err := Exec(p, nil)
	if err == nil || err.Error() != "Call stack exceeded maximum length of 1000" {
		t.Fatalf("got %v", err)
	}
}

func TestAsyncStateRoundTrip(t *testing.T) {
	// let x := (1, 2); let r := fetch('url'); print(x, r)
	p := mustLoad(t, "_H", 1, 33, 1, 33, 2, 44, 2, 32, "url", 2, "fetch", 1, 36, 0, 36, 1, 2, "print", 2, 35)
	var lines []string
	opts := &Options{
		AsyncFunctions: map[string]AsyncFunc{"fetch": nil},
		Print:          func(l string) { lines = append(lines, l) },
	}
	res, err := Exec(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Finished || res.AsyncFunctionName != "fetch" || len(res.AsyncFunctionArgs) != 1 || res.AsyncFunctionArgs[0].AsString() != "url" {
		t.Fatalf("not suspended on fetch: %+v", res)
	}
	data, err := json.Marshal(res.State)
	if err != nil {
		t.Fatal(err)
	}
	var generic map[string]any
	if err := json.Unmarshal(data, &generic); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"bytecodes", "stack", "upvalues", "callStack", "throwStack", "declaredFunctions", "ops", "asyncSteps", "syncDuration", "maxMemUsed"} {
		if _, ok := generic[k]; !ok {
			t.Errorf("state JSON lacks %q: %s", k, data)
		}
	}
	if got := string(mustJSON(t, generic["stack"])); got != "[[1,2]]" {
		t.Errorf("stack = %s", got)
	}
	if generic["asyncSteps"].(float64) != 1 {
		t.Errorf("asyncSteps = %v", generic["asyncSteps"])
	}
	st, err := UnmarshalState(data)
	if err != nil {
		t.Fatal(err)
	}
	body := NewDict(2)
	body.SetString("status", Int(200))
	res, err = Resume(st, NewDictValue(body), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Finished || len(lines) != 1 || lines[0] != "[1, 2] {'status': 200}" {
		t.Fatalf("finished=%v lines=%q", res.Finished, lines)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGlobalsAndHostFunctions(t *testing.T) {
	g, err := ParseJSON([]byte(`{"properties": {"foo": "bar"}}`))
	if err != nil {
		t.Fatal(err)
	}
	opts := &Options{
		Globals: g,
		Functions: map[string]HostFunc{"double": func(args []Value) (Value, error) {
			return Number(args[0].AsNumber() * 2), nil
		}},
	}
	p := mustLoad(t, "_H", 1, 32, "foo", 32, "properties", 1, 2, 32, "nope", 32, "properties", 1, 2, 33, 21, 2, "double", 1, 44, 3)
	res, err := Exec(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := Print(res.Value); got != "('bar', null, 42)" {
		t.Fatalf("got %s", got)
	}
}
