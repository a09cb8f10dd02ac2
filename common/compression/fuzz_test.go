package compression

import (
	"bytes"
	"encoding/base64"
	"errors"
	"testing"
	"unicode/utf8"
)

const fuzzLimit = 1 << 20

func FuzzGunzip(f *testing.F) {
	for _, p := range capturePayloads(f) {
		if IsGzip(p) {
			f.Add(p)
		} else {
			f.Add(gzipBytes(f, p))
		}
	}
	f.Add([]byte{0x1f, 0x8b, 0x08})
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := Gunzip(in, fuzzLimit)
		if err != nil {
			if !errors.Is(err, ErrInvalidGzip) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if len(out) > fuzzLimit {
			t.Fatalf("output %d bytes past the cap", len(out))
		}
		// The streaming variant agrees.
		out2, err := GunzipReader(bytes.NewReader(in), Limits{MaxSize: fuzzLimit})
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("GunzipReader disagrees: %v", err)
		}
	})
}

func FuzzDecompressLZ64(f *testing.F) {
	for _, p := range capturePayloads(f) {
		if utf8.Valid(p) {
			f.Add([]byte(CompressLZ64(string(p))))
		}
	}
	for _, v := range lzVectors {
		f.Add([]byte(v.compressed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := DecompressLZ64(in, fuzzLimit)
		if err != nil {
			if !errors.Is(err, ErrInvalidLZ64) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if len(out) > fuzzLimit || !utf8.Valid(out) {
			t.Fatalf("bad output: %d bytes, valid UTF-8 %v", len(out), utf8.Valid(out))
		}
	})
}

func FuzzLZ64RoundTrip(f *testing.F) {
	for _, v := range lzVectors {
		if v.input != "" {
			f.Add(v.input)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		out, err := DecompressLZ64([]byte(CompressLZ64(s)), 0)
		if err != nil || string(out) != s {
			t.Fatalf("round trip of %q: %q, %v", s, out, err)
		}
	})
}

func FuzzOptimisticBase64(f *testing.F) {
	for _, p := range capturePayloads(f) {
		f.Add(p)
		f.Add([]byte(base64.StdEncoding.EncodeToString(p)))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, ok := OptimisticBase64(in)
		if !ok {
			if !bytes.Equal(out, in) {
				t.Fatal("input not returned unchanged")
			}
			return
		}
		// Strict decoding is canonical: re-encoding gives the input back.
		if got := base64.StdEncoding.EncodeToString(out); got != string(in) {
			t.Fatalf("re-encoded %q, input %q", got, in)
		}
	})
}
