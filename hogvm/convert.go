package hogvm

import (
	"math"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/hoggo/hogvm/internal/jsnum"
)

// Truthy is JavaScript truthiness: null, false, 0, NaN and "" are false,
// everything else (including empty arrays and dicts) is true.
func Truthy(v Value) bool {
	switch v.kind {
	case KindNull:
		return false
	case KindBool:
		return v.f() != 0
	case KindNumber:
		return v.f() != 0 && v.f() == v.f()
	case KindString:
		return v.s() != ""
	}
	return true
}

// toNumber is JavaScript Number(v).
func toNumber(v Value) float64 {
	switch v.kind {
	case KindNull:
		return 0
	case KindBool, KindNumber:
		return v.f()
	case KindString:
		return jsnum.Parse(v.s())
	case KindArray:
		return jsnum.Parse(jsString(v))
	}
	return math.NaN()
}

// scalarString renders null, booleans and numbers, which JavaScript's String
// and the Hog printer write alike; ok is false for every other kind.
func scalarString(v Value) (s string, ok bool) {
	switch v.kind {
	case KindNull:
		return "null", true
	case KindBool:
		if v.f() != 0 {
			return "true", true
		}
		return "false", true
	case KindNumber:
		return jsnum.Format(v.f()), true
	}
	return "", false
}

// jsString is JavaScript String(v) (not the Hog printer).
func jsString(v Value) string {
	if s, ok := scalarString(v); ok {
		return s
	}
	switch v.kind {
	case KindString:
		return v.s()
	case KindArray:
		return joinArray(v.AsArray(), ",", map[*Array]bool{})
	case KindDict:
		return "[object Map]"
	}
	return "[object Object]"
}

// joinArray is Array.prototype.join: null elements become "", cycles become "".
func joinArray(a *Array, sep string, seen map[*Array]bool) string {
	if seen[a] {
		return ""
	}
	seen[a] = true
	defer delete(seen, a)
	var sb strings.Builder
	for i, it := range a.Items {
		if i > 0 {
			sb.WriteString(sep)
		}
		switch it.kind {
		case KindNull:
		case KindArray:
			sb.WriteString(joinArray(it.AsArray(), ",", seen))
		default:
			sb.WriteString(jsString(it))
		}
	}
	return sb.String()
}

// toPrimitive converts objects the way JavaScript's relational operators do.
func toPrimitive(v Value) Value {
	switch v.kind {
	case KindNull, KindBool, KindNumber, KindString:
		return v
	}
	return String(jsString(v))
}

// temporalSeconds returns epoch seconds of a datetime or date (UTC midnight).
func temporalSeconds(v Value) (float64, bool) {
	switch v.kind {
	case KindDateTime:
		return v.f(), true
	case KindDate:
		d := v.AsDate()
		return dateToSeconds(d.Year, d.Month, d.Day, "UTC"), true
	}
	return 0, false
}

// unifyComparisonTypes applies the reference's coercions before comparing.
func unifyComparisonTypes(l, r Value) (Value, Value) {
	if l.kind <= KindString && r.kind <= KindString {
		if l.kind == r.kind {
			return l, r
		}
	} else {
		ls, lok := temporalSeconds(l)
		rs, rok := temporalSeconds(r)
		if lok && rok {
			return Number(ls), Number(rs)
		}
		if lok && r.kind == KindString {
			if s, ok := dateStringToSeconds(r.s()); ok {
				return Number(ls), Number(s)
			}
		}
		if rok && l.kind == KindString {
			if s, ok := dateStringToSeconds(l.s()); ok {
				return Number(s), Number(rs)
			}
		}
	}
	switch {
	case l.kind == KindNumber && r.kind == KindString:
		return l, Number(jsnum.Parse(r.s()))
	case l.kind == KindString && r.kind == KindNumber:
		return Number(jsnum.Parse(l.s())), r
	case l.kind == KindBool && r.kind == KindString:
		return l, Bool(r.s() == "true")
	case l.kind == KindString && r.kind == KindBool:
		return Bool(l.s() == "true"), r
	case l.kind == KindBool && r.kind == KindNumber:
		return Number(l.f()), r
	case l.kind == KindNumber && r.kind == KindBool:
		return l, Number(r.f())
	}
	return l, r
}

// compareOp identifies a relational operator.
type compareOp uint8

const (
	opLT compareOp = iota
	opLTE
	opGT
	opGTE
)

// jsCompare is JavaScript's abstract relational comparison for <, <=, >, >=.
func jsCompare(l, r Value, op compareOp) bool {
	if l.kind == KindNumber && r.kind == KindNumber {
		switch op {
		case opLT:
			return l.f() < r.f()
		case opLTE:
			return l.f() <= r.f()
		case opGT:
			return l.f() > r.f()
		default:
			return l.f() >= r.f()
		}
	}
	lp, rp := toPrimitive(l), toPrimitive(r)
	if lp.kind == KindString && rp.kind == KindString {
		c := compareUTF16(lp.s(), rp.s())
		switch op {
		case opLT:
			return c < 0
		case opLTE:
			return c <= 0
		case opGT:
			return c > 0
		default:
			return c >= 0
		}
	}
	return jsCompare(Number(toNumber(lp)), Number(toNumber(rp)), op)
}

// compareUTF16 orders strings by UTF-16 code units, as JavaScript does.
func compareUTF16(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			return cmpUnits(ra, rb)
		}
		a, b = a[na:], b[nb:]
	}
	switch {
	case a == "" && b == "":
		return 0
	case a == "":
		return -1
	}
	return 1
}

func cmpUnits(a, b rune) int {
	ua, ub := firstUnit(a), firstUnit(b)
	if ua != ub {
		if ua < ub {
			return -1
		}
		return 1
	}
	if a < b {
		return -1
	}
	return 1
}

func firstUnit(r rune) rune {
	if r >= 0x10000 {
		h, _ := utf16.EncodeRune(r)
		return h
	}
	return r
}

// toUnits converts s to UTF-16 code units.
func toUnits(s string) []uint16 { return utf16.Encode([]rune(s)) }

// fromUnits converts UTF-16 code units back to a string (lone surrogates become U+FFFD).
func fromUnits(u []uint16) string { return string(utf16.Decode(u)) }

// sliceUTF16 is String.prototype.slice(start, end) with already-clamped indexes.
func sliceUTF16(s string, start, end int) string {
	if isASCII(s) {
		return s[start:end]
	}
	return fromUnits(toUnits(s)[start:end])
}
