package compression

import (
	"bytes"
	"encoding/base64"
	"fmt"
)

// Base64Mode selects the character set LooksLikeBase64 accepts.
type Base64Mode int

const (
	// Base64Strict: [A-Za-z0-9+/=] (a payload that was never form-decoded).
	Base64Strict Base64Mode = iota
	// Base64Loose: Strict plus ' ' (a form value whose '+' became spaces).
	Base64Loose
	// Base64URL: [A-Za-z0-9_-] (data from a URL query parameter).
	Base64URL
)

// base64Check is how many leading bytes LooksLikeBase64 inspects, as in the
// reference (MAX_CHARS_TO_CHECK).
const base64Check = 128

// LooksLikeBase64 is capture's cheap is_likely_base64 test: b is non-empty,
// its length is a multiple of 4, and each of its first 128 bytes is in the
// mode's character set. It does not prove that b decodes.
func LooksLikeBase64(b []byte, mode Base64Mode) bool {
	if len(b) == 0 || len(b)%4 != 0 {
		return false
	}
	for _, c := range b[:min(len(b), base64Check)] {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case mode != Base64URL && (c == '+' || c == '/' || c == '='):
		case mode == Base64URL && (c == '_' || c == '-'):
		case mode == Base64Loose && c == ' ':
		default:
			return false
		}
	}
	return true
}

// strictStd is the Rust base64 crate's STANDARD engine: canonical padding
// required, non-zero trailing bits rejected.
var strictStd = base64.StdEncoding.Strict()

// DecodeBase64 decodes standard base64 exactly as capture's decode_base64:
// padding required and canonical, trailing bits zero, no whitespace or line
// breaks (Go's decoder would otherwise skip CR/LF).
func DecodeBase64(b []byte) ([]byte, error) {
	if bytes.ContainsAny(b, "\r\n") {
		return nil, fmt.Errorf("decode base64: line break in input")
	}
	out := make([]byte, strictStd.DecodedLen(len(b)))
	n, err := strictStd.Decode(out, b)
	if err != nil {
		return nil, fmt.Errorf("decode base64: %w", err)
	}
	return out[:n], nil
}

// OptimisticBase64 is capture's optimistic unwrap: when b looks like strict
// base64 and decodes, it returns the decoded bytes and true; otherwise it
// returns b itself and false. Capture applies it only when the payload does
// not look like a urlencoded form (capture.md §4.1 step 3).
func OptimisticBase64(b []byte) ([]byte, bool) {
	if !LooksLikeBase64(b, Base64Strict) {
		return b, false
	}
	out, err := DecodeBase64(b)
	if err != nil {
		return b, false
	}
	return out, true
}
