package jsonscan

import (
	"bytes"
	"testing"
)

// Every special byte at every offset of a word is found by the word-at-a-time
// skip (moved from common/types' TestSkipPlain with the same assertions).
func TestSkipPlain(t *testing.T) {
	specials := []byte{'"', '\\', 0x00, 0x1f, 0x80, 0xff}
	for n := 8; n <= 24; n++ {
		for pos := 0; pos < n; pos++ {
			for _, c := range specials {
				b := bytes.Repeat([]byte("a"), n)
				b[pos] = c
				if got := skipPlain(b, 0, true); got > pos {
					t.Fatalf("skipPlain(%q) = %d past special at %d", b, got, pos)
				}
				if c < 0x80 {
					if got := skipPlain(b, 0, false); got > pos {
						t.Fatalf("skipPlain(%q, utf8) = %d past special at %d", b, got, pos)
					}
				}
			}
		}
	}
	// Bytes just outside the special sets are skipped.
	b := []byte{0x20, '!', '#', '[', ']', 0x7f, 'z', '~', 0x20, 0x7f, 'a', 'b', 'c', 'd', 'e', 'f'}
	if got := skipPlain(b, 0, true); got != 16 {
		t.Fatalf("skipPlain stopped at %d", got)
	}
	if got := skipPlain([]byte("é€🦔abcdefgh"), 0, false); got != 16 {
		t.Fatalf("skipPlain stopped at %d on non-ASCII", got)
	}
}

func TestScannerValues(t *testing.T) {
	valid := []string{`{}`, `[]`, `{"a":[1,-0.5e+3,true,false,null,"x\u00e9\n"]}`, ` "é" `, `0`, `{"\ud83e\udd94":{}}`}
	for _, in := range valid {
		s := Scanner{Data: []byte(in)}
		raw, err := s.SkipValue()
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if want := bytes.TrimSpace([]byte(in)); !bytes.Equal(raw, want) {
			t.Errorf("%q: span %q, want %q", in, raw, want)
		}
	}
	invalid := []string{``, `{`, `[1,]`, `{"a" 1}`, `1.`, `-`, `1e`, `tru`, `"\x"`, `"\u12"`, "\"\x01\"", `"abc`, `{1:2}`,
		"\"\xff\"", `[` + string(bytes.Repeat([]byte("["), MaxDepth)) + string(bytes.Repeat([]byte("]"), MaxDepth+1))}
	for _, in := range invalid {
		s := Scanner{Data: []byte(in)}
		if raw, err := s.SkipValue(); err == nil {
			t.Errorf("%q accepted as %q", in, raw)
		} else if !IsSyntax(err) {
			t.Errorf("%q: %v is not a SyntaxError", in, err)
		}
	}
	// MaxDepth levels are accepted.
	deep := string(bytes.Repeat([]byte("["), MaxDepth)) + string(bytes.Repeat([]byte("]"), MaxDepth))
	if _, err := (&Scanner{Data: []byte(deep)}).SkipValue(); err != nil {
		t.Errorf("depth %d: %v", MaxDepth, err)
	}
}

func TestReadStringUnescapes(t *testing.T) {
	for in, want := range map[string]string{
		`"plain"`:                "plain",
		`"a\"b\\c\/d\b\f\n\r\t"`: "a\"b\\c/d\b\f\n\r\t",
		`"\u00e9\ud83e\udd94"`:   "é🦔",
		`"\ud800x"`:              "\uFFFDx",
		`"\udc00\ud800\u0041"`:   "\uFFFD\uFFFDA",
	} {
		s := Scanner{Data: []byte(in), UTF8Valid: true}
		got, err := s.ReadString()
		if err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestHex4(t *testing.T) {
	if v, ok := Hex4([]byte("00e9")); !ok || v != 0xe9 {
		t.Fatalf("Hex4(00e9) = %x, %v", v, ok)
	}
	if _, ok := Hex4([]byte("00g9")); ok {
		t.Fatal("Hex4 accepted a non-hex digit")
	}
}
