package payload

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hoggo/capture/internal/apierr"
)

// Compression is an encoding hint from the query, the form or Content-Encoding.
type Compression int

// Compression hints. CompressionNone covers absent and unrecognised values:
// neither is a hint.
const (
	CompressionNone Compression = iota
	CompressionGzip
	CompressionLZString
	CompressionBase64
)

func (c Compression) String() string {
	switch c {
	case CompressionGzip:
		return "gzip"
	case CompressionLZString:
		return "lz64"
	case CompressionBase64:
		return "base64"
	}
	return "unsupported"
}

// ParseCompression maps a query/form value to a hint, case-insensitively;
// unknown values (including "") are no hint.
func ParseCompression(v string) Compression {
	switch strings.ToLower(v) {
	case "gzip", "gzip-js":
		return CompressionGzip
	case "lz64", "lz-string":
		return CompressionLZString
	case "base64", "b64":
		return CompressionBase64
	}
	return CompressionNone
}

// compressionFromHeader maps the exact Content-Encoding values the reference knows.
// The values are ParseCompression's, matched with their case.
func compressionFromHeader(v string) Compression {
	if v != strings.ToLower(v) {
		return CompressionNone
	}
	return ParseCompression(v)
}

// Query holds the query parameters capture reads (spec §2.1.1).
type Query struct {
	Data        string
	Compression Compression
	LibVersion  string
	SentAt      time.Time // from `_`/`sent_at` in ms; zero unless year > 2020
	Beacon      bool
}

// ParseQuery parses a raw query string. A non-integer `_` fails like the
// reference's query extractor does.
func ParseQuery(raw string) (Query, error) {
	var q Query
	// url.ParseQuery returns what it could parse along with an error for
	// malformed pairs (a stray ';', a bad escape); like serde_urlencoded we
	// keep the well-formed pairs.
	vals, _ := url.ParseQuery(raw)
	q.Data = vals.Get("data")
	if v, ok := first(vals, "compression"); ok {
		q.Compression = ParseCompression(v)
	}
	if v, ok := first(vals, "lib_version", "ver"); ok {
		q.LibVersion = v
	}
	if v, ok := first(vals, "sent_at", "_"); ok {
		ms, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil {
			return q, apierr.New(apierr.RequestDecoding, "invalid query string: `_` must be an integer")
		}
		q.SentAt = SentAtFromMillis(ms)
	}
	q.Beacon = vals.Get("beacon") == "1"
	return q, nil
}

func first(vals url.Values, names ...string) (string, bool) {
	for _, n := range names {
		if v, ok := vals[n]; ok && len(v) > 0 {
			return v[0], true
		}
	}
	return "", false
}

// SentAtFromMillis converts the `_` query value; values that land before
// 2021 (old SDKs sent seconds) are ignored.
func SentAtFromMillis(ms int64) time.Time {
	t := time.UnixMilli(ms).UTC()
	if y := t.Year(); y > 2020 && y <= 9999 {
		return t
	}
	return time.Time{}
}
