package compression

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
)

var (
	// ErrTooLarge means the decompressed output would exceed the size cap.
	// Capture answers it with 413 (event_too_big).
	ErrTooLarge = errors.New("decompressed payload exceeds the size limit")
	// ErrBomb means the output outgrew Limits.MaxRatio times the input.
	ErrBomb = errors.New("decompression ratio exceeds the bomb limit")
	// ErrInvalidGzip means the input is not a valid gzip stream (bad header,
	// corrupt data, checksum mismatch or truncation).
	ErrInvalidGzip = errors.New("invalid GZIP data")
)

// BombCheckMinSize is the output size below which Limits.MaxRatio is not
// enforced: small JSON bodies legitimately compress far better than any
// sensible bomb ratio.
const BombCheckMinSize = 1 << 20

// Limits bound a decompression.
type Limits struct {
	// MaxSize is the largest output accepted, in bytes; 0 means no cap.
	MaxSize int
	// MaxRatio, when > 0, rejects outputs larger than BombCheckMinSize whose
	// size exceeds MaxRatio times the compressed size (ErrBomb). The
	// reference only logs ratios above 20; capture leaves this at 0 and
	// relies on MaxSize.
	MaxRatio float64
	// SizeFromTrailer preallocates the output from the gzip trailer's ISIZE
	// (the uncompressed size mod 2^32) when it is plausible: non-zero,
	// within MaxSize and at most maxDeflateRatio times the input. The output
	// is the same either way; a well-formed body then decompresses into one
	// allocation of the right size instead of a growing buffer. Only for
	// in-memory input (GunzipLimits).
	SizeFromTrailer bool
}

// maxDeflateRatio bounds how much deflate can expand its input (about
// 1032:1), so a forged ISIZE cannot make a small body reserve much memory.
const maxDeflateRatio = 1032

// trailerSize returns the ISIZE of src's last 4 bytes when it is a
// plausible output size for src under lim, else 0.
func trailerSize(src []byte, lim Limits) int {
	const minMember = 18 // 10-byte header, empty deflate block, 8-byte trailer
	if len(src) < minMember {
		return 0
	}
	n := int(binary.LittleEndian.Uint32(src[len(src)-4:]))
	if n <= 0 || n > maxDeflateRatio*len(src) || (lim.MaxSize > 0 && n > lim.MaxSize) {
		return 0
	}
	return n
}

// IsGzip reports whether b starts with the gzip magic bytes 1f 8b 08
// (deflate), which capture uses to detect gzip without a hint.
func IsGzip(b []byte) bool {
	return len(b) >= 3 && b[0] == 0x1f && b[1] == 0x8b && b[2] == 0x08
}

// Gunzip decompresses the first gzip member of src, failing with
// ErrTooLarge as soon as the output would exceed maxSize bytes (0 = no cap)
// and with ErrInvalidGzip on a corrupt stream. Bytes after the first member
// are ignored, as Rust's GzDecoder does.
func Gunzip(src []byte, maxSize int) ([]byte, error) {
	return GunzipLimits(src, Limits{MaxSize: maxSize})
}

// GunzipLimits is Gunzip with bomb detection and preallocation options
// (see Limits).
func GunzipLimits(src []byte, lim Limits) ([]byte, error) {
	initial := 0
	if lim.SizeFromTrailer {
		if n := trailerSize(src, lim); n > 0 {
			initial = n + 1 // +1: room for the read that reports EOF
		}
	}
	return gunzip(bytes.NewReader(src), func() int { return len(src) }, len(src), initial, lim)
}

// GunzipReader decompresses a gzip stream read from r under lim.
func GunzipReader(r io.Reader, lim Limits) ([]byte, error) {
	cr := &countingReader{r: r}
	return gunzip(cr, func() int { return cr.n }, 0, 0, lim)
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

var readerPool sync.Pool // *gzip.Reader

// gunzip decompresses r. sizeHint is the compressed size (0 if unknown);
// initial, when > 0, is the exact output capacity to start with.
func gunzip(r io.Reader, consumed func() int, sizeHint, initial int, lim Limits) ([]byte, error) {
	zr, _ := readerPool.Get().(*gzip.Reader)
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(r)
	} else {
		err = zr.Reset(r)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidGzip, err)
	}
	defer readerPool.Put(zr)
	zr.Multistream(false)

	// One byte past the cap proves the output is too large.
	hardCap := -1
	if lim.MaxSize > 0 {
		hardCap = lim.MaxSize + 1
	}
	if initial <= 0 {
		initial = max(sizeHint*4, 8<<10)
	}
	if hardCap > 0 {
		initial = min(initial, hardCap)
	}
	out := make([]byte, 0, initial)
	for {
		if len(out) == cap(out) {
			next := max(cap(out)*2, 8<<10)
			if hardCap > 0 {
				next = min(next, hardCap)
			}
			out = append(out, make([]byte, next-len(out))...)[:len(out)]
		}
		n, err := zr.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if lim.MaxSize > 0 && len(out) > lim.MaxSize {
			return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, lim.MaxSize)
		}
		if lim.MaxRatio > 0 && len(out) > BombCheckMinSize {
			if in := consumed(); in > 0 && float64(len(out)) > lim.MaxRatio*float64(in) {
				return nil, fmt.Errorf("%w: %d bytes from %d", ErrBomb, len(out), in)
			}
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidGzip, err)
		}
	}
}
