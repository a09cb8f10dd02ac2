package types

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hoggo/common/jsonscan"
)

// maxDepth is serde_json's recursion limit: the 128th nested container is
// refused (this package counts the top-level container too).
const maxDepth = jsonscan.MaxDepth

// scanner validates JSON text the way serde_json does and reports value
// boundaries, so raw values can be passed through without building a tree.
// Strings, numbers and literals are common/jsonscan's; the container walk
// is index-based here because it also records whether a raw value needs
// compacting.
type scanner struct {
	b     []byte
	depth int
	// space is set when insignificant whitespace was skipped inside a
	// container, i.e. when a raw value needs compacting.
	space bool
}

func syntaxErr(i int, what string) error {
	return fmt.Errorf("invalid JSON at offset %d: %s", i, what)
}

var errDepth = errors.New("invalid JSON: recursion limit exceeded")

func isSpace(c byte) bool { return jsonscan.IsSpace(c) }

func (s *scanner) ws(i int) int {
	for i < len(s.b) && isSpace(s.b[i]) {
		i++
	}
	return i
}

// wsInner skips whitespace inside a container and records that it did.
func (s *scanner) wsInner(i int) int {
	j := s.ws(i)
	if j != i {
		s.space = true
	}
	return j
}

// value returns the end of the JSON value starting at i (no leading space).
func (s *scanner) value(i int) (int, error) {
	if i >= len(s.b) {
		return i, syntaxErr(i, "unexpected end of input")
	}
	switch c := s.b[i]; {
	case c == '"':
		end, _, err := s.str(i)
		return end, err
	case c == '{':
		return s.object(i)
	case c == '[':
		return s.array(i)
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number(i)
	case c == 't':
		return s.literal(i, "true")
	case c == 'f':
		return s.literal(i, "false")
	case c == 'n':
		return s.literal(i, "null")
	default:
		return i, syntaxErr(i, "expected value")
	}
}

// str returns the end of the string starting at i (at the opening quote),
// and whether it contains escapes; invalid UTF-8 is rejected.
func (s *scanner) str(i int) (end int, escaped bool, err error) {
	end, escaped, err = jsonscan.String(s.b, i)
	return end, escaped, convertErr(err)
}

func (s *scanner) number(i int) (int, error) {
	end, err := jsonscan.Number(s.b, i)
	return end, convertErr(err)
}

func (s *scanner) literal(i int, lit string) (int, error) {
	end, err := jsonscan.Literal(s.b, i, lit)
	return end, convertErr(err)
}

// convertErr keeps this package's error wording for jsonscan's errors.
func convertErr(err error) error {
	if err == nil {
		return nil
	}
	var se *jsonscan.SyntaxError
	if errors.As(err, &se) {
		return syntaxErr(se.Offset, se.Msg)
	}
	return err
}

func (s *scanner) enter() error {
	s.depth++
	if s.depth >= maxDepth {
		return errDepth
	}
	return nil
}

func (s *scanner) object(i int) (int, error) {
	if err := s.enter(); err != nil {
		return i, err
	}
	defer func() { s.depth-- }()
	i = s.wsInner(i + 1)
	if i < len(s.b) && s.b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(s.b) || s.b[i] != '"' {
			return i, syntaxErr(i, "expected object key")
		}
		var err error
		if i, _, err = s.str(i); err != nil {
			return i, err
		}
		i = s.wsInner(i)
		if i >= len(s.b) || s.b[i] != ':' {
			return i, syntaxErr(i, "expected ':'")
		}
		i = s.wsInner(i + 1)
		if i, err = s.value(i); err != nil {
			return i, err
		}
		i = s.wsInner(i)
		if i >= len(s.b) {
			return i, syntaxErr(i, "unterminated object")
		}
		switch s.b[i] {
		case ',':
			i = s.wsInner(i + 1)
		case '}':
			return i + 1, nil
		default:
			return i, syntaxErr(i, "expected ',' or '}'")
		}
	}
}

func (s *scanner) array(i int) (int, error) {
	if err := s.enter(); err != nil {
		return i, err
	}
	defer func() { s.depth-- }()
	i = s.wsInner(i + 1)
	if i < len(s.b) && s.b[i] == ']' {
		return i + 1, nil
	}
	for {
		var err error
		if i, err = s.value(i); err != nil {
			return i, err
		}
		i = s.wsInner(i)
		if i >= len(s.b) {
			return i, syntaxErr(i, "unterminated array")
		}
		switch s.b[i] {
		case ',':
			i = s.wsInner(i + 1)
		case ']':
			return i + 1, nil
		default:
			return i, syntaxErr(i, "expected ',' or ']'")
		}
	}
}

// rawValue scans the value at i and returns its bytes, compacted when it
// contained insignificant whitespace.
func (s *scanner) rawValue(i int) (json.RawMessage, int, error) {
	saved := s.space
	s.space = false
	end, err := s.value(i)
	if err != nil {
		return nil, end, err
	}
	raw := s.b[i:end:end]
	if s.space {
		raw = compactValid(make([]byte, 0, len(raw)), raw)
	}
	s.space = saved
	return raw, end, nil
}

// compactValid appends src without insignificant whitespace. src must be
// valid JSON (the scanner has checked it), so only strings need care.
func compactValid(dst, src []byte) []byte {
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case isSpace(c):
			i++
		case c == '"':
			j := i + 1
			for {
				k := bytes.IndexAny(src[j:], `"\`)
				j += k
				if src[j] == '\\' {
					j += 2
					continue
				}
				break
			}
			dst = append(dst, src[i:j+1]...)
			i = j + 1
		default:
			j := i + 1
			for j < len(src) && !isSpace(src[j]) && src[j] != '"' {
				j++
			}
			dst = append(dst, src[i:j]...)
			i = j
		}
	}
	return dst
}

// decodeKey returns the key text of the string token b[start:end].
func decodeKey(tok []byte, escaped bool) (string, error) {
	if !escaped {
		return string(tok[1 : len(tok)-1]), nil
	}
	return string(jsonscan.Unescape(nil, tok[1:len(tok)-1])), nil
}

// rawString returns the text of a raw JSON value when it is a string.
func rawString(v json.RawMessage) (string, bool) {
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	if bytes.IndexByte(v, '\\') < 0 {
		return string(v[1 : len(v)-1]), true
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", false
	}
	return s, true
}

// lookupKey returns the raw value of key in the JSON object obj (last
// occurrence wins).
func lookupKey(obj json.RawMessage, key string) (json.RawMessage, bool) {
	s := scanner{b: obj}
	i := s.ws(0)
	if i >= len(obj) || obj[i] != '{' {
		return nil, false
	}
	var found json.RawMessage
	ok := false
	i = s.ws(i + 1)
	if i < len(obj) && obj[i] == '}' {
		return nil, false
	}
	for i < len(obj) {
		if obj[i] != '"' {
			return found, ok
		}
		kend, escaped, err := s.str(i)
		if err != nil {
			return found, ok
		}
		tok := obj[i:kend]
		match := false
		if !escaped {
			match = string(tok[1:len(tok)-1]) == key
		} else if k, err := decodeKey(tok, true); err == nil {
			match = k == key
		}
		i = s.ws(kend)
		if i >= len(obj) || obj[i] != ':' {
			return found, ok
		}
		i = s.ws(i + 1)
		vend, err := s.value(i)
		if err != nil {
			return found, ok
		}
		if match {
			found, ok = obj[i:vend:vend], true
		}
		i = s.ws(vend)
		if i >= len(obj) || obj[i] != ',' {
			break
		}
		i = s.ws(i + 1)
	}
	return found, ok
}
