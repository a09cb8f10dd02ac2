package payload

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hoggo/common/conformance"
)

// conformanceDir is the shared capture conformance folder.
func conformanceDir(t testing.TB) string {
	t.Helper()
	return conformance.Dir(t, "capture")
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(conformanceDir(t), "fixtures", name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return b
}
