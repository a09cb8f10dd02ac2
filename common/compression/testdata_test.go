package compression

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// conformanceDir is ../shared/conformance/capture relative to the workspace
// root (the directory holding go.work).
func conformanceDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return filepath.Join(dir, "..", "shared", "conformance", "capture")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Skip("go.work not found; conformance data unavailable")
		}
		dir = parent
	}
}

// capturePayloads returns the fixture JSON bodies and the decoded request
// bodies of requests_dump.jsonl.
func capturePayloads(tb testing.TB) [][]byte {
	tb.Helper()
	dir := conformanceDir(tb)
	var out [][]byte
	fixtures, _ := filepath.Glob(filepath.Join(dir, "fixtures", "*.json"))
	for _, f := range fixtures {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	dump, err := os.ReadFile(filepath.Join(dir, "requests_dump.jsonl"))
	if err != nil {
		tb.Skipf("conformance data: %v", err)
	}
	for _, line := range strings.Split(string(dump), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var c struct{ Body string }
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			tb.Fatal(err)
		}
		body, err := base64.StdEncoding.DecodeString(c.Body)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, body)
	}
	if len(out) == 0 {
		tb.Skip("no conformance payloads")
	}
	return out
}

func gzipBytes(tb testing.TB, b []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
