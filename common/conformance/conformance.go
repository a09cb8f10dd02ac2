// Package conformance locates the shared conformance data (PostHog's own test
// fixtures, kept in ../shared/conformance beside the repository) for tests and
// fuzz seeds. The data is read in place and never copied into the repository.
package conformance

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Dir returns ../shared/conformance/<area> relative to the workspace root (the
// folder holding go.work), found by walking up from the working directory.
// The test fails when the folder is missing: conformance tests never pass by
// skipping.
func Dir(tb testing.TB, area string) string {
	tb.Helper()
	dir, err := Find(area)
	if err != nil {
		tb.Fatalf("conformance data: %v", err)
	}
	return dir
}

// Path is Dir joined with a file name inside it.
func Path(tb testing.TB, area, name string) string {
	tb.Helper()
	return filepath.Join(Dir(tb, area), name)
}

// Find is Dir without a test: it returns an error instead of failing.
func Find(area string) (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
			dir := filepath.Join(d, "..", "shared", "conformance", area)
			if _, err := os.Stat(dir); err != nil {
				return "", err
			}
			return dir, nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("no go.work above " + wd + ": run the tests inside the workspace")
		}
	}
}
