package api

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/hoggo/capture/internal/apierr"
	"github.com/hoggo/capture/internal/payload"
)

// readPayload reads the body (readBody) and decodes it in the reference's
// order (payload.Decode) with the server's decompressed-size limit.
func (s *Server) readPayload(w http.ResponseWriter, r *http.Request, q payload.Query, limit int) (payload.Decoded, error) {
	raw, err := s.readBody(w, r, limit)
	if err != nil {
		return payload.Decoded{}, err
	}
	return payload.Decode(payload.Input{
		Path:            r.URL.Path,
		Query:           q,
		ContentType:     r.Header.Get("Content-Type"),
		ContentEncoding: r.Header.Get("Content-Encoding"),
		Body:            raw,
		Limit:           s.opts.EventMaxBytes,
	})
}

// readBody reads the request body up to limit bytes: 413 beyond it, 408 when
// a chunk read stalls past BodyChunkReadTimeout.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, limit int) ([]byte, error) {
	if r.ContentLength > int64(limit) {
		return nil, apierr.New(apierr.EventTooBig, "request body exceeds the route limit")
	}
	body := http.MaxBytesReader(w, r.Body, int64(limit))
	size := 512
	if r.ContentLength > 0 {
		size = int(r.ContentLength) + 1 // +1 so the EOF read needs no growth
	}
	buf := make([]byte, 0, size)
	var rc *http.ResponseController
	if s.opts.BodyChunkReadTimeout > 0 {
		rc = http.NewResponseController(w)
		defer func() { _ = rc.SetReadDeadline(time.Time{}) }()
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		if rc != nil {
			_ = rc.SetReadDeadline(time.Now().Add(s.opts.BodyChunkReadTimeout))
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			var mbe *http.MaxBytesError
			switch {
			case errors.As(err, &mbe):
				return nil, apierr.New(apierr.EventTooBig, "request body exceeds the route limit")
			case errors.Is(err, os.ErrDeadlineExceeded):
				// Close after answering: net/http would otherwise try to
				// drain the rest of the body the client is not sending.
				w.Header().Set("Connection", "close")
				return nil, apierr.New(apierr.BodyReadTimeout, "")
			}
			return nil, apierr.Wrap(apierr.RequestDecoding, "failed to read request body", err)
		}
	}
}
