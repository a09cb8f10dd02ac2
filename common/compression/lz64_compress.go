package compression

import (
	"strings"
	"unicode/utf16"
)

// CompressLZ64 encodes s as lz-string's compressToBase64 does, byte for
// byte (posthog-js's "lz64" request encoding). Hoggo only receives lz64, so
// this exists for tests, benchmarks and dev tooling that must produce what
// old SDKs send. Invalid UTF-8 in s is encoded as U+FFFD.
func CompressLZ64(s string) string {
	units := utf16.Encode([]rune(s))
	bw := lzBitWriter{}
	charCode := map[uint16]int{}
	toCreate := map[uint16]bool{}
	pairs := map[uint64]int{} // (code of w)<<16 | next unit → code of w+unit
	enlargeIn, dictSize, numBits := 2, 3, 2

	hasW, wIsChar := false, false
	var wChar uint16
	wCode := 0
	grow := func() {
		enlargeIn--
		if enlargeIn == 0 {
			enlargeIn = 1 << numBits
			numBits++
		}
	}
	emitW := func() {
		if wIsChar && toCreate[wChar] {
			if wChar < 256 {
				bw.write(0, numBits)
				bw.write(int(wChar), 8)
			} else {
				bw.write(1, numBits)
				bw.write(int(wChar), 16)
			}
			grow()
			delete(toCreate, wChar)
		} else {
			bw.write(wCode, numBits)
		}
		grow()
	}
	for _, c := range units {
		if _, ok := charCode[c]; !ok {
			charCode[c] = dictSize
			dictSize++
			toCreate[c] = true
		}
		if !hasW {
			hasW, wIsChar, wChar, wCode = true, true, c, charCode[c]
			continue
		}
		key := uint64(wCode)<<16 | uint64(c)
		if code, ok := pairs[key]; ok {
			wIsChar, wCode = false, code
			continue
		}
		emitW()
		pairs[key] = dictSize
		dictSize++
		wIsChar, wChar, wCode = true, c, charCode[c]
	}
	if hasW {
		emitW()
	}
	bw.write(2, numBits)
	bw.flush()

	out := bw.sb.String()
	if pad := len(out) % 4; pad != 0 {
		out += strings.Repeat("=", 4-pad)
	}
	return out
}

// lzBitWriter packs bits six to a character, first bit highest.
type lzBitWriter struct {
	sb       strings.Builder
	val      int
	position int
}

// write appends the n low bits of v, least significant first.
func (w *lzBitWriter) write(v, n int) {
	for range n {
		w.val = w.val<<1 | v&1
		if w.position == 5 {
			w.position = 0
			w.sb.WriteByte(lzAlphabet[w.val])
			w.val = 0
		} else {
			w.position++
		}
		v >>= 1
	}
}

func (w *lzBitWriter) flush() {
	for {
		w.val <<= 1
		if w.position == 5 {
			w.sb.WriteByte(lzAlphabet[w.val])
			return
		}
		w.position++
	}
}
