package hogvm

import (
	"encoding/json"
	"os"
	"testing"
	"time"
)

var fuzzOptions = func() *Options {
	return &Options{Timeout: 200 * time.Millisecond, MemoryLimit: 1 << 20, MaxAsyncSteps: 3,
		AsyncFunctions: map[string]AsyncFunc{"fetch": nil}}
}

// FuzzLoad feeds arbitrary JSON to the loader and runs whatever loads.
func FuzzLoad(f *testing.F) {
	for _, p := range corpusPrograms(f) {
		if data, err := os.ReadFile(p.bytecode); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`["_H", 1, 32, "a", 2, "print", 1]`))
	f.Add([]byte(`{"bytecodes": {"root": {"bytecode": ["_H", 1, 2, "import", 1]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Load(data)
		if err != nil {
			return
		}
		runFuzz(t, p)
	})
}

// fuzzStrings are the string tokens FuzzOpcodes can emit.
var fuzzStrings = []string{"print", "concat", "a", "", "arrayMap", "values", "jsonParse", "jsonStringify", "sleep",
	"fetch", "toString", "length", "keys", "substring", "replaceAll", "Error", "import", "root", "sortableSemver",
	"range", "splitByString", "formatDateTime", "toDateTime", "like", "%a_", "(?i)a+", "{\"a\":[1,2]}", "🦔", "event"}

// FuzzOpcodes builds token arrays from bytes, so most inputs are structurally
// valid bytecode that reaches deep into the VM.
func FuzzOpcodes(f *testing.F) {
	f.Add([]byte{32, 0, 33, 1, 2, 1, 1})
	f.Add([]byte{52, 3, 1, 0, 4, 36, 0, 38, 53, 0, 33, 5, 54, 1})
	f.Add([]byte{50, 5, 33, 1, 2, 15, 1, 49, 51, 39, 200})
	f.Fuzz(func(t *testing.T, data []byte) {
		tokens := []any{"_H", 1}
		for i := 0; i < len(data); i++ {
			b := data[i]
			switch {
			case b == 250 && i+1 < len(data):
				i++
				tokens = append(tokens, fuzzStrings[int(data[i])%len(fuzzStrings)])
			case b == 251 && i+1 < len(data):
				i++
				tokens = append(tokens, -int(data[i]))
			case b == 252:
				tokens = append(tokens, 1.5)
			case b == 253:
				tokens = append(tokens, nil)
			case b == 254:
				tokens = append(tokens, true)
			default:
				tokens = append(tokens, int(b))
			}
		}
		data, err := json.Marshal(tokens)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Load(data)
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		runFuzz(t, p)
	})
}

func runFuzz(t *testing.T, p *Program) {
	opts := fuzzOptions()
	start := time.Now()
	res, err := Exec(p, opts)
	for i := 0; err == nil && !res.Finished && i < 3; i++ {
		if _, jerr := json.Marshal(res.State); jerr != nil {
			t.Fatalf("marshal state: %v", jerr)
		}
		res, err = Resume(res.State, Null, opts)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %s", d)
	}
	_ = err
}
