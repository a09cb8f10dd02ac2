package hogvm

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// nodeResult is what the npm VM printed for one program, and its error.
type nodeResult struct {
	Stdout string  `json:"stdout"`
	Error  *string `json:"error"`
}

// nodeVM returns the node binary when the npm VM is installed next to the
// tests, and skips the test otherwise: the differential oracle is optional.
func nodeVM(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed: the differential test against @posthog/hogvm is skipped")
	}
	if _, err := os.Stat(filepath.Join("bench", "node_modules", "@posthog", "hogvm")); err != nil {
		t.Skip("@posthog/hogvm not installed: run hogvm/bench/setup.sh to enable the differential test")
	}
	return node
}

// runNodeMany runs every bytecode through the npm VM in one node process.
func runNodeMany(t *testing.T, node string, progs []json.RawMessage) []nodeResult {
	t.Helper()
	file := filepath.Join(t.TempDir(), "cases.json")
	data, _ := json.Marshal(progs)
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join("bench", "run.js"), "execmany", file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v: %s", err, stderr.String())
	}
	var results []nodeResult
	if err := json.Unmarshal(out, &results); err != nil || len(results) != len(progs) {
		t.Fatalf("node output: %v (%d results for %d programs)", err, len(results), len(progs))
	}
	return results
}

// runNodeBatch runs token programs through the Node VM and returns the
// marshalled programs with {stdout, error} per program.
func runNodeBatch(t *testing.T, progs [][]any) ([]json.RawMessage, []nodeResult) {
	t.Helper()
	node := nodeVM(t)
	raw := make([]json.RawMessage, len(progs))
	for i, p := range progs {
		raw[i], _ = json.Marshal(p)
	}
	return raw, runNodeMany(t, node, raw)
}

func TestDifferentialNodeDates(t *testing.T) {
	instants := []any{0, 1609504496.789, 1700000000, 951782400, 1711846800, -86400.5, 1735689599}
	zones := []string{"UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"}
	var progs [][]any
	dt := func(ts any, zone string) []any { return []any{34, ts, 32, zone, 2, "toDateTime", 2} }
	for _, ts := range instants {
		for _, z := range zones {
			d := dt(ts, z)
			progs = append(progs, append(append([]any{"_H", 1}, d...), 2, "toString", 1, 2, "print", 1))
			for _, tok := range "abcCdDefFgGhHiIjklmMnpQrRsStTuVwWyYz%" {
				p := append([]any{"_H", 1}, d...)
				progs = append(progs, append(p, 32, "%"+string(tok)+"|", 2, "formatDateTime", 2, 2, "print", 1))
			}
			for _, fn := range []string{"toStartOfDay", "toStartOfHour", "toStartOfMonth", "toStartOfWeek", "toYear", "toMonth", "toYYYYMM", "toUnixTimestamp", "toInt", "toFloat"} {
				p := append([]any{"_H", 1}, d...)
				progs = append(progs, append(p, 2, fn, 1, 2, "print", 1))
			}
			for _, unit := range []string{"year", "month", "day", "hour", "minute"} {
				p := append([]any{"_H", 1, 32, unit}, d...)
				progs = append(progs, append(p, 2, "dateTrunc", 2, 2, "print", 1))
			}
			for _, unit := range []string{"second", "minute", "hour", "day", "week", "month", "year"} {
				p := append([]any{"_H", 1, 32, unit, 33, 7}, d...)
				progs = append(progs, append(p, 2, "dateAdd", 3, 2, "print", 1))
				p = append([]any{"_H", 1, 32, unit}, d...)
				p = append(p, dt(1735689599.5, "UTC")...)
				progs = append(progs, append(p, 2, "dateDiff", 3, 2, "print", 1))
			}
		}
	}
	for _, s := range []string{"2024-02-29", "2024-02-29T12:30", "2024-02-29 12:30:45.123456", "2024-02-29T12:30:45+05:30",
		"2024-13-01", "2024-02-30", "20240229", " 2024-01-01 ", "2024-01-01T00:00:00z"} {
		progs = append(progs, []any{"_H", 1, 32, s, 2, "toDateTime", 1, 2, "print", 1},
			[]any{"_H", 1, 32, s, 2, "toDate", 1, 2, "print", 1},
			[]any{"_H", 1, 32, s, 32, "Europe/Berlin", 2, "toDateTime", 2, 2, "toString", 1, 2, "print", 1})
	}
	raw, results := runNodeBatch(t, progs)
	same, failures := 0, 0
	for i, p := range raw {
		got, gerr := runCapture(t, p, nil)
		want := results[i]
		if got != want.Stdout || (gerr != nil) != (want.Error != nil) {
			failures++
			if failures <= 25 {
				ne := "<nil>"
				if want.Error != nil {
					ne = *want.Error
				}
				t.Errorf("%s\n go: %q %v\nnode: %q %s", p, got, gerr, want.Stdout, ne)
			}
			continue
		}
		same++
	}
	t.Logf("date differential: %d programs, %d identical, %d differ", len(raw), same, failures)
}

// TestDifferentialNodeTernary compares three-argument STL functions over mixed-type values.
func TestDifferentialNodeTernary(t *testing.T) {
	values := [][]any{{33, 0}, {33, 2}, {33, -1}, {34, 1.5}, {32, ""}, {32, "ab"}, {32, "$&-"}, {31}, {29},
		{33, 1, 33, 2, 43, 2}, {32, "k", 32, "v", 42, 1}}
	fns := []string{"substring", "replaceOne", "replaceAll", "if", "splitByString", "JSONExtract", "HogError",
		"position", "multiIf", "arrayStringConcat", "trimLeft"}
	var progs [][]any
	for _, fn := range fns {
		argc := 3
		if fn == "arrayStringConcat" || fn == "trimLeft" {
			argc = 2
		}
		for _, a := range values {
			for _, b := range values {
				for _, c := range values {
					p := append([]any{"_H", 1}, a...)
					p = append(p, b...)
					if argc == 3 {
						p = append(p, c...)
					}
					progs = append(progs, append(p, 2, fn, argc, 2, "print", 1))
				}
			}
		}
	}
	raw, results := runNodeBatch(t, progs)
	same, messages, failures, intended := 0, 0, 0, 0
	for i, p := range raw {
		got, gerr := runCapture(t, p, nil)
		want := results[i]
		if got != want.Stdout || (gerr != nil) != (want.Error != nil) {
			// null-tolerant string functions of the current reference (see nulls.stdout), and
			// HogError with a non-string message, which npm 1.0.71 cannot print (value.split)
			if want.Error != nil && gerr == nil && (bytes.Contains([]byte(*want.Error), []byte("of null")) ||
				*want.Error == "value.split is not a function") {
				intended++
				continue
			}
			failures++
			if failures <= 20 {
				ne := "<nil>"
				if want.Error != nil {
					ne = *want.Error
				}
				t.Errorf("%s\n go: %q %v\nnode: %q %s", p, got, gerr, want.Stdout, ne)
			}
			continue
		}
		if gerr != nil && gerr.Error() != *want.Error {
			messages++
			if os.Getenv("HOGVM_SHOW_MESSAGES") != "" {
				t.Logf("message: go %q | node %q", gerr.Error(), *want.Error)
			}
			continue
		}
		same++
	}
	t.Logf("ternary differential: %d programs, %d identical, %d differ only in a native error message, %d differ, %d known divergences",
		len(raw), same, messages, failures, intended)
}
