package jsonscan

import (
	"encoding/json"
	"testing"
)

// Whatever the scanner accepts as one whole document, encoding/json accepts
// too, and the reverse holds for shallow documents in valid UTF-8.
func FuzzSkipValue(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5e3,"x\u00e9"],"b":null}`, `[true,false]`, `"\ud800"`, `-0`, `{"a":{"b":{}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, trusted := range []bool{false, true} {
			s := Scanner{Data: in, UTF8Valid: trusted}
			_, err := s.SkipValue()
			ok := err == nil && s.Peek() == 0 && s.Pos == len(in)
			if !trusted && ok && !json.Valid(in) {
				t.Fatalf("accepted invalid JSON %q", in)
			}
			if !trusted && !ok && json.Valid(in) && s.Depth < MaxDepth && !IsSyntax(err) {
				t.Fatalf("rejected %q with a non-syntax error %v", in, err)
			}
		}
	})
}
