package payload

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/hoggo/capture/internal/apierr"
	"github.com/hoggo/common/compression"
)

// FormMIMEType is the only Content-Type that triggers form decoding; the
// reference compares it exactly, so a "; charset=" suffix does not match.
const FormMIMEType = "application/x-www-form-urlencoded"

// Input is what payload decoding needs from an HTTP request.
type Input struct {
	Path            string // matched route path, e.g. "/e/" or "/batch"
	Query           Query
	ContentType     string
	ContentEncoding string
	Body            []byte
	Limit           int // maximum decoded payload size in bytes
}

// Decoded is the JSON text of a request and how it was encoded.
type Decoded struct {
	Text        []byte
	Compression Compression
	LibVersion  string
}

// Decode runs the reference's payload extraction (capture spec §4.1 steps
// 2–9): query `data` or body, optimistic base64, urlencoded forms with '+'
// repair, the compression hint, gzip/lz64 decompression with the size limit,
// the legacy double base64 and the lone-surrogate repair.
func Decode(in Input) (Decoded, error) {
	var out Decoded
	raw := in.Body
	if in.Query.Data != "" {
		raw = []byte(in.Query.Data)
		// Query decoding turned '+' into ' '; undo it for base64 data
		// (an extension: the reference leaves such payloads broken).
		if compression.LooksLikeBase64(raw, compression.Base64Loose) {
			raw = bytes.ReplaceAll(raw, []byte(" "), []byte("+"))
		}
	}
	if len(raw) == 0 {
		return out, apierr.New(apierr.EmptyPayload, "")
	}

	payload := raw
	if !isLikelyForm(raw) {
		payload, _ = compression.OptimisticBase64(raw)
	}

	var form formData
	if in.ContentType == FormMIMEType {
		if !isLikelyForm(payload) {
			return out, apierr.New(apierr.RequestDecoding, "expected form data in POST request payload")
		}
		var err error
		if form, err = decodeForm(payload); err != nil {
			return out, apierr.Wrap(apierr.RequestDecoding, "invalid urlencoded form data", err)
		}
		if form.hasData && compression.LooksLikeBase64([]byte(form.data), compression.Base64Loose) {
			form.data = strings.ReplaceAll(form.data, " ", "+")
		}
	}

	out.Compression = in.Query.Compression
	if out.Compression == CompressionNone {
		out.Compression = form.compression
	}
	if out.Compression == CompressionNone {
		out.Compression = compressionFromHeader(in.ContentEncoding)
	}
	out.LibVersion = in.Query.LibVersion
	if out.LibVersion == "" {
		out.LibVersion = form.libVersion
	}
	if form.hasData {
		payload = []byte(form.data)
		// Form data is base64 in every SDK that sends forms; unwrap it on
		// every path (the reference only does so on legacy paths, which
		// leaves base64 forms on /i/v0/e and /batch unparseable).
		if dec, ok := compression.OptimisticBase64(payload); ok && (compression.IsGzip(dec) || utf8.Valid(dec)) {
			payload = dec
		}
	}

	text, err := decompress(payload, out.Compression, in.Limit)
	if err != nil {
		return out, err
	}
	if isLegacyPath(in.Path) && compression.LooksLikeBase64(text, compression.Base64Strict) {
		if dec, err := compression.DecodeBase64(text); err == nil && utf8.Valid(dec) {
			if len(dec) > in.Limit {
				return out, apierr.New(apierr.EventTooBig, "decoded payload exceeds the size limit")
			}
			text = dec
		}
	}
	out.Text = RepairSurrogates(text)
	return out, nil
}

// decompress returns the payload's text; it records the reference's size
// metrics on every outcome.
func decompress(b []byte, c Compression, limit int) ([]byte, error) {
	rawPayloadSize.Observe(float64(len(b)))
	out, err := decompressText(b, c, limit)
	if err == nil {
		fullPayloadSize.WithLabelValues("false").Observe(float64(len(out)))
	}
	return out, err
}

func decompressText(b []byte, c Compression, limit int) ([]byte, error) {
	if c == CompressionGzip && !compression.IsGzip(b) {
		// A gzip hint on bytes that are not gzip: posthog-js sends
		// compression=gzip-js with form bodies too. Unwrap base64'd gzip;
		// otherwise ignore the hint (the reference would fail with 400;
		// Django, whose recordings are our conformance data, sniffed the
		// magic bytes only).
		if dec, ok := compression.OptimisticBase64(b); ok && compression.IsGzip(dec) {
			b = dec
		} else {
			c = CompressionNone
		}
	}
	switch {
	case compression.IsGzip(b):
		out, err := compression.GunzipLimits(b, compression.Limits{MaxSize: limit, SizeFromTrailer: true})
		if errors.Is(err, compression.ErrTooLarge) {
			oversize("gzip", limit)
			return nil, apierr.New(apierr.EventTooBig, "decompressed payload exceeds the size limit")
		}
		if err != nil {
			return nil, apierr.Wrap(apierr.RequestDecoding, "invalid GZIP data", err)
		}
		if len(b) > 0 {
			gzipRatio.Observe(float64(len(out)) / float64(len(b)))
		}
		if !utf8.Valid(out) {
			return nil, apierr.New(apierr.RequestDecoding, "invalid gzip data")
		}
		return out, nil
	case c == CompressionLZString:
		out, err := compression.DecompressLZ64(b, limit)
		if errors.Is(err, compression.ErrTooLarge) {
			return nil, apierr.New(apierr.EventTooBig, "decompressed payload exceeds the size limit")
		}
		if err != nil {
			return nil, apierr.Wrap(apierr.RequestDecoding, "invalid lz64 data", err)
		}
		return out, nil
	default:
		if !utf8.Valid(b) {
			return nil, apierr.New(apierr.RequestDecoding, "invalid UTF8 in request payload")
		}
		if len(b) > limit {
			oversize("none", len(b))
			return nil, apierr.New(apierr.EventTooBig, "payload exceeds the size limit")
		}
		return b, nil
	}
}

// oversize records a payload over the limit. The gzip reader stops at the
// limit, so a gzip payload is recorded at the limit, a lower bound of its size.
func oversize(kind string, size int) {
	payloadSizeExceeded.WithLabelValues(kind).Inc()
	fullPayloadSize.WithLabelValues("true").Observe(float64(size))
}

// isLegacyPath reports the paths where the reference applies a second
// base64 unwrap: /e, /capture, /engage and /track (not /i/v0/e, /batch).
func isLegacyPath(p string) bool {
	return p == "/e" || strings.HasPrefix(p, "/e/") || strings.HasPrefix(p, "/e?") ||
		strings.HasPrefix(p, "/capture") || strings.HasPrefix(p, "/engage") || strings.HasPrefix(p, "/track")
}

var formKeys = [][]byte{[]byte("data="), []byte("_="), []byte("ip="), []byte("compression=")}

// isLikelyForm: within the first 128 bytes one of data=, _=, ip=,
// compression= starts the payload or follows a '&'.
func isLikelyForm(b []byte) bool {
	head := b[:min(len(b), 128)]
	for _, k := range formKeys {
		if bytes.HasPrefix(head, k) {
			return true
		}
		for i := 0; ; {
			j := bytes.Index(head[i:], k)
			if j < 0 {
				break
			}
			if i+j > 0 && head[i+j-1] == '&' {
				return true
			}
			i += j + 1
		}
	}
	return false
}

type formData struct {
	data        string
	hasData     bool
	compression Compression
	libVersion  string
}

func decodeForm(b []byte) (formData, error) {
	var f formData
	vals, err := url.ParseQuery(string(b))
	if err != nil {
		return f, err
	}
	if v, ok := vals["data"]; ok && len(v) > 0 {
		f.data, f.hasData = v[0], true
	}
	if v, ok := first(vals, "compression"); ok {
		f.compression = ParseCompression(v)
	}
	if v, ok := first(vals, "lib_version", "ver"); ok {
		f.libVersion = v
	}
	return f, nil
}
