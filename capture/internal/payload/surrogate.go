package payload

import (
	"bytes"

	"github.com/hoggo/common/jsonscan"
)

// RepairSurrogates replaces lone UTF-16 surrogate escapes (\ud800-\udfff not
// forming a high+low pair) with \ufffd, so JSON decoders downstream accept
// the text (posthog-js can send them from truncated strings). Text without
// such escapes is returned unchanged, without copying.
func RepairSurrogates(b []byte) []byte {
	i := bytes.IndexByte(b, '\\')
	if i < 0 || (!bytes.Contains(b[i:], []byte(`\ud`)) && !bytes.Contains(b[i:], []byte(`\uD`))) {
		return b
	}
	var out []byte
	last := 0
	for ; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			continue
		}
		if b[i+1] != 'u' {
			i++ // skip the escaped char (it may be a backslash)
			continue
		}
		hi, ok := surrogateAt(b, i)
		if !ok {
			i += 5
			continue
		}
		if hi < 0xdc00 {
			if lo, ok := surrogateAt(b, i+6); ok && lo >= 0xdc00 {
				i += 11
				continue
			}
		}
		if out == nil {
			out = make([]byte, 0, len(b))
		}
		out = append(out, b[last:i]...)
		out = append(out, `\ufffd`...)
		last = i + 6
		i += 5
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}

// surrogateAt decodes a \uXXXX escape at b[i:] and reports whether it is a
// surrogate code unit.
func surrogateAt(b []byte, i int) (uint16, bool) {
	if i+6 > len(b) || b[i] != '\\' || b[i+1] != 'u' {
		return 0, false
	}
	v, ok := jsonscan.Hex4(b[i+2 : i+6])
	if !ok {
		return 0, false
	}
	return v, v >= 0xd800 && v <= 0xdfff
}
