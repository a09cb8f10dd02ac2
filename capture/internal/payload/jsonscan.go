package payload

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth mirrors serde_json's recursion limit: deeper documents are rejected.
const maxDepth = 128

// scanner walks JSON text without building values. It validates syntax
// strictly (RFC 8259) so that raw spans it hands out (properties, $set,
// distinct_id) can be copied into Kafka messages verbatim. The input must
// already be valid UTF-8.
type scanner struct {
	data  []byte
	pos   int
	depth int
}

type syntaxError struct {
	msg string
	off int
}

func (e *syntaxError) Error() string { return fmt.Sprintf("%s at offset %d", e.msg, e.off) }

// isSyntax reports whether err is a JSON syntax error (as opposed to a shape error).
func isSyntax(err error) bool {
	var se *syntaxError
	return errors.As(err, &se)
}

func (s *scanner) errf(format string, args ...any) error {
	return &syntaxError{msg: fmt.Sprintf(format, args...), off: s.pos}
}

func (s *scanner) skipWS() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next non-whitespace byte, or 0 at the end of input.
func (s *scanner) peek() byte {
	s.skipWS()
	if s.pos >= len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

// expect consumes byte c (after whitespace).
func (s *scanner) expect(c byte) error {
	if s.peek() != c {
		if s.pos >= len(s.data) {
			return s.errf("unexpected end of input, expected %q", c)
		}
		return s.errf("expected %q, found %q", c, s.data[s.pos])
	}
	s.pos++
	return nil
}

// skipValue validates and skips one JSON value, returning its raw span.
func (s *scanner) skipValue() ([]byte, error) {
	c := s.peek()
	start := s.pos
	var err error
	switch {
	case c == '{':
		err = s.skipObject()
	case c == '[':
		err = s.skipArray()
	case c == '"':
		err = s.skipString()
	case c == '-' || (c >= '0' && c <= '9'):
		err = s.skipNumber()
	case c == 't':
		err = s.literal("true")
	case c == 'f':
		err = s.literal("false")
	case c == 'n':
		err = s.literal("null")
	case c == 0 && s.pos >= len(s.data):
		return nil, s.errf("unexpected end of input, expected a value")
	default:
		return nil, s.errf("expected a value, found %q", c)
	}
	if err != nil {
		return nil, err
	}
	return s.data[start:s.pos], nil
}

func (s *scanner) literal(lit string) error {
	if len(s.data)-s.pos < len(lit) || string(s.data[s.pos:s.pos+len(lit)]) != lit {
		return s.errf("invalid literal, expected %s", lit)
	}
	s.pos += len(lit)
	return nil
}

func (s *scanner) enter() error {
	s.depth++
	if s.depth > maxDepth {
		return s.errf("recursion limit exceeded")
	}
	return nil
}

func (s *scanner) skipObject() error {
	return s.eachMember(func([]byte, bool) error {
		_, err := s.skipValue()
		return err
	})
}

// eachMember iterates an object's members. fn is called with the raw key
// bytes (between the quotes) and whether they contain escapes; it must
// consume the value.
func (s *scanner) eachMember(fn func(key []byte, escaped bool) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	if err := s.enter(); err != nil {
		return err
	}
	if s.peek() == '}' {
		s.pos++
		s.depth--
		return nil
	}
	for {
		if s.peek() != '"' {
			return s.errf("expected an object key")
		}
		kstart := s.pos + 1
		escaped, err := s.scanString()
		if err != nil {
			return err
		}
		key := s.data[kstart : s.pos-1]
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := fn(key, escaped); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			s.depth--
			return nil
		default:
			return s.errf("expected ',' or '}' in object")
		}
	}
}

// eachElement iterates an array; fn must consume one value.
func (s *scanner) eachElement(fn func() error) error {
	if err := s.expect('['); err != nil {
		return err
	}
	if err := s.enter(); err != nil {
		return err
	}
	if s.peek() == ']' {
		s.pos++
		s.depth--
		return nil
	}
	for {
		if err := fn(); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			s.depth--
			return nil
		default:
			return s.errf("expected ',' or ']' in array")
		}
	}
}

func (s *scanner) skipArray() error {
	return s.eachElement(func() error {
		_, err := s.skipValue()
		return err
	})
}

func (s *scanner) skipString() error {
	_, err := s.scanString()
	return err
}

// scanString consumes a string starting at the opening quote and reports
// whether it contains escape sequences.
func (s *scanner) scanString() (escaped bool, err error) {
	s.pos++ // opening quote
	d := s.data
	for i := s.pos; i < len(d); {
		i = skipPlain(d, i)
		if i >= len(d) {
			break
		}
		c := d[i]
		switch {
		case c == '"':
			s.pos = i + 1
			return escaped, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(d) {
				s.pos = i
				return false, s.errf("unterminated escape")
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d) || !isHex4(d[i+2:i+6]) {
					s.pos = i
					return false, s.errf("invalid \\u escape")
				}
				i += 6
			default:
				s.pos = i
				return false, s.errf("invalid escape")
			}
		case c < 0x20:
			s.pos = i
			return false, s.errf("control character in string")
		default:
			i++
		}
	}
	s.pos = len(d)
	return false, s.errf("unterminated string")
}

func isHex4(b []byte) bool {
	for _, c := range b[:4] {
		if !isHex(c) {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func (s *scanner) skipNumber() error {
	d := s.data
	i := s.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	default:
		s.pos = i
		return s.errf("invalid number")
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			s.pos = i
			return s.errf("invalid number")
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			s.pos = i
			return s.errf("invalid number")
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	s.pos = i
	return nil
}

// readString consumes a string value and returns it unescaped.
func (s *scanner) readString() (string, error) {
	if s.peek() != '"' {
		return "", s.errf("expected a string")
	}
	start := s.pos + 1
	escaped, err := s.scanString()
	if err != nil {
		return "", err
	}
	raw := s.data[start : s.pos-1]
	if !escaped {
		return string(raw), nil
	}
	return string(unescape(nil, raw)), nil
}

// unescape appends the decoded form of a validated string body (no quotes).
// Lone UTF-16 surrogates decode to U+FFFD.
func unescape(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		switch raw[i+1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := rune(hex4(raw[i+2 : i+6]))
			i += 6
			if utf16.IsSurrogate(r) {
				if r < 0xdc00 && i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					r2 := rune(hex4(raw[i+2 : i+6]))
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						dst = utf8.AppendRune(dst, dec)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default: // '"', '\\', '/'
			dst = append(dst, raw[i+1])
		}
		i += 2
	}
	return dst
}

func hex4(b []byte) uint16 {
	v, _ := strconv.ParseUint(string(b[:4]), 16, 16)
	return uint16(v)
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// skipPlain advances i over 8-byte words that hold no '"', '\\' or control
// byte (word-at-a-time; bytes >= 0x80 are plain), returning the index of the
// first word that may hold one.
func skipPlain(d []byte, i int) int {
	for i+8 <= len(d) {
		x := binary.LittleEndian.Uint64(d[i:])
		q := x ^ (lsb * '"')
		bs := x ^ (lsb * '\\')
		m := (x - lsb*0x20) &^ x
		m |= (q - lsb) &^ q
		m |= (bs - lsb) &^ bs
		if m&msb != 0 {
			return i
		}
		i += 8
	}
	return i
}
