package compression

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestGunzip(t *testing.T) {
	got, err := Gunzip(gzipBytes(t, []byte("hello world")), 1024)
	if err != nil || string(got) != "hello world" {
		t.Fatalf("got %q, %v", got, err)
	}
	empty, err := Gunzip(gzipBytes(t, nil), 1024)
	if err != nil || len(empty) != 0 {
		t.Fatalf("empty: %q, %v", empty, err)
	}
}

func TestGunzipSizeLimit(t *testing.T) {
	bomb := gzipBytes(t, make([]byte, 65536))
	if len(bomb) > 200 {
		t.Fatalf("64 KiB of zeros compressed to %d bytes", len(bomb))
	}
	if _, err := Gunzip(bomb, 1024); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err %v, want ErrTooLarge", err)
	}
	at := bytes.Repeat([]byte("A"), 1024)
	got, err := Gunzip(gzipBytes(t, at), 1024)
	if err != nil || !bytes.Equal(got, at) {
		t.Fatalf("exactly at limit: len %d, %v", len(got), err)
	}
	if _, err := Gunzip(gzipBytes(t, append(at, 'A')), 1024); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("one over: err %v, want ErrTooLarge", err)
	}
	// 0 means no cap.
	got, err = Gunzip(bomb, 0)
	if err != nil || len(got) != 65536 {
		t.Fatalf("no cap: len %d, %v", len(got), err)
	}
}

func TestGunzipBombRatio(t *testing.T) {
	src := gzipBytes(t, make([]byte, 4<<20)) // ~4 KiB → 4 MiB, ratio ≈ 1000
	if _, err := GunzipLimits(src, Limits{MaxSize: 8 << 20, MaxRatio: 100}); !errors.Is(err, ErrBomb) {
		t.Fatalf("err %v, want ErrBomb", err)
	}
	if _, err := GunzipReader(bytes.NewReader(src), Limits{MaxRatio: 100}); !errors.Is(err, ErrBomb) {
		t.Fatalf("reader: err %v, want ErrBomb", err)
	}
	got, err := GunzipLimits(src, Limits{MaxSize: 8 << 20})
	if err != nil || len(got) != 4<<20 {
		t.Fatalf("ratio check off: len %d, %v", len(got), err)
	}
	// Small outputs are never bombs, whatever their ratio.
	small := gzipBytes(t, make([]byte, 512<<10))
	if _, err := GunzipLimits(small, Limits{MaxRatio: 2}); err != nil {
		t.Fatalf("small output: %v", err)
	}
}

func TestGunzipInvalid(t *testing.T) {
	good := gzipBytes(t, []byte(strings.Repeat(`{"event":"$pageview"}`, 50)))
	corrupt := bytes.Clone(good)
	corrupt[len(corrupt)-6] ^= 0xff // CRC32
	cases := map[string][]byte{
		"garbage":   []byte("not gzip data at all"),
		"empty":     nil,
		"magic":     {0x1f, 0x8b, 0x08},
		"truncated": good[:len(good)/2],
		"crc":       corrupt,
	}
	for name, in := range cases {
		if _, err := Gunzip(in, 1<<20); !errors.Is(err, ErrInvalidGzip) {
			t.Errorf("%s: err %v, want ErrInvalidGzip", name, err)
		}
	}
}

func TestGunzipIgnoresTrailingData(t *testing.T) {
	src := append(gzipBytes(t, []byte("first")), gzipBytes(t, []byte("second"))...)
	src = append(src, "junk"...)
	got, err := Gunzip(src, 1024)
	if err != nil || string(got) != "first" {
		t.Fatalf("got %q, %v; want only the first member", got, err)
	}
}

func TestGunzipReader(t *testing.T) {
	want := bytes.Repeat([]byte(`{"a":1}`), 10000)
	got, err := GunzipReader(bytes.NewReader(gzipBytes(t, want)), Limits{MaxSize: len(want)})
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("len %d, %v", len(got), err)
	}
	if _, err := GunzipReader(bytes.NewReader(gzipBytes(t, want)), Limits{MaxSize: len(want) - 1}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err %v, want ErrTooLarge", err)
	}
}

func TestIsGzip(t *testing.T) {
	for in, want := range map[string]bool{
		"\x1f\x8b\x08rest": true, "\x1f\x8b\x08": true, "\x1f\x8b": false, "\x1f\x8b\x07": false, "{}": false, "": false,
	} {
		if got := IsGzip([]byte(in)); got != want {
			t.Errorf("IsGzip(%q) = %v", in, got)
		}
	}
}

// The posthog-js gzip-js bodies of the Django conformance dump decompress
// to JSON event arrays.
func TestGunzipConformanceBodies(t *testing.T) {
	n := 0
	for _, body := range capturePayloads(t) {
		if !IsGzip(body) {
			continue
		}
		n++
		out, err := Gunzip(body, 25<<20)
		if err != nil {
			t.Fatalf("gzip body %d: %v", n, err)
		}
		var events []map[string]any
		if err := json.Unmarshal(out, &events); err != nil || len(events) == 0 {
			t.Fatalf("gzip body %d: not a JSON event array: %v", n, err)
		}
		if _, ok := events[0]["event"].(string); !ok {
			t.Fatalf("gzip body %d: first element has no event name", n)
		}
	}
	if n < 10 {
		t.Fatalf("found %d gzip bodies in requests_dump.jsonl, want ≥ 10", n)
	}
}

// Moved from capture/internal/payload (its local gunzip is now this one).
func TestGunzipTrailerHint(t *testing.T) {
	js := `{"event":"e","distinct_id":"d","token":"t"}`
	b := gzipBytes(t, []byte(js))
	gunzip := func(src []byte, limit int) ([]byte, error) {
		return GunzipLimits(src, Limits{MaxSize: limit, SizeFromTrailer: true})
	}
	out, err := gunzip(b, 1000)
	if err != nil || string(out) != js {
		t.Fatalf("gunzip = %q, %v", out, err)
	}
	// Preallocated from ISIZE: one exact allocation (plus the EOF read's byte).
	if cap(out) != len(js)+1 {
		t.Errorf("cap = %d, want %d", cap(out), len(js)+1)
	}
	// A trailer that lies about the size fails the length check: 400, never a panic.
	bad := append([]byte{}, b...)
	bad[len(bad)-4] = 3
	if _, err := gunzip(bad, 1000); !errors.Is(err, ErrInvalidGzip) {
		t.Errorf("lying ISIZE: %v", err)
	}
	if _, err := gunzip(b, 10); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over limit: %v", err)
	}
}

func TestTrailerSizePlausibility(t *testing.T) {
	b := gzipBytes(t, []byte(strings.Repeat("a", 5000)))
	if got := trailerSize(b, Limits{}); got != 5000 {
		t.Errorf("trailerSize = %d, want 5000", got)
	}
	if got := trailerSize(b, Limits{MaxSize: 4999}); got != 0 {
		t.Errorf("over MaxSize: %d, want 0", got)
	}
	forged := append([]byte{}, b...)
	binary.LittleEndian.PutUint32(forged[len(forged)-4:], 1<<31-1)
	if got := trailerSize(forged, Limits{}); got != 0 {
		t.Errorf("implausible ISIZE accepted: %d", got)
	}
	if got := trailerSize(b[:10], Limits{}); got != 0 {
		t.Errorf("short input: %d", got)
	}
	// A forged ISIZE is only a hint: output and errors are unchanged.
	if out, err := GunzipLimits(forged, Limits{SizeFromTrailer: true}); !errors.Is(err, ErrInvalidGzip) {
		t.Errorf("forged ISIZE: %d bytes, %v", len(out), err)
	}
}
