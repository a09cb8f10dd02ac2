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

	"github.com/hoggo/common/conformance"
)

// conformanceDir is the shared capture conformance folder.
func conformanceDir(tb testing.TB) string {
	tb.Helper()
	return conformance.Dir(tb, "capture")
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
