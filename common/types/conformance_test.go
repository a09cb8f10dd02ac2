package types

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hoggo/common/conformance"
)

// conformanceDir is the shared capture conformance folder.
func conformanceDir(tb testing.TB) string {
	tb.Helper()
	return conformance.Dir(tb, "capture")
}

type dumpCase struct {
	Path        string
	ContentType string `json:"content_type"`
	Body        string
	Output      []struct {
		Data string
	}
}

func dumpCases(tb testing.TB) []dumpCase {
	raw, err := os.ReadFile(filepath.Join(conformanceDir(tb), "requests_dump.jsonl"))
	if err != nil {
		tb.Skipf("conformance data: %v", err)
	}
	var cases []dumpCase
	for _, line := range strings.Split(string(raw), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var c dumpCase
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			tb.Fatal(err)
		}
		cases = append(cases, c)
	}
	return cases
}

// payload decodes a dump body the simple legacy way (form data= base64,
// gzip by magic bytes), enough to reach the event JSON.
func (c dumpCase) payload(tb testing.TB) []byte {
	body, err := base64.StdEncoding.DecodeString(c.Body)
	if err != nil {
		tb.Fatal(err)
	}
	if bytes.HasPrefix(body, []byte("data=")) {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			tb.Fatal(err)
		}
		if body, err = base64.StdEncoding.DecodeString(form.Get("data")); err != nil {
			tb.Fatal(err)
		}
	}
	if len(body) > 2 && body[0] == 0x1f && body[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			tb.Fatal(err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			tb.Fatal(err)
		}
	}
	return body
}

// Every event of the Django dump re-serialises to the data Django produced,
// modulo the node SDK extras the reference drops (capture.md §8.1 step 6).
func TestConformanceRawEventData(t *testing.T) {
	n := 0
	for i, c := range dumpCases(t) {
		req, err := ParseRawRequest(c.payload(t))
		if err != nil {
			t.Fatalf("case %d (%s): %v", i, c.Path, err)
		}
		if len(req.Events) != len(c.Output) {
			t.Fatalf("case %d: %d events, want %d", i, len(req.Events), len(c.Output))
		}
		for j, ev := range req.Events {
			var got, want map[string]any
			if err := json.Unmarshal(ev.AppendJSON(nil), &got); err != nil {
				t.Fatalf("case %d event %d: our data is not JSON: %v", i, j, err)
			}
			if err := json.Unmarshal([]byte(c.Output[j].Data), &want); err != nil {
				t.Fatal(err)
			}
			delete(want, "type")
			delete(want, "library")
			delete(want, "library_version")
			if !reflect.DeepEqual(got, want) {
				t.Errorf("case %d event %d:\n got %v\nwant %v", i, j, got, want)
			}
			n++
		}
	}
	if n < 50 {
		t.Fatalf("compared %d events, want ≥ 50", n)
	}
}

// The fixture payloads decode into the expected shapes.
func TestConformanceFixtures(t *testing.T) {
	dir := filepath.Join(conformanceDir(t), "fixtures")
	cases := map[string]struct {
		shape  RequestShape
		events int
	}{
		"single_event_payload.json":        {ShapeOne, 1},
		"batch_events_payload.json":        {ShapeBatch, 2},
		"single_replay_event_payload.json": {ShapeOne, 1},
		"single_engage_event_payload.json": {ShapeEngage, 1},
	}
	for name, want := range cases {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		req, err := ParseRawRequest(b)
		if err != nil || req.Shape != want.shape || len(req.Events) != want.events {
			t.Errorf("%s: shape %v, %d events, %v", name, req.Shape, len(req.Events), err)
			continue
		}
		for _, ev := range req.Events {
			out := ev.AppendJSON(nil)
			if !json.Valid(out) {
				t.Errorf("%s: invalid JSON out", name)
			}
			if did, ok := ev.ExtractDistinctID(); !ok || did == "" {
				t.Errorf("%s: no distinct_id", name)
			}
			if tok, ok := ev.ExtractToken(); (!ok || tok == "") && req.Token == nil {
				t.Errorf("%s: no token", name)
			}
		}
	}
}
