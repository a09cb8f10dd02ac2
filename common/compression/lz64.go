package compression

import (
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrInvalidLZ64 means the input is not a valid lz-string base64 stream, or
// decodes to UTF-16 that is not valid text (lone surrogates).
var ErrInvalidLZ64 = errors.New("invalid lz64 data")

// lzAlphabet is lz-string's base64 key; a character's index is its value.
// '=' is part of it (value 64) exactly as in lz-string.
const lzAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="

// lzValue maps a byte to its alphabet index, or -1 for characters lz-string
// skips.
var lzValue = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(lzAlphabet); i++ {
		t[lzAlphabet[i]] = int8(i)
	}
	return t
}()

// DecompressLZ64 decodes text produced by lz-string's compressToBase64
// (posthog-js's "lz64") into UTF-8. It follows the reference decoder:
// characters outside the alphabet are skipped, an empty stream yields empty
// output, a truncated or corrupt stream is ErrInvalidLZ64. The output is
// capped at maxSize UTF-16 units while decoding and maxSize UTF-8 bytes
// after conversion (0 = no cap); past the cap it returns ErrTooLarge without
// materialising the rest.
func DecompressLZ64(src []byte, maxSize int) ([]byte, error) {
	if !utf8.Valid(src) {
		return nil, fmt.Errorf("%w: input is not UTF-8", ErrInvalidLZ64)
	}
	units, err := decompressLZ64Units(src, maxSize)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(units)+len(units)/4)
	for i := 0; i < len(units); i++ {
		u := units[i]
		switch {
		case u < 0x80:
			out = append(out, byte(u))
		case utf16.IsSurrogate(rune(u)):
			if u >= 0xdc00 || i+1 >= len(units) {
				return nil, fmt.Errorf("%w: lone UTF-16 surrogate", ErrInvalidLZ64)
			}
			r := utf16.DecodeRune(rune(u), rune(units[i+1]))
			if r == utf8.RuneError {
				return nil, fmt.Errorf("%w: lone UTF-16 surrogate", ErrInvalidLZ64)
			}
			out = utf8.AppendRune(out, r)
			i++
		default:
			out = utf8.AppendRune(out, rune(u))
		}
	}
	if maxSize > 0 && len(out) > maxSize {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, maxSize)
	}
	return out, nil
}

// lzBitReader reads the bit stream lz-string packs six bits per character:
// each character's bits are consumed from its most significant bit down,
// and each read value is assembled least significant bit first. Characters
// are bit-reversed into an accumulator so a read is a mask and a shift.
type lzBitReader struct {
	src []byte
	pos int    // next byte of src to consider
	acc uint64 // pending bits, next bit lowest
	n   uint   // number of pending bits
}

// rev6 maps a 6-bit character value to its bits reversed. '=' (64) has no
// bits set in the six positions read, as in lz-string.
var rev6 = func() (t [65]uint8) {
	for v := range t {
		var r uint8
		for b := 0; b < 6; b++ {
			if v&(1<<b) != 0 {
				r |= 1 << (5 - b)
			}
		}
		t[v] = r
	}
	return t
}()

func (r *lzBitReader) nextChar() (int, bool) {
	for r.pos < len(r.src) {
		v := lzValue[r.src[r.pos]]
		r.pos++
		if v >= 0 {
			return int(v), true
		}
	}
	return 0, false
}

func (r *lzBitReader) push(v int) {
	r.acc |= uint64(rev6[v]) << r.n
	r.n += 6
}

// readBits reads k bits. Like the reference decoder it fails when a read
// consumes the last bit of the last character (that decoder fetches the
// next character eagerly and stops when there is none); valid streams
// always end with padding bits, so only truncated input hits this.
func (r *lzBitReader) readBits(k uint) (uint32, bool) {
	for r.n <= k {
		v, ok := r.nextChar()
		if !ok {
			return 0, false
		}
		r.push(v)
	}
	res := uint32(r.acc & (1<<k - 1))
	r.acc >>= k
	r.n -= k
	return res, true
}

// span is a dictionary entry: a range of the output.
type span struct{ start, n uint32 }

const maxLZCodeBits = 31

// decompressLZ64Units is lz-string's decompress(…, 6 bits, base64 alphabet)
// with a cap on the output, checked on every emit. Dictionary entries are
// ranges into the output, so memory stays proportional to the cap.
func decompressLZ64Units(src []byte, limit int) ([]uint16, error) {
	if limit <= 0 || limit > 1<<32-1 {
		limit = 1<<32 - 1
	}
	r := lzBitReader{src: src}
	first, ok := r.nextChar()
	if !ok {
		return []uint16{}, nil
	}
	r.push(first)

	invalid := fmt.Errorf("%w: truncated or corrupt stream", ErrInvalidLZ64)
	tooLarge := func() error { return fmt.Errorf("%w: more than %d UTF-16 units", ErrTooLarge, limit) }

	readLiteral := func(code uint32) (uint16, error) {
		bits := uint(8)
		if code == 1 {
			bits = 16
		}
		v, ok := r.readBits(bits)
		if !ok {
			return 0, invalid
		}
		return uint16(v), nil
	}

	code, ok := r.readBits(2)
	if !ok {
		return nil, invalid
	}
	var firstUnit uint16
	switch code {
	case 0, 1:
		u, err := readLiteral(code)
		if err != nil {
			return nil, err
		}
		firstUnit = u
	case 2:
		return []uint16{}, nil
	default:
		return nil, invalid
	}

	out := make([]uint16, 0, min(len(src)*3, limit))
	dict := make([]span, 3, 256) // codes 0..2 are reserved
	out = append(out, firstUnit)
	dict = append(dict, span{0, 1})
	w := span{0, 1}
	numBits := uint(3)
	enlargeIn := uint64(4)

	for {
		if numBits > maxLZCodeBits {
			return nil, invalid
		}
		c, ok := r.readBits(numBits)
		if !ok {
			return nil, invalid
		}
		literal := false
		var lit uint16
		switch c {
		case 0, 1:
			u, err := readLiteral(c)
			if err != nil {
				return nil, err
			}
			lit, literal = u, true
			dict = append(dict, span{uint32(len(out)), 1})
			c = uint32(len(dict) - 1)
			enlargeIn--
		case 2:
			return out, nil
		}
		if enlargeIn == 0 {
			enlargeIn = 1 << numBits
			numBits++
		}

		var entry span
		switch {
		case literal:
			if len(out)+1 > limit {
				return nil, tooLarge()
			}
			out = append(out, lit)
			entry = span{uint32(len(out) - 1), 1}
		case int(c) < len(dict):
			d := dict[c]
			if len(out)+int(d.n) > limit {
				return nil, tooLarge()
			}
			out = append(out, out[d.start:d.start+d.n]...)
			entry = span{uint32(len(out)) - d.n, d.n}
		case int(c) == len(dict):
			// LZW's "code being defined" case: w plus w's first unit.
			if len(out)+int(w.n)+1 > limit {
				return nil, tooLarge()
			}
			out = append(out, out[w.start:w.start+w.n]...)
			out = append(out, out[w.start])
			entry = span{uint32(len(out)) - w.n - 1, w.n + 1}
		default:
			return nil, invalid
		}
		// w plus entry's first unit is contiguous: entry follows w directly.
		dict = append(dict, span{w.start, w.n + 1})
		enlargeIn--
		w = entry
		if enlargeIn == 0 {
			enlargeIn = 1 << numBits
			numBits++
		}
	}
}
