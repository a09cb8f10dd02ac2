package compression

import (
	"bytes"
	"encoding/base64"
	"testing"
)

func TestLooksLikeBase64(t *testing.T) {
	long := bytes.Repeat([]byte("QUJD"), 40) // 160 bytes
	cases := []struct {
		in                  string
		strict, loose, url_ bool
	}{
		{"", false, false, false},
		{"QUJD", true, true, true},
		{"QUI=", true, true, false},
		{"QU+/", true, true, false},
		{"QU-_", false, false, true},
		{"QU J", false, true, false},
		{"QUJ", false, false, false},    // not a multiple of 4
		{"{\"a", false, false, false},   // JSON
		{"data=eyJ", true, true, false}, // why capture checks for a form first
		{string(long), true, true, true},
		// Only the first 128 bytes are inspected.
		{string(long[:128]) + "!!!!", true, true, true},
		{"!!!!" + string(long[:128]), false, false, false},
	}
	for _, c := range cases {
		if got := LooksLikeBase64([]byte(c.in), Base64Strict); got != c.strict {
			t.Errorf("strict %q = %v", c.in, got)
		}
		if got := LooksLikeBase64([]byte(c.in), Base64Loose); got != c.loose {
			t.Errorf("loose %q = %v", c.in, got)
		}
		if got := LooksLikeBase64([]byte(c.in), Base64URL); got != c.url_ {
			t.Errorf("url %q = %v", c.in, got)
		}
	}
}

func TestDecodeBase64(t *testing.T) {
	ok := map[string]string{"": "", "QQ==": "A", "QUI=": "AB", "QUJD": "ABC", "eyJhIjoxfQ==": `{"a":1}`}
	for in, want := range ok {
		got, err := DecodeBase64([]byte(in))
		if err != nil || string(got) != want {
			t.Errorf("%q: %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"QQ", "QQ=", "QR==", "QUJD\n", "QU\r\nJD", "QU JD", "QU-_", "====", "Q==="} {
		if got, err := DecodeBase64([]byte(in)); err == nil {
			t.Errorf("%q: decoded to %q, want an error", in, got)
		}
	}
}

func TestOptimisticBase64(t *testing.T) {
	payload := []byte(`[{"event":"$pageview","properties":{"token":"phc_x"}}]`)
	enc := []byte(base64.StdEncoding.EncodeToString(payload))
	got, ok := OptimisticBase64(enc)
	if !ok || !bytes.Equal(got, payload) {
		t.Fatalf("wrapped payload: %q, %v", got, ok)
	}
	for _, in := range []string{
		string(payload),         // JSON stays
		"data=eyJhIjoxfQ%3D%3D", // form stays (capture decodes forms itself)
		"QR==",                  // looks like base64 but has non-zero trailing bits
		"abcd" + "\n" + "efg",   // line break
		"abcd",                  // decodes, so it is unwrapped (documented false positive)
	} {
		got, ok := OptimisticBase64([]byte(in))
		if in == "abcd" {
			if !ok || !bytes.Equal(got, []byte{0x69, 0xb7, 0x1d}) {
				t.Errorf("%q: %x, %v", in, got, ok)
			}
			continue
		}
		if ok || string(got) != in {
			t.Errorf("%q: got %q, %v; want the input back", in, got, ok)
		}
	}
}

// Conformance bodies: none of the form, gzip or JSON bodies is mistaken for
// bare base64, and the base64 of each decodes back to it.
func TestOptimisticBase64Conformance(t *testing.T) {
	for i, body := range capturePayloads(t) {
		if _, ok := OptimisticBase64(body); ok {
			t.Errorf("payload %d (%q…) unwrapped as base64", i, body[:min(20, len(body))])
		}
		got, ok := OptimisticBase64([]byte(base64.StdEncoding.EncodeToString(body)))
		if !ok || !bytes.Equal(got, body) {
			t.Errorf("payload %d: base64 round trip failed", i)
		}
	}
}
