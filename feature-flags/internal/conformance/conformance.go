// Package conformance locates and loads the shared feature-flags conformance
// data (../shared/conformance/feature-flags relative to the workspace root)
// for tests. The data is never copied into this repository.
package conformance

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the feature-flags conformance directory, found by walking up from
// the working directory to the folder holding go.work. The test fails if it is
// missing.
func Dir(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatalf("getwd: %v", err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
			dir := filepath.Join(d, "..", "shared", "conformance", "feature-flags")
			if _, err := os.Stat(dir); err != nil {
				t.Fatalf("conformance data: %v", err)
			}
			return dir
		}
		if filepath.Dir(d) == d {
			t.Fatalf("no go.work above %s", wd)
		}
	}
}

// Load decodes the JSON file at rel (relative to Dir) into v.
func Load(t testing.TB, rel string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(t), rel))
	if err != nil {
		t.Fatalf("read %s: %v", rel, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", rel, err)
	}
}

// Read returns the raw bytes of the file at rel (relative to Dir).
func Read(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(t), rel))
	if err != nil {
		t.Fatalf("read %s: %v", rel, err)
	}
	return b
}
