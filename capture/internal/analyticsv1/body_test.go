package analyticsv1

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
)

func compressZlib(b []byte) []byte {
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

func compressRawDeflate(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := flate.NewWriter(&buf, flate.DefaultCompression)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

func compressBrotli(b []byte) []byte {
	var buf bytes.Buffer
	bw := brotli.NewWriter(&buf)
	_, _ = bw.Write(b)
	_ = bw.Close()
	return buf.Bytes()
}

func TestDecompress(t *testing.T) {
	plain := []byte(`{"created_at":"x","batch":[` + strings.Repeat(`{"k":"vvvvvvvvvv"},`, 100) + `{}]}`)
	codecs := map[string]func([]byte) []byte{
		"":        func(b []byte) []byte { return b },
		"gzip":    compressGzip,
		"zstd":    compressZstd,
		"br":      compressBrotli,
		"deflate": compressZlib,
	}
	for enc, c := range codecs {
		got, e := decompress(enc, c(plain), len(plain))
		if e != nil || !bytes.Equal(got, plain) {
			t.Errorf("%q: %v", enc, e)
		}
		// One byte under the inflated size → 413.
		if _, e := decompress(enc, c(plain), len(plain)-1); e == nil || e.Status != 413 {
			t.Errorf("%q over limit: %v", enc, e)
		}
		if enc == "" {
			continue
		}
		if _, e := decompress(enc, []byte("definitely not compressed data"), 1<<20); e == nil || e.Status != 400 || e.Tag != TagRequestDecoding {
			t.Errorf("%q garbage: %v", enc, e)
		}
	}
	raw := compressRawDeflate(plain)
	if raw[0] == 0x78 {
		t.Fatal("raw deflate starts with the zlib byte")
	}
	if got, e := decompress("deflate", raw, len(plain)); e != nil || !bytes.Equal(got, plain) {
		t.Errorf("raw deflate: %v", e)
	}
	if z := compressZlib(plain); z[0] != 0x78 {
		t.Fatalf("zlib first byte %x", z[0])
	}
	if _, e := decompress("lz4", plain, 1<<20); e == nil || e.Status != 400 {
		t.Errorf("unsupported: %v", e)
	}
}
