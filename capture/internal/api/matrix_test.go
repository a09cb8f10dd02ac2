package api

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/hoggo/common/compression"
)

// TestFixtureMatrix sends each payload fixture to every analytics endpoint
// as plain JSON, as a form (data=<base64>), gzip-compressed, base64-wrapped
// and lz64-compressed, and checks one message per event.
func TestFixtureMatrix(t *testing.T) {
	env := newEnv(t, envOpts{now: fixedClock})
	type fx struct {
		name   string
		events []string
		token  string
		paths  []string
	}
	all := []string{"/e", "/i/v0/e", "/batch", "/capture", "/track", "/engage"}
	fixtures := []fx{
		{"single_event_payload.json", []string{"$autocapture"}, "", all},
		{"batch_events_payload.json", []string{"$pageview", "$pageleave"}, "", all},
		{"single_engage_event_payload.json", []string{"$identify"}, "", []string{"/engage", "/engage/"}},
	}
	encodings := map[string]func([]byte) ([]byte, string, string){
		"json":   func(b []byte) ([]byte, string, string) { return b, "application/json", "" },
		"form":   func(b []byte) ([]byte, string, string) { return formBody(b), FormMIMEType(), "" },
		"gzip":   func(b []byte) ([]byte, string, string) { return gzipBytes(t, b), "text/plain", "?compression=gzip-js" },
		"gzip-h": func(b []byte) ([]byte, string, string) { return gzipBytes(t, b), "application/json", "" },
		"base64": func(b []byte) ([]byte, string, string) {
			return []byte(base64.StdEncoding.EncodeToString(b)), "text/plain", ""
		},
		"lz64": func(b []byte) ([]byte, string, string) {
			return []byte(compression.CompressLZ64(string(b))), FormMIMEType(), "?compression=lz64"
		},
	}
	want := 0
	var wantEvents []string
	for _, f := range fixtures {
		body := fixture(t, f.name)
		for _, p := range f.paths {
			for name, enc := range encodings {
				payload, ct, q := enc(body)
				if name == "lz64" {
					payload = []byte("data=" + url.QueryEscape(string(payload)))
				}
				r := env.post(p+q, payload, ct)
				if r.status != 200 {
					t.Errorf("%s %s %s: %d %s", f.name, p, name, r.status, r.body)
					continue
				}
				want += len(f.events)
				wantEvents = append(wantEvents, f.events...)
			}
		}
	}
	recs := env.consume(testTopics.Main, want)
	for i, r := range recs {
		v := decodeValue(t, r)
		if v["event"] != wantEvents[i] {
			t.Errorf("message %d: event %v, want %s", i, v["event"], wantEvents[i])
		}
		if v["token"] == "" || v["distinct_id"] == "" || v["uuid"] == "" {
			t.Errorf("message %d missing fields: %v", i, v)
		}
	}
	t.Logf("%d messages across the endpoint × encoding matrix", len(recs))
}

func FormMIMEType() string { return "application/x-www-form-urlencoded" }

func formBody(b []byte) []byte {
	return []byte("data=" + url.QueryEscape(base64.StdEncoding.EncodeToString(b)))
}

// TestBadInput checks that malformed requests get a 4xx with a JSON body.
func TestBadInput(t *testing.T) {
	env := newEnv(t, envOpts{now: fixedClock})
	ev := []byte(`{"token":"t","event":"e","distinct_id":"d"}`)
	gz := gzipBytes(t, ev)
	bomb := gzipBytes(t, bytes.Repeat([]byte{'['}, 40<<20)) // 40 MiB of '[' in ~40 KB, limit 25 MiB
	hugeID := `{"token":"t","event":"e","distinct_id":"` + strings.Repeat("x", 3<<20) + `"}`
	cases := []struct {
		name, path string
		body       []byte
		ct         string
		status     int
		code       string
	}{
		{"garbage bytes", "/e", []byte{0xde, 0xad, 0xbe, 0xef, 0x00, 0xff}, "", 400, "request_decoding_error"},
		{"garbage text", "/batch", []byte("hello there"), "", 400, "request_parsing_error"},
		{"truncated gzip", "/batch", gz[:len(gz)/2], "", 400, "request_decoding_error"},
		{"corrupt gzip", "/batch", append(append([]byte{}, gz[:10]...), bytes.Repeat([]byte{0xff}, 20)...), "", 400, "request_decoding_error"},
		{"gzip bomb", "/batch", bomb, "", 413, "payload_too_large"},
		{"30 MB body", "/batch", bytes.Repeat([]byte("a"), 30<<20), "", 413, "payload_too_large"},
		{"event is a number", "/e", []byte(`{"token":"t","event":42,"distinct_id":"d"}`), "", 400, "request_parsing_error"},
		{"properties is a string", "/e", []byte(`{"token":"t","event":"e","distinct_id":"d","properties":"x"}`), "", 400, "request_parsing_error"},
		{"batch is an object", "/batch", []byte(`{"api_key":"t","batch":{"event":"e"}}`), "", 400, "request_hydration_error"},
		{"token is a number", "/e", []byte(`{"token":5,"event":"e","distinct_id":"d"}`), "", 400, "request_parsing_error"},
		{"top-level number", "/e", []byte(`42`), "", 400, "request_parsing_error"},
		{"empty batch", "/batch", []byte(`{"api_key":"t","batch":[]}`), "", 400, "empty_batch"},
		{"empty array", "/e", []byte(`[]`), "", 400, "empty_batch"},
		{"huge distinct_id", "/e", []byte(hugeID), "", 413, "payload_too_large"},
		{"form expected", "/e", ev, FormMIMEType(), 400, "request_decoding_error"},
		{"bad uuid", "/e", []byte(`{"token":"t","event":"e","distinct_id":"d","uuid":"zzz"}`), "", 400, "request_parsing_error"},
		{"deep nesting", "/e", []byte(`{"token":"t","event":"e","distinct_id":"d","properties":{"a":` + strings.Repeat("[", 500) + strings.Repeat("]", 500) + `}}`), "", 400, "request_parsing_error"},
		{"bad _ param", "/e?_=abc", ev, "", 400, "request_decoding_error"},
	}
	for _, c := range cases {
		r := env.post(c.path, c.body, c.ct)
		want := fmt.Sprintf(`{"status":%d,"code":"%s",`, c.status, c.code)
		if r.status != c.status || !strings.HasPrefix(r.body, want) {
			t.Errorf("%s: %d %.200s (want %s)", c.name, r.status, r.body, want)
		}
	}
	// A long (but within limits) distinct_id is truncated, not rejected.
	long := `{"token":"t","event":"e","distinct_id":"` + strings.Repeat("é", 5000) + `"}`
	if r := env.post("/e", []byte(long), ""); r.status != 200 {
		t.Fatalf("long distinct_id: %d %s", r.status, r.body)
	}
	v := decodeValue(t, env.consume(testTopics.Main, 1)[0])
	if id := v["distinct_id"].(string); id != strings.Repeat("é", 200) {
		t.Errorf("distinct_id not truncated to 200 chars: %d runes", len([]rune(id)))
	}
	if n := env.count(testTopics.Main); n != 1 {
		t.Errorf("%d messages, want 1", n)
	}
}
