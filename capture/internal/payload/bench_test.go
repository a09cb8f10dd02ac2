package payload

import (
	"testing"
)

// BenchmarkParseBody measures the body-shape parser alone on the batch
// fixture (validation of every byte, raw spans for properties).
func BenchmarkParseBody(b *testing.B) {
	text := readFixture(b, "batch_events_payload.json")
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseBody(text, "/batch"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeGzip measures payload decoding (gunzip + checks) of the
// gzipped batch fixture; bytes are the uncompressed JSON.
func BenchmarkDecodeGzip(b *testing.B) {
	text := readFixture(b, "batch_events_payload.json")
	body := gz(b, string(text))
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(Input{Path: "/batch", Body: body, Limit: 1 << 24}); err != nil {
			b.Fatal(err)
		}
	}
}
