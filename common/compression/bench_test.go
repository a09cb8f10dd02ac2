package compression

import (
	"bytes"
	"encoding/base64"
	"testing"
)

var stdEnc = base64.StdEncoding

// benchPayload is realistic event JSON: the conformance fixtures and the
// decompressed posthog-js gzip bodies, concatenated (~0.5 MiB).
func benchPayload(b *testing.B) []byte {
	var parts [][]byte
	for _, p := range capturePayloads(b) {
		switch {
		case IsGzip(p):
			out, err := Gunzip(p, 0)
			if err != nil {
				b.Fatal(err)
			}
			parts = append(parts, out)
		case len(p) > 0 && (p[0] == '{' || p[0] == '['):
			parts = append(parts, p)
		}
	}
	return bytes.Join(parts, []byte("\n"))
}

func BenchmarkGunzip(b *testing.B) {
	raw := benchPayload(b)
	src := gzipBytes(b, raw)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Gunzip(src, 25<<20); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecompressLZ64(b *testing.B) {
	raw := benchPayload(b)
	src := []byte(CompressLZ64(string(raw)))
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecompressLZ64(src, 25<<20); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOptimisticBase64(b *testing.B) {
	raw := benchPayload(b)
	src := []byte(encodeStd(raw))
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := OptimisticBase64(src); !ok {
			b.Fatal("not decoded")
		}
	}
}

func encodeStd(b []byte) string {
	return stdEnc.EncodeToString(b)
}
