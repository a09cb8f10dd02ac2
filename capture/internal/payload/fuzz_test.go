package payload

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoggo/capture/internal/apierr"
)

// seedBodies returns the raw HTTP bodies of the conformance recordings and
// the payload fixtures (plain and gzipped).
func seedBodies(f *testing.F) [][]byte {
	dir := conformanceDir(f)
	var out [][]byte
	fh, err := os.Open(filepath.Join(dir, "requests_dump.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		var c struct{ Body string }
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			f.Fatal(err)
		}
		b, err := base64.StdEncoding.DecodeString(c.Body)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "fixtures", "*.json"))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		var gz bytes.Buffer
		w := gzip.NewWriter(&gz)
		w.Write(b)
		w.Close()
		out = append(out, b, gz.Bytes())
	}
	return out
}

// FuzzDecode runs the whole payload pipeline on arbitrary bodies: it must
// never panic, and what it accepts must re-serialise to valid JSON.
func FuzzDecode(f *testing.F) {
	for i, b := range seedBodies(f) {
		ct := ""
		if bytes.HasPrefix(b, []byte("data=")) {
			ct = FormMIMEType
		}
		f.Add(b, []string{"/e/", "/i/v0/e", "/batch", "/engage"}[i%4], ct, uint8(i%3))
	}
	f.Fuzz(func(t *testing.T, body []byte, path, contentType string, hint uint8) {
		in := Input{Path: path, ContentType: contentType, Body: body, Limit: 1 << 20}
		in.Query.Compression = Compression(hint % 4)
		dec, err := Decode(in)
		if err != nil {
			var e *apierr.Error
			if !errors.As(err, &e) || e.Status() >= 500 {
				t.Fatalf("Decode error is not a client error: %v", err)
			}
			return
		}
		if len(dec.Text) > in.Limit {
			t.Fatalf("decoded %d bytes past the %d limit", len(dec.Text), in.Limit)
		}
		checkParse(t, dec.Text, path)
	})
}

// FuzzParseBody feeds arbitrary text to the body-shape parser.
func FuzzParseBody(f *testing.F) {
	for _, b := range seedBodies(f) {
		if dec, err := Decode(Input{Path: "/e/", Body: b, Limit: 1 << 22, ContentType: formIf(b)}); err == nil {
			f.Add(dec.Text)
		}
	}
	for _, s := range []string{`[]`, `{}`, `{"api_key":"t","batch":[{"event":"e"}]}`, `{"event":"e","uuid":""}`,
		`[{"event":"\ud83c"}]`, `{"event":"e","properties":{"a":[1,{"b":null}]},"offset":-1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		checkParse(t, text, "/engage")
		checkParse(t, text, "/e")
	})
}

func formIf(b []byte) string {
	if bytes.HasPrefix(b, []byte("data=")) {
		return FormMIMEType
	}
	return ""
}

func checkParse(t *testing.T, text []byte, path string) {
	t.Helper()
	b, err := ParseBody(text, path)
	if err != nil {
		var e *apierr.Error
		if !errors.As(err, &e) || e.Status() != 400 {
			t.Fatalf("ParseBody error is not a 400: %v", err)
		}
		return
	}
	if !json.Valid(text) {
		t.Fatalf("ParseBody accepted invalid JSON: %q", text)
	}
	for i := range b.Events {
		out := b.Events[i].AppendJSON(nil)
		if !json.Valid(out) {
			t.Fatalf("event %d re-serialised to invalid JSON: %s", i, out)
		}
	}
}
