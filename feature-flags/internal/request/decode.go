// Package request decodes /flags request bodies and query strings: content
// types, gzip (parameter, header or magic bytes), base64 and form "data="
// payloads, lenient JSON (NaN/Infinity become null, invalid UTF-8 is
// replaced) and the FlagRequest fields with their aliases.
package request

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/hoggo/common/compression"
)

// MaxBodySize caps the decompressed body (the reference's payload_too_large).
const MaxBodySize = 20 << 20

// ErrTooLarge is returned when a body decompresses beyond MaxBodySize.
var ErrTooLarge = errors.New("payload too large")

// DecodeError is a body that cannot be decoded; Message is shown to the client.
type DecodeError struct{ Message string }

func (e *DecodeError) Error() string { return e.Message }

func decodeErr(format string, args ...any) error {
	return &DecodeError{Message: fmt.Sprintf(format, args...)}
}

// Compression is the compression named by the query string.
type Compression int

// Compression values.
const (
	CompressionNone Compression = iota
	CompressionGzip
	CompressionBase64
	CompressionUnsupported
)

// ParseCompression maps the compression query parameter.
func ParseCompression(s string) Compression {
	switch s {
	case "":
		return CompressionNone
	case "gzip", "gzip-js":
		return CompressionGzip
	case "base64":
		return CompressionBase64
	}
	return CompressionUnsupported
}

// Kludges records the workarounds a decode needed (for the
// flags_request_kludge_total metric).
type Kludges struct {
	MissingDataPrefix, PaddingNeeded, LossyUTF8, AutoDetectedGzip, Base64Fallback bool
}

// Body decodes a request body into its JSON object.
func Body(contentType, contentEncoding string, comp Compression, body []byte) (map[string]any, Kludges, error) {
	var k Kludges
	ct := strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	if ct == "" {
		ct = "application/json"
	}
	switch ct {
	case "application/json", "text/plain":
		if comp == CompressionUnsupported {
			return nil, k, decodeErr("Unsupported compression type")
		}
		switch {
		case comp == CompressionGzip:
			b, err := gunzip(body)
			if err != nil {
				return nil, k, err
			}
			body = b
		case comp == CompressionBase64:
		case strings.Contains(strings.ToLower(contentEncoding), "gzip"):
			b, err := gunzip(body)
			if err != nil {
				return nil, k, err
			}
			body = b
		case compression.IsGzip(body):
			b, err := gunzip(body)
			if err != nil {
				return nil, k, err
			}
			body = b
			k.AutoDetectedGzip = true
		}
		if comp != CompressionBase64 {
			if m, err := lenientJSON(body, &k); err == nil {
				return m, k, nil
			}
		}
		decoded, err := base64Lenient(body, &k)
		if err == nil {
			if m, err := lenientJSON(decoded, &k); err == nil {
				k.Base64Fallback = comp != CompressionBase64
				return m, k, nil
			}
		}
		return nil, k, decodeErr("invalid JSON")
	case "application/x-www-form-urlencoded":
		if !utf8.Valid(body) {
			return nil, k, decodeErr("form data is not valid UTF-8")
		}
		s, err := url.QueryUnescape(strings.ReplaceAll(string(body), "+", "%2B"))
		if err != nil {
			s = string(body)
		}
		if rest, ok := strings.CutPrefix(s, "data="); ok {
			s, _, _ = strings.Cut(rest, "=")
		} else {
			k.MissingDataPrefix = true
		}
		if comp == CompressionGzip {
			return nil, k, decodeErr("gzip compression is not supported for form data")
		}
		if comp == CompressionUnsupported {
			return nil, k, decodeErr("Unsupported compression type")
		}
		decoded, err := base64Lenient([]byte(s), &k)
		if err != nil {
			return nil, k, decodeErr("invalid base64: %v", err)
		}
		decoded = lossy(decoded, &k)
		m, err := strictJSON(decoded)
		if err != nil {
			return nil, k, decodeErr("invalid JSON structure")
		}
		return m, k, nil
	}
	return nil, k, decodeErr("unsupported content type: %s", ct)
}

func gunzip(b []byte) ([]byte, error) {
	out, err := compression.Gunzip(b, MaxBodySize)
	if err != nil {
		if errors.Is(err, compression.ErrTooLarge) || errors.Is(err, compression.ErrBomb) {
			return nil, ErrTooLarge
		}
		return nil, decodeErr("invalid gzip data")
	}
	return out, nil
}

// base64Lenient is the reference's decode helper: lossy UTF-8, percent
// decoding, spaces removed, '=' padding added, standard alphabet.
func base64Lenient(b []byte, k *Kludges) ([]byte, error) {
	s := string(lossy(b, k))
	if u, err := url.PathUnescape(s); err == nil {
		s = u
	}
	s = strings.ReplaceAll(s, " ", "")
	s = strings.TrimSpace(s)
	if r := len(s) % 4; r != 0 {
		s += strings.Repeat("=", 4-r)
		k.PaddingNeeded = true
	}
	return compression.DecodeBase64([]byte(s))
}

func lossy(b []byte, k *Kludges) []byte {
	if utf8.Valid(b) {
		return b
	}
	k.LossyUTF8 = true
	return bytes.ToValidUTF8(b, []byte("\uFFFD"))
}

// lenientJSON parses a JSON object accepting the JSON5 constants NaN,
// Infinity and -Infinity, which become null (Python's parse_constant).
func lenientJSON(b []byte, k *Kludges) (map[string]any, error) {
	b = lossy(b, k)
	if m, err := strictJSON(b); err == nil {
		return m, nil
	}
	fixed, changed := replaceNonFinite(b)
	if !changed {
		return nil, errors.New("invalid JSON")
	}
	return strictJSON(fixed)
}

func strictJSON(b []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, errors.New("trailing data after JSON")
	}
	if m == nil {
		return nil, errors.New("JSON body is not an object")
	}
	return m, nil
}

// replaceNonFinite rewrites bare NaN, Infinity and -Infinity tokens outside
// strings to null.
func replaceNonFinite(b []byte) ([]byte, bool) {
	var out []byte
	changed := false
	inStr, esc := false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inStr {
			out = append(out, c)
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		switch {
		case c == '"':
			inStr = true
		case bytes.HasPrefix(b[i:], []byte("NaN")):
			out = append(out, "null"...)
			i += 2
			changed = true
			continue
		case bytes.HasPrefix(b[i:], []byte("Infinity")):
			out = append(out, "null"...)
			i += 7
			changed = true
			continue
		case bytes.HasPrefix(b[i:], []byte("-Infinity")):
			out = append(out, "null"...)
			i += 8
			changed = true
			continue
		}
		out = append(out, c)
	}
	return out, changed
}
