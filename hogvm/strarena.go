package hogvm

import "unsafe"

// strArena hands out the short strings a run builds (concat keys such as
// "$geoip_city_name") from shared chunks instead of one allocation each.
// Bytes are only ever appended past what was handed out, so every string
// stays immutable; a chunk lives as long as any string cut from it.
type strArena struct {
	buf []byte
}

const (
	strArenaChunk = 2048
	strArenaMax   = 128 // longer strings get their own allocation
)

// concat joins the strings (and skips the nulls) of a, whose lengths sum to n.
func (s *strArena) concat(a []Value, n int) string {
	if n == 0 {
		return ""
	}
	if n > strArenaMax {
		b := make([]byte, 0, n)
		for _, v := range a {
			b = append(b, v.s()...)
		}
		return unsafe.String(unsafe.SliceData(b), n)
	}
	if cap(s.buf)-len(s.buf) < n {
		s.buf = make([]byte, 0, strArenaChunk)
	}
	start := len(s.buf)
	for _, v := range a {
		s.buf = append(s.buf, v.s()...)
	}
	return unsafe.String(&s.buf[start], n)
}
