package request

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"
)

func gz(t testing.TB, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, _ = w.Write([]byte(s))
	_ = w.Close()
	return b.Bytes()
}

const body = `{"token":"phc_x","distinct_id":"user1","person_properties":{"a":1}}`

func mustParse(t *testing.T, ct, ce string, comp Compression, b []byte) *FlagRequest {
	t.Helper()
	m, _, err := Body(ct, ce, comp, b)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	r, err := Parse(m)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return r
}

func TestDecodingVariants(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString([]byte(body))
	cases := []struct {
		name, ct, ce string
		comp         Compression
		body         []byte
	}{
		{"plain json", "application/json", "", CompressionNone, []byte(body)},
		{"missing content type", "", "", CompressionNone, []byte(body)},
		{"text/plain with charset", "text/plain; charset=utf-8", "", CompressionNone, []byte(body)},
		{"gzip magic bytes", "application/json", "", CompressionNone, gz(t, body)},
		{"gzip content-encoding", "application/json", "gzip", CompressionNone, gz(t, body)},
		{"gzip param", "text/plain", "", CompressionGzip, gz(t, body)},
		{"base64 param url-encoded", "application/json", "", CompressionBase64, []byte(strings.ReplaceAll(b64, "=", "%3D"))},
		{"base64 fallback", "application/json", "", CompressionNone, []byte(b64)},
		{"base64 unpadded", "application/json", "", CompressionNone, []byte(strings.TrimRight(b64, "="))},
		{"form with data=", "application/x-www-form-urlencoded", "", CompressionNone, []byte("data=" + url.QueryEscape(b64))},
		{"form without prefix", "application/x-www-form-urlencoded", "", CompressionNone, []byte(b64)},
		{"form padding repair", "application/x-www-form-urlencoded", "", CompressionNone, []byte("data=" + strings.TrimRight(b64, "="))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := mustParse(t, c.ct, c.ce, c.comp, c.body)
			if r.Token != "phc_x" || r.DistinctID != "user1" || r.PersonProperties["a"] == nil {
				t.Errorf("got %+v", r)
			}
		})
	}
}

func TestDecodingErrors(t *testing.T) {
	cases := []struct {
		name, ct string
		comp     Compression
		body     string
		want     string
	}{
		{"unsupported content type", "application/xml", CompressionNone, body, "unsupported content type: application/xml"},
		{"unsupported compression", "application/json", CompressionUnsupported, body, "Unsupported compression type"},
		{"gzip with form", "application/x-www-form-urlencoded", CompressionGzip, "data=abc", "gzip compression is not supported for form data"},
		{"garbage", "application/json", CompressionNone, "{not json", "invalid JSON"},
		{"bad gzip", "application/json", CompressionGzip, "\x1f\x8bxx", "invalid gzip data"},
		{"form not json", "application/x-www-form-urlencoded", CompressionNone, "data=" + base64.StdEncoding.EncodeToString([]byte("nope")), "invalid JSON structure"},
		{"array body", "application/json", CompressionNone, "[1,2]", "invalid JSON"},
	}
	for _, c := range cases {
		_, _, err := Body(c.ct, "", c.comp, []byte(c.body))
		var de *DecodeError
		if !errors.As(err, &de) || de.Message != c.want {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
}

func TestNaNAndInfinity(t *testing.T) {
	m, _, err := Body("application/json", "", CompressionNone, []byte(`{"token":"t","distinct_id":"d","person_properties":{"a":NaN,"b":Infinity,"c":-Infinity,"d":[NaN,1],"e":"NaN","f":{"g":Infinity}}}`))
	if err != nil {
		t.Fatal(err)
	}
	p := m["person_properties"].(map[string]any)
	for _, k := range []string{"a", "b", "c"} {
		if v, ok := p[k]; !ok || v != nil {
			t.Errorf("%s = %v, want null", k, v)
		}
	}
	if d := p["d"].([]any); d[0] != nil {
		t.Errorf("array NaN = %v", d[0])
	}
	if p["e"] != "NaN" {
		t.Errorf("string NaN changed: %v", p["e"])
	}
	if g := p["f"].(map[string]any)["g"]; g != nil {
		t.Errorf("nested Infinity = %v", g)
	}
}

func TestDistinctIDForms(t *testing.T) {
	cases := map[string]string{
		`{"distinct_id":""}`:                                 "",
		`{"$distinct_id":"alias"}`:                           "alias",
		`{"distinct_id":8675309}`:                            "8675309",
		`{"distinct_id":123.45}`:                             "123.45",
		`{"distinct_id":"` + strings.Repeat("x", 250) + `"}`: strings.Repeat("x", 200),
	}
	for in, want := range cases {
		r := mustParse(t, "application/json", "", CompressionNone, []byte(in))
		if !r.HasDistinctID || r.DistinctID != want {
			t.Errorf("%s: distinct_id = %q (%v), want %q", in, r.DistinctID, r.HasDistinctID, want)
		}
	}
	if r := mustParse(t, "", "", CompressionNone, []byte(`{"token":"t"}`)); r.HasDistinctID {
		t.Error("missing distinct_id reported present")
	}
	m, _, _ := Body("", "", CompressionNone, []byte(`{"person_properties":"nope"}`))
	if _, err := Parse(m); err == nil {
		t.Error("string person_properties must fail")
	}
}

func TestDeviceIDPrecedence(t *testing.T) {
	r := mustParse(t, "", "", CompressionNone, []byte(`{"$device_id":"top","person_properties":{"$device_id":"prop"}}`))
	if r.DeviceID != "top" {
		t.Errorf("device id = %q, want top", r.DeviceID)
	}
	r = mustParse(t, "", "", CompressionNone, []byte(`{"$device_id":"","person_properties":{"$device_id":"prop"}}`))
	if r.DeviceID != "prop" {
		t.Errorf("device id = %q, want prop", r.DeviceID)
	}
}

func TestQuery(t *testing.T) {
	q, _ := url.ParseQuery("v=3&compression=base64&ver=1.211.0&_=1738006794028")
	p := ParseQuery(q)
	if p.Version != 3 || p.Compression != CompressionBase64 || p.LibVersion != "1.211.0" || p.SentAt != "1738006794028" || p.HasConfig {
		t.Errorf("%+v", p)
	}
	q, _ = url.ParseQuery("compression=lz4&config&v=abc")
	p = ParseQuery(q)
	if p.Compression != CompressionUnsupported || !p.Config || p.Version != 1 {
		t.Errorf("%+v", p)
	}
	q, _ = url.ParseQuery("config=false")
	if p = ParseQuery(q); p.Config || !p.HasConfig {
		t.Errorf("%+v", p)
	}
}

func TestSniffToken(t *testing.T) {
	for in, want := range map[string]string{
		`{"token":"a","api_key":"b"}`: "a", `{"api_key":"b","$token":"c"}`: "b", `{"$token":"c"}`: "c", `nope`: "",
	} {
		if got := SniffToken([]byte(in)); got != want {
			t.Errorf("%s: %q want %q", in, got, want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add("application/json", "", 0, []byte(body))
	f.Add("application/x-www-form-urlencoded", "", 0, []byte("data="+base64.StdEncoding.EncodeToString([]byte(body))))
	f.Add("application/json", "gzip", 1, gz(f, body))
	f.Add("text/plain", "", 2, []byte(`{"a":NaN,"b":"\"NaN"}`))
	f.Fuzz(func(t *testing.T, ct, ce string, comp int, b []byte) {
		m, _, err := Body(ct, ce, Compression(comp&3), b)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			return
		}
		_, _ = Parse(m)
	})
}
