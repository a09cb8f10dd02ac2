// Package jsonscan validates JSON text strictly (RFC 8259, serde_json's
// grammar and recursion limit) without building values, so callers can pick
// out the fields they need and pass the rest through as raw bytes. It is the
// one scanner behind common/types' codec and capture's v0 and v1 decoders.
package jsonscan

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is serde_json's recursion limit.
const MaxDepth = 128

// SyntaxError is malformed JSON at a byte offset (as opposed to JSON of the
// wrong shape, which callers report themselves).
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s at offset %d", e.Msg, e.Offset) }

// IsSyntax reports whether err is (or wraps) a *SyntaxError.
func IsSyntax(err error) bool {
	var se *SyntaxError
	return errors.As(err, &se)
}

func syntaxErr(off int, msg string) error { return &SyntaxError{Offset: off, Msg: msg} }

// IsSpace reports whether c is JSON insignificant whitespace.
func IsSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

// SkipSpace returns the index of the first non-whitespace byte of b at or after i.
func SkipSpace(b []byte, i int) int {
	for i < len(b) && IsSpace(b[i]) {
		i++
	}
	return i
}

// strSafe marks bytes that need no check inside a string: ASCII other than
// control characters, '"' and '\\'. strSafeUTF8 adds bytes >= 0x80 for
// input already known to be valid UTF-8.
var strSafe, strSafeUTF8 = func() (ascii, any [256]bool) {
	for c := 0x20; c < 0x100; c++ {
		safe := c != '"' && c != '\\'
		ascii[c] = safe && c < 0x80
		any[c] = safe
	}
	return ascii, any
}()

// shortEscape marks the characters after '\\' of two-byte escapes, the
// common case handled inline by the string loops.
var shortEscape = [256]bool{'"': true, '\\': true, '/': true, 'b': true, 'f': true, 'n': true, 'r': true, 't': true}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// skipPlain skips 8-byte words of b from i that hold no control character,
// '"' or '\\' (and, when ascii is set, no byte >= 0x80), so long plain runs
// are scanned a word at a time.
func skipPlain(b []byte, i int, ascii bool) int {
	for i+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[i:])
		q := x ^ (lsb * '"')
		bs := x ^ (lsb * '\\')
		m := (x - lsb*0x20) &^ x
		m |= (q - lsb) &^ q
		m |= (bs - lsb) &^ bs
		if ascii {
			m |= x
		}
		if m&msb != 0 {
			return i
		}
		i += 8
	}
	return i
}

// String returns the end of the string literal whose opening quote is at
// b[i], and whether it holds escapes. It rejects invalid UTF-8.
func String(b []byte, i int) (end int, escaped bool, err error) {
	i++
	for {
		i = skipPlain(b, i, true)
		for i < len(b) && strSafe[b[i]] {
			i++
		}
		if i >= len(b) {
			return i, escaped, syntaxErr(i, "unterminated string")
		}
		c := b[i]
		if c == '"' {
			return i + 1, escaped, nil
		}
		if c == '\\' && i+1 < len(b) && shortEscape[b[i+1]] {
			i += 2
			escaped = true
			continue
		}
		if c >= 0x80 {
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size <= 1 {
				return i, escaped, syntaxErr(i, "invalid UTF-8 in string")
			}
			i += size
			continue
		}
		if i, err = special(b, i); err != nil {
			return i, escaped, err
		}
		escaped = true
	}
}

// stringUTF8 is String for input known to be valid UTF-8: bytes >= 0x80
// are plain.
func stringUTF8(b []byte, i int) (end int, escaped bool, err error) {
	i++
	for {
		i = skipPlain(b, i, false)
		for i < len(b) && strSafeUTF8[b[i]] {
			i++
		}
		if i >= len(b) {
			return i, escaped, syntaxErr(i, "unterminated string")
		}
		if b[i] == '"' {
			return i + 1, escaped, nil
		}
		if b[i] == '\\' && i+1 < len(b) && shortEscape[b[i+1]] {
			i += 2
			escaped = true
			continue
		}
		if i, err = special(b, i); err != nil {
			return i, escaped, err
		}
		escaped = true
	}
}

// special handles the byte at b[i] inside a string that is neither plain
// nor the closing quote: an escape (returns the index after it) or a
// control character (an error).
func special(b []byte, i int) (int, error) {
	if b[i] != '\\' {
		return i, syntaxErr(i, "control character in string")
	}
	if i+1 >= len(b) {
		return i, syntaxErr(i, "unterminated escape")
	}
	switch b[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return i + 2, nil
	case 'u':
		if i+6 > len(b) || !isHex4(b[i+2:i+6]) {
			return i, syntaxErr(i, "invalid \\u escape")
		}
		return i + 6, nil
	}
	return i, syntaxErr(i, "invalid escape")
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

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// Number returns the end of the number starting at b[i] (RFC 8259 grammar).
func Number(b []byte, i int) (int, error) {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	default:
		return i, syntaxErr(i, "invalid number")
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			return i, syntaxErr(i, "invalid number")
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return i, syntaxErr(i, "invalid number")
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	return i, nil
}

// Literal returns the end of lit (true, false or null) at b[i].
func Literal(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, syntaxErr(i, "invalid literal, expected "+lit)
	}
	return i + len(lit), nil
}

// Unescape appends the decoded form of a validated string body (without
// quotes) to dst. Lone UTF-16 surrogates decode to U+FFFD.
func Unescape(dst, raw []byte) []byte {
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

// Hex4 decodes the four hex digits of a \uXXXX escape from b[:4].
func Hex4(b []byte) (uint16, bool) {
	if len(b) < 4 || !isHex4(b) {
		return 0, false
	}
	return hex4(b), true
}
