package payload

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"

	"github.com/hoggo/common/compression"
)

var gzipReaders sync.Pool // *gzip.Reader

// gunzip is compression.Gunzip (first member only, ErrTooLarge past limit,
// ErrInvalidGzip otherwise) with the output buffer sized from the gzip
// trailer's ISIZE field, so a request body is inflated without the
// doubling reallocations that dominated the allocation profile. A lying
// ISIZE only costs a reallocation: the limit is enforced on real output.
func gunzip(src []byte, limit int) ([]byte, error) {
	hint := 0
	if len(src) >= 18 {
		hint = int(binary.LittleEndian.Uint32(src[len(src)-4:]))
	}
	if hint <= 0 || hint > limit {
		return compression.Gunzip(src, limit)
	}
	zr, _ := gzipReaders.Get().(*gzip.Reader)
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(bytes.NewReader(src))
	} else {
		err = zr.Reset(bytes.NewReader(src))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", compression.ErrInvalidGzip, err)
	}
	defer gzipReaders.Put(zr)
	zr.Multistream(false)
	out := make([]byte, 0, hint+1) // +1: the EOF read needs room
	for {
		if len(out) == cap(out) {
			out = append(out, 0)[:len(out)]
		}
		n, err := zr.Read(out[len(out):min(cap(out), limit+1)])
		out = out[:len(out)+n]
		if len(out) > limit {
			return nil, fmt.Errorf("%w: more than %d bytes", compression.ErrTooLarge, limit)
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", compression.ErrInvalidGzip, err)
		}
	}
}
