package payload

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hoggo/capture/internal/apierr"
	"github.com/hoggo/common/compression"
)

func kindOf(t *testing.T, err error) apierr.Kind {
	t.Helper()
	var e *apierr.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an *apierr.Error", err)
	}
	return e.Kind
}

func gz(t testing.TB, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func TestParseCompression(t *testing.T) {
	cases := map[string]Compression{
		"gzip": CompressionGzip, "gzip-js": CompressionGzip, "GZIP": CompressionGzip,
		"lz64": CompressionLZString, "lz-string": CompressionLZString, "LZ64": CompressionLZString,
		"base64": CompressionBase64, "b64": CompressionBase64, "BASE64": CompressionBase64,
		"foobar": CompressionNone, "": CompressionNone,
	}
	for in, want := range cases {
		if got := ParseCompression(in); got != want {
			t.Errorf("ParseCompression(%q) = %v, want %v", in, got, want)
		}
	}
	q, err := ParseQuery("ip=1")
	if err != nil || q.Compression != CompressionNone {
		t.Errorf("absent compression: %v %v", q.Compression, err)
	}
	q, _ = ParseQuery("compression=GZIP")
	if q.Compression != CompressionGzip {
		t.Errorf("query compression = %v", q.Compression)
	}
}

func TestQuerySentAtAndBeacon(t *testing.T) {
	q, err := ParseQuery("_=1694769302325&ver=1.78.5")
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2023, 9, 15, 9, 15, 2, 325e6, time.UTC); !q.SentAt.Equal(want) {
		t.Errorf("sent_at = %v, want %v", q.SentAt, want)
	}
	if q.LibVersion != "1.78.5" {
		t.Errorf("lib_version = %q", q.LibVersion)
	}
	q, _ = ParseQuery("_=1694769302") // seconds: ignored
	if !q.SentAt.IsZero() {
		t.Errorf("seconds sent_at should be ignored, got %v", q.SentAt)
	}
	if _, err := ParseQuery("_=abc"); kindOf(t, err) != apierr.RequestDecoding {
		t.Errorf("non-integer _ should fail")
	}
	for raw, want := range map[string]bool{"beacon=1": true, "beacon=0": false, "": false, "beacon=true": false} {
		q, _ := ParseQuery(raw)
		if q.Beacon != want {
			t.Errorf("%q: beacon = %v", raw, q.Beacon)
		}
	}
}

func decode(t *testing.T, in Input) string {
	t.Helper()
	if in.Limit == 0 {
		in.Limit = 1 << 20
	}
	d, err := Decode(in)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return string(d.Text)
}

const rustB64Event = "ewogICAgImRpc3RpbmN0X2lkIjogIm15X2lkMSIsCiAgICAiZXZlbnQiOiAibXlfZXZlbnQxIiwKICAgICJwcm9wZXJ0aWVzIjogewogICAgICAgICIkZGV2aWNlX3R5cGUiOiAiRGVza3RvcCIKICAgIH0sCiAgICAiYXBpX2tleSI6ICJteV90b2tlbjEiCn0K"
const rustGzipB64Event = "H4sIADQSbmUCAz2MsQqAMAxE936FBEcnR2f/o4i9IRTb0AahiP9urcVMx3t3ucxQjxxn5bCrZUfLQEepYabpkzgRtOOWfyMpCpIyctVXY42PDifvsFoE73BF9hqFWuPu403YepT+WKNHmMnc5gENoFu2kwAAAA=="

func TestDecodeUncompressedBase64Event(t *testing.T) {
	text := decode(t, Input{Path: "/i/v0/e", Body: []byte(rustB64Event)})
	b, err := ParseBody([]byte(text), "/i/v0/e")
	if err != nil {
		t.Fatal(err)
	}
	ev := b.Events[0]
	if tok, _ := ev.ExtractToken(); tok != "my_token1" || ev.Event != "my_event1" || string(ev.DistinctID) != `"my_id1"` {
		t.Errorf("got token %q event %q distinct_id %s", tok, ev.Event, ev.DistinctID)
	}
}

func TestDecodeGzippedEventByMagicBytes(t *testing.T) {
	raw, _ := base64.StdEncoding.DecodeString(rustGzipB64Event)
	text := decode(t, Input{Path: "/i/v0/e", Body: raw}) // no hint
	b, err := ParseBody([]byte(text), "/i/v0/e")
	if err != nil {
		t.Fatal(err)
	}
	ev := b.Events[0]
	if tok, _ := ev.ExtractToken(); tok != "my_token2" || ev.Event != "my_event2" || string(ev.DistinctID) != `"my_id2"` {
		t.Errorf("got token %q event %q distinct_id %s", tok, ev.Event, ev.DistinctID)
	}
	// The same bytes base64-wrapped (optimistic unwrap, then gzip magic).
	text = decode(t, Input{Path: "/batch", Body: []byte(rustGzipB64Event)})
	if !strings.Contains(text, "my_event2") {
		t.Errorf("base64-wrapped gzip: %s", text)
	}
}

func TestDecodeFormAndQuery(t *testing.T) {
	js := `{"event":"e","distinct_id":"d","token":"tok"}`
	b64 := base64.StdEncoding.EncodeToString([]byte(js + "   ")) // force '+'-free? keep generic
	_ = b64
	// Form body with ver alias and plain JSON data.
	text := decode(t, Input{Path: "/i/v0/e", ContentType: FormMIMEType, Body: []byte(`ver=1.2.3&data=` + js)})
	if text != js {
		t.Errorf("form data = %q", text)
	}
	d, _ := Decode(Input{Path: "/i/v0/e", ContentType: FormMIMEType, Body: []byte(`ver=1.2.3&data=` + js), Limit: 1 << 20})
	if d.LibVersion != "1.2.3" {
		t.Errorf("form ver = %q", d.LibVersion)
	}
	// Base64 form data whose '+' became ' ' is repaired on legacy paths.
	payload := `{"event":"ü>>>?","distinct_id":"d"}`
	enc := base64.StdEncoding.EncodeToString([]byte(payload))
	if !strings.Contains(enc, "+") {
		t.Fatalf("test payload must contain '+': %s", enc)
	}
	body := "data=" + strings.ReplaceAll(enc, "+", "%20")
	if got := decode(t, Input{Path: "/e/", ContentType: FormMIMEType, Body: []byte(body)}); got != payload {
		t.Errorf("form '+' repair: %q", got)
	}
	// Payload from the query `data`.
	if got := decode(t, Input{Path: "/e", Query: Query{Data: js}}); got != js {
		t.Errorf("query data = %q", got)
	}
	// Form content type but not a form.
	_, err := Decode(Input{Path: "/e", ContentType: FormMIMEType, Body: []byte(js), Limit: 100})
	if kindOf(t, err) != apierr.RequestDecoding || !strings.Contains(err.Error(), "expected form data") {
		t.Errorf("non-form body: %v", err)
	}
	// A charset suffix disables form decoding (exact compare).
	_, err = Decode(Input{Path: "/i/v0/e", ContentType: FormMIMEType + "; charset=utf-8", Body: []byte("data=" + js), Limit: 100})
	if err != nil {
		t.Errorf("charset suffix: %v", err)
	}
}

func TestDecodeEmptyPayload(t *testing.T) {
	_, err := Decode(Input{Path: "/e", Limit: 10})
	if kindOf(t, err) != apierr.EmptyPayload {
		t.Errorf("got %v", err)
	}
}

func TestDecodeLimits(t *testing.T) {
	big := strings.Repeat("a", 2000)
	_, err := Decode(Input{Path: "/batch", Body: gz(t, `["`+big+`"]`), Limit: 1000})
	if kindOf(t, err) != apierr.EventTooBig {
		t.Errorf("gzip over limit: %v", err)
	}
	_, err = Decode(Input{Path: "/batch", Body: []byte(`["` + big + `"]`), Limit: 1000})
	if kindOf(t, err) != apierr.EventTooBig {
		t.Errorf("plain over limit: %v", err)
	}
	trunc := gz(t, `{"event":"x"}`)
	_, err = Decode(Input{Path: "/batch", Body: trunc[:len(trunc)-6], Limit: 1000})
	if kindOf(t, err) != apierr.RequestDecoding {
		t.Errorf("truncated gzip: %v", err)
	}
	_, err = Decode(Input{Path: "/batch", Body: []byte{0xff, 0xfe, 'a'}, Limit: 1000})
	if kindOf(t, err) != apierr.RequestDecoding {
		t.Errorf("invalid utf8: %v", err)
	}
}

func TestLegacyDoubleBase64OnlyOnLegacyPaths(t *testing.T) {
	js := `{"event":"e","distinct_id":"d","token":"t"}`
	once := base64.StdEncoding.EncodeToString([]byte(js))
	twice := base64.StdEncoding.EncodeToString([]byte(once))
	if got := decode(t, Input{Path: "/e/", Body: []byte(twice)}); got != js {
		t.Errorf("/e/: %q", got)
	}
	if got := decode(t, Input{Path: "/i/v0/e/", Body: []byte(twice)}); got != once {
		t.Errorf("/i/v0/e/: %q", got)
	}
}

func TestDecodeLZ64(t *testing.T) {
	// lz-string compressToBase64("hello world hello world")
	const in = "BYUwNmD2AEDukCcwBNqgjeTlA==="
	vectors := map[string]string{ // generated with lz-string 1.5.0
		in: "hello world hello world",
		"N4IgpgbmB2AuIC5wgDQgCYEsDOtPQGNYB9TdREAH8F4NwAD3URYB7AaxguZZAF8g": `{"event":"e","distinct_id":"ü😀","token":"tok"}`,
		"IY18ZXTt8AjIA===": strings.Repeat("a", 79) + "b",
	}
	for enc, want := range vectors {
		out, err := compression.DecompressLZ64([]byte(enc), 1000)
		if err != nil || string(out) != want {
			t.Errorf("decodeLZ64(%s) = %q, %v; want %q", enc, out, err, want)
		}
	}
	got := decode(t, Input{Path: "/i/v0/e", Query: Query{Compression: CompressionLZString}, Body: []byte(in)})
	if got != "hello world hello world" {
		t.Errorf("Decode lz64 = %q", got)
	}
	if _, err := compression.DecompressLZ64([]byte(in), 5); !errors.Is(err, compression.ErrTooLarge) {
		t.Errorf("limit: %v", err)
	}
}

func TestRepairSurrogates(t *testing.T) {
	cases := map[string]string{
		`"\ud83c\ud83c"`: `"\ufffd\ufffd"`,
		`"\ud83d\ude00"`: `"\ud83d\ude00"`,
		`"\\ud800"`:      `"\\ud800"`,
		`"a\udc00b"`:     `"a\ufffdb"`,
		`"\u0041\uD800"`: `"\u0041\ufffd"`,
		`{"k":"plain"}`:  `{"k":"plain"}`,
		`"\\\ud800"`:     `"\\\ufffd"`,
	}
	for in, want := range cases {
		if got := string(RepairSurrogates([]byte(in))); got != want {
			t.Errorf("RepairSurrogates(%s) = %s, want %s", in, got, want)
		}
		if !json.Valid(RepairSurrogates([]byte(in))) {
			t.Errorf("%s: result not valid JSON", in)
		}
	}
}

func TestCompressionFromHeaderIsCaseSensitive(t *testing.T) {
	for in, want := range map[string]Compression{"gzip": CompressionGzip, "gzip-js": CompressionGzip, "lz64": CompressionLZString,
		"b64": CompressionBase64, "GZIP": CompressionNone, "Gzip": CompressionNone, "br": CompressionNone, "": CompressionNone} {
		if got := compressionFromHeader(in); got != want {
			t.Errorf("compressionFromHeader(%q) = %v, want %v", in, got, want)
		}
	}
}
