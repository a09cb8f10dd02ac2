package payload

import (
	"os"
	"path/filepath"
	"testing"
)

// conformanceDir finds ../shared/conformance/capture from the repo root
// (the directory holding go.work).
func conformanceDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return filepath.Join(dir, "..", "shared", "conformance", "capture")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("go.work not found; conformance data unavailable")
		}
		dir = parent
	}
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(conformanceDir(t), "fixtures", name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return b
}
