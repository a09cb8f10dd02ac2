package analyticsv1

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"

	"github.com/hoggo/common/compression"
)

// readBody reads the wire body up to limit bytes (413 beyond). With a
// chunk timeout, a client that sends nothing for that long gets 408.
// TODO(capture): api.Server.readBody does the same with v0 errors; share
// one reader that returns sentinel errors once both settle.
func readBody(w http.ResponseWriter, r *http.Request, limit int, chunkTimeout time.Duration) ([]byte, *Error) {
	if r.ContentLength > int64(limit) {
		return nil, errTooLarge("body of %d bytes exceeds the %d byte limit", r.ContentLength, limit)
	}
	body := http.MaxBytesReader(w, r.Body, int64(limit))
	size := 4096
	if r.ContentLength > 0 {
		size = int(r.ContentLength) + 1 // room for the EOF read
	}
	buf := make([]byte, 0, size)
	var rc *http.ResponseController
	if chunkTimeout > 0 {
		rc = http.NewResponseController(w)
		defer func() { _ = rc.SetReadDeadline(time.Time{}) }()
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		if rc != nil {
			_ = rc.SetReadDeadline(time.Now().Add(chunkTimeout))
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			switch {
			case errors.As(err, &mbe):
				return nil, errTooLarge("body exceeds the %d byte limit", limit)
			case errors.Is(err, os.ErrDeadlineExceeded):
				bodyReadTimeouts.WithLabelValues(r.URL.Path).Inc()
				return nil, newError(http.StatusRequestTimeout, TagBodyReadTimeout,
					"body read stalled after receiving %d bytes", len(buf))
			}
			return nil, errDecoding("read body: %v", err)
		}
	}
	if len(buf) == 0 {
		return nil, errEmptyBody
	}
	return buf, nil
}

// decompress inflates body per Content-Encoding, failing with 413 when the
// output would exceed limit and 400 request_decoding_error on corrupt
// input. deflate is zlib when the first byte is 0x78, raw deflate otherwise.
func decompress(encoding string, body []byte, limit int) ([]byte, *Error) {
	var (
		out []byte
		err error
	)
	switch encoding {
	case encodingIdentity:
		if len(body) > limit {
			return nil, errTooLarge("body exceeds the %d byte decompressed limit", limit)
		}
		return body, nil
	case encodingGzip:
		out, err = compression.GunzipLimits(body, compression.Limits{MaxSize: limit})
	case encodingDeflate:
		if len(body) > 0 && body[0] == 0x78 {
			var zr io.ReadCloser
			if zr, err = zlib.NewReader(bytes.NewReader(body)); err == nil {
				out, err = readLimited(zr, limit)
			}
		} else {
			out, err = readLimited(flate.NewReader(bytes.NewReader(body)), limit)
		}
	case encodingBrotli:
		out, err = readLimited(brotli.NewReader(bytes.NewReader(body)), limit)
	case encodingZstd:
		out, err = decodeZstd(body, limit)
	default:
		return nil, errDecoding("unsupported encoding %q", encoding)
	}
	if errors.Is(err, compression.ErrTooLarge) {
		return nil, errTooLarge("decompressed body exceeds the %d byte limit", limit)
	}
	if err != nil {
		decompressionErrors.WithLabelValues(encoding).Inc()
		return nil, errDecoding("%s: %v", encoding, err)
	}
	return out, nil
}

// readLimited reads r to the end, failing with compression.ErrTooLarge
// past limit bytes.
func readLimited(r io.Reader, limit int) ([]byte, error) {
	out, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(out) > limit {
		return nil, compression.ErrTooLarge
	}
	return out, nil
}

// decodeZstd streams the frame so the cap holds even when the frame header
// lies about (or omits) the content size.
func decodeZstd(body []byte, limit int) ([]byte, error) {
	dec, err := zstd.NewReader(bytes.NewReader(body), zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	return readLimited(dec, limit)
}
