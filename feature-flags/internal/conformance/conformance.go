// Package conformance locates and loads the shared feature-flags conformance
// data (../shared/conformance/feature-flags relative to the workspace root)
// for tests. The data is never copied into this repository.
package conformance

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/hoggo/common/conformance"
)

// Dir returns the feature-flags conformance directory; the test fails if it
// is missing.
func Dir(t testing.TB) string {
	t.Helper()
	return conformance.Dir(t, "feature-flags")
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
