package compression

import (
	"errors"
	"strings"
	"testing"
)

func (v lzVector) text() string {
	if v.unit != "" {
		return strings.Repeat(v.unit, v.n)
	}
	return v.input
}

func TestDecompressLZ64MatchesLZString(t *testing.T) {
	for _, v := range lzVectors {
		got, err := DecompressLZ64([]byte(v.compressed), 1<<20)
		if err != nil {
			t.Errorf("%s: %v", v.name, err)
			continue
		}
		if string(got) != v.text() {
			t.Errorf("%s: got %q, want %q", v.name, trunc(string(got)), trunc(v.text()))
		}
	}
}

func TestCompressLZ64MatchesLZString(t *testing.T) {
	for _, v := range lzVectors {
		if got := CompressLZ64(v.text()); got != v.compressed {
			t.Errorf("%s: got %q, want %q", v.name, trunc(got), trunc(v.compressed))
		}
	}
}

func trunc(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

func TestDecompressLZ64Limits(t *testing.T) {
	b4096 := []byte(CompressLZ64(strings.Repeat("b", 4096)))
	got, err := DecompressLZ64(b4096, 4096)
	if err != nil || len(got) != 4096 {
		t.Fatalf("exactly at limit: len %d, err %v", len(got), err)
	}
	if _, err := DecompressLZ64([]byte(CompressLZ64(strings.Repeat("b", 4097))), 4096); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("one over: err %v, want ErrTooLarge", err)
	}
	// ~2 KB of base64 expanding to 1 MiB is refused before it is materialised.
	bomb := CompressLZ64(strings.Repeat("a", 1<<20))
	if len(bomb) > 16<<10 {
		t.Fatalf("bomb is %d bytes", len(bomb))
	}
	if _, err := DecompressLZ64([]byte(bomb), 4096); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("bomb: err %v, want ErrTooLarge", err)
	}
	// Units fit the cap but UTF-8 does not: 2000 "é" = 2000 units, 4000 bytes.
	if _, err := DecompressLZ64([]byte(CompressLZ64(strings.Repeat("é", 2000))), 3000); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("utf8 over cap: err %v, want ErrTooLarge", err)
	}
}

func TestDecompressLZ64Invalid(t *testing.T) {
	c := CompressLZ64(`{"event":"$pageview"}`)
	for _, in := range []string{c[:len(c)/2], "A"} {
		if _, err := DecompressLZ64([]byte(in), 1<<20); !errors.Is(err, ErrInvalidLZ64) {
			t.Errorf("%q: err %v, want ErrInvalidLZ64", in, err)
		}
	}
	// Characters outside the alphabet are skipped: these are empty streams.
	for _, in := range []string{"", "!!!!", "  \n"} {
		got, err := DecompressLZ64([]byte(in), 1<<20)
		if err != nil || len(got) != 0 {
			t.Errorf("%q: got %q, %v; want empty", in, got, err)
		}
	}
	if _, err := DecompressLZ64([]byte{0xff, 'A'}, 1<<20); !errors.Is(err, ErrInvalidLZ64) {
		t.Errorf("non-UTF-8 input: err %v", err)
	}
	// Skipped characters anywhere do not change the result.
	got, err := DecompressLZ64([]byte(" "+c[:5]+"\n!"+c[5:]), 1<<20)
	if err != nil || string(got) != `{"event":"$pageview"}` {
		t.Errorf("with noise: %q, %v", got, err)
	}
}

func TestDecompressLZ64LoneSurrogate(t *testing.T) {
	// A lone high surrogate (U+D800) cannot become UTF-8: the reference's
	// String::from_utf16 fails, so does this.
	in := lzEncodeUnits([]uint16{'a', 0xd800, 'b'})
	if _, err := DecompressLZ64([]byte(in), 1<<20); !errors.Is(err, ErrInvalidLZ64) {
		t.Fatalf("err %v, want ErrInvalidLZ64", err)
	}
	// A proper pair decodes.
	in = lzEncodeUnits([]uint16{0xd83e, 0xdd94})
	got, err := DecompressLZ64([]byte(in), 1<<20)
	if err != nil || string(got) != "🦔" {
		t.Fatalf("pair: %q, %v", got, err)
	}
}

// lzEncodeUnits writes distinct units as a stream of 16-bit literals, which
// lets tests build unit sequences (lone surrogates) no UTF-8 string yields.
func lzEncodeUnits(units []uint16) string {
	var bw lzBitWriter
	numBits, enlargeIn := 2, 2
	grow := func() {
		enlargeIn--
		if enlargeIn == 0 {
			enlargeIn = 1 << numBits
			numBits++
		}
	}
	for _, u := range units {
		bw.write(1, numBits)
		bw.write(int(u), 16)
		grow()
		grow()
	}
	bw.write(2, numBits)
	bw.flush()
	out := bw.sb.String()
	if pad := len(out) % 4; pad != 0 {
		out += strings.Repeat("=", 4-pad)
	}
	return out
}
