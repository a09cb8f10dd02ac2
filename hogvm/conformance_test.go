package hogvm

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// conformanceDir finds ../shared/conformance/hogvm next to the workspace root.
func conformanceDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("workspace root (go.work) not found")
		}
		dir = parent
	}
	c := filepath.Join(dir, "..", "shared", "conformance", "hogvm")
	if _, err := os.Stat(c); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("conformance data missing at %s", c)
		}
		t.Skipf("conformance data missing at %s", c)
	}
	return c
}

// expectedOutput picks the oracle file for a program as MANIFEST.md prescribes.
func expectedOutput(dir, name string) string {
	switch name {
	case "dicts", "hogqlx", "operations", "stl", "tuples", "crypto":
		return filepath.Join(dir, name+".stdout.npm")
	case "sql":
		return filepath.Join(dir, "sql.stdout.python")
	}
	return filepath.Join(dir, name+".stdout")
}

type corpusProgram struct {
	name, bytecode, expected string
}

func corpusPrograms(t testing.TB) []corpusProgram {
	root := conformanceDir(t)
	var out []corpusProgram
	for _, sub := range []string{"programs", "programs_rust_todo"} {
		files, _ := filepath.Glob(filepath.Join(root, sub, "*.hoge"))
		for _, f := range files {
			name := strings.TrimSuffix(filepath.Base(f), ".hoge")
			out = append(out, corpusProgram{name: name, bytecode: f, expected: expectedOutput(filepath.Dir(f), name)})
		}
	}
	return out
}

func runCapture(t testing.TB, data []byte, opts *Options) (string, error) {
	p, err := Load(data)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if opts == nil {
		opts = &Options{}
	}
	opts.Stdout = &buf
	_, err = Exec(p, opts)
	return buf.String(), err
}

func TestConformancePrograms(t *testing.T) {
	progs := corpusPrograms(t)
	pass := 0
	for _, p := range progs {
		data, err := os.ReadFile(p.bytecode)
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(p.expected)
		if err != nil {
			t.Errorf("%s: no oracle: %v", p.name, err)
			continue
		}
		got, err := runCapture(t, data, nil)
		if err != nil {
			t.Errorf("%s: error %v", p.name, err)
			continue
		}
		if strings.TrimRight(got, "\n") != strings.TrimRight(string(want), "\n") {
			gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
			for i := range wl {
				if i >= len(gl) || gl[i] != wl[i] {
					g := ""
					if i < len(gl) {
						g = gl[i]
					}
					t.Errorf("%s: line %d: got %q, want %q", p.name, i+1, g, wl[i])
					break
				}
			}
			continue
		}
		pass++
	}
	t.Logf("conformance programs: %d/%d pass", pass, len(progs))
	if pass != len(progs) {
		t.Fail()
	}
}

func TestArityVectors(t *testing.T) {
	root := conformanceDir(t)
	data, err := os.ReadFile(filepath.Join(root, "spec", "vectors", "arity.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []struct {
			Name            string          `json:"name"`
			Implementations []string        `json:"implementations"`
			Bytecode        json.RawMessage `json:"bytecode"`
			Expect          struct {
				Error string `json:"error"`
			} `json:"expect"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	pass := 0
	for _, c := range file.Cases {
		_, err := runCapture(t, c.Bytecode, nil)
		if err == nil || err.Error() != c.Expect.Error {
			t.Errorf("%s: got %v, want %q", c.Name, err, c.Expect.Error)
			continue
		}
		pass++
	}
	t.Logf("arity vectors: %d/%d pass", pass, len(file.Cases))
}

// stlOracleTSValues are the cases where the oracle (generated with the Python
// VM) differs from the TypeScript VM we match; the TypeScript output is expected.
var stlOracleTSValues = map[string]string{
	"round#0":           "3",
	"jsonStringify#0":   `{"a":1,"b":[2,3]}`,
	"toUnixTimestamp#0": "1609504496",
}

func TestSTLOracle(t *testing.T) {
	root := conformanceDir(t)
	data, err := os.ReadFile(filepath.Join(root, "stl_oracle.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Entries []struct {
			Label    string          `json:"label"`
			Match    string          `json:"match"`
			Bytecode json.RawMessage `json:"bytecode"`
			Expected string          `json:"expected"`
		} `json:"entries"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	pass := 0
	for _, e := range file.Entries {
		got, err := runCapture(t, e.Bytecode, nil)
		if err != nil {
			t.Errorf("%s: error %v", e.Label, err)
			continue
		}
		want := e.Expected
		if ts, ok := stlOracleTSValues[e.Label]; ok {
			want = ts
		}
		if e.Match == "exact" && strings.TrimRight(got, "\n") != want {
			t.Errorf("%s: got %q, want %q", e.Label, got, want)
			continue
		}
		if e.Match == "smoke" && strings.TrimSpace(got) == "" {
			t.Errorf("%s: printed nothing", e.Label)
			continue
		}
		pass++
	}
	t.Logf("stl oracle: %d/%d pass", pass, len(file.Entries))
}

func TestSTLContract(t *testing.T) {
	root := conformanceDir(t)
	data, err := os.ReadFile(filepath.Join(root, "spec", "stl.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Functions map[string]struct {
			MinArgs int  `json:"minArgs"`
			MaxArgs *int `json:"maxArgs"`
		} `json:"functions"`
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		t.Fatal(err)
	}
	for name, f := range spec.Functions {
		if name == "run" || name == "sleep" {
			continue
		}
		e := stlFunctions[name]
		if e == nil {
			t.Errorf("%s: not implemented", name)
			continue
		}
		max := -1
		if f.MaxArgs != nil {
			max = *f.MaxArgs
		}
		if e.min != f.MinArgs || e.max != max {
			t.Errorf("%s: arity %d-%d, contract %d-%d", name, e.min, e.max, f.MinArgs, max)
		}
	}
}
