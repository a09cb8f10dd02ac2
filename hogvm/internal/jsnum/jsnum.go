// Package jsnum implements the JavaScript number conversions Hog inherits from
// the TypeScript VM: Number::toString, Number(string), parseInt and parseFloat.
package jsnum

import (
	"math"
	"strconv"
	"strings"
)

// Format renders f like JavaScript's Number.prototype.toString().
func Format(f float64) string {
	switch {
	case f != f:
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e21 {
		if math.Abs(f) < 1<<53 {
			return strconv.FormatInt(int64(f), 10)
		}
	}
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, 64)
	neg := false
	if e[0] == '-' {
		neg = true
		e = e[1:]
	}
	// e is d[.ddd]e±xx
	epos := 0
	for i, c := range e {
		if c == 'e' {
			epos = i
			break
		}
	}
	mant := e[:epos]
	exp, _ := strconv.Atoi(string(e[epos+1:]))
	digits := make([]byte, 0, len(mant))
	for _, c := range mant {
		if c != '.' {
			digits = append(digits, c)
		}
	}
	k := len(digits)
	n := exp + 1
	var sb strings.Builder
	if neg {
		sb.WriteByte('-')
	}
	switch {
	case k <= n && n <= 21:
		sb.Write(digits)
		for i := 0; i < n-k; i++ {
			sb.WriteByte('0')
		}
	case 0 < n && n <= 21:
		sb.Write(digits[:n])
		sb.WriteByte('.')
		sb.Write(digits[n:])
	case -6 < n && n <= 0:
		sb.WriteString("0.")
		for i := 0; i < -n; i++ {
			sb.WriteByte('0')
		}
		sb.Write(digits)
	default:
		sb.WriteByte(digits[0])
		if k > 1 {
			sb.WriteByte('.')
			sb.Write(digits[1:])
		}
		sb.WriteByte('e')
		if n-1 >= 0 {
			sb.WriteByte('+')
		}
		sb.WriteString(strconv.Itoa(n - 1))
	}
	return sb.String()
}

// IsSpace reports whether r is JavaScript white space or a line terminator.
func IsSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}

// Trim removes JavaScript white space from both ends.
func Trim(s string) string { return strings.TrimFunc(s, IsSpace) }

// Parse is JavaScript's Number(string).
func Parse(s string) float64 {
	s = Trim(s)
	if s == "" {
		return 0
	}
	if len(s) > 2 && s[0] == '0' {
		base := 0
		switch s[1] {
		case 'x', 'X':
			base = 16
		case 'o', 'O':
			base = 8
		case 'b', 'B':
			base = 2
		}
		if base != 0 {
			return parseRadixDigits(s[2:], base, true)
		}
	}
	n := decimalPrefix(s)
	if n != len(s) {
		return math.NaN()
	}
	return parseDecimal(s)
}

func parseRadixDigits(s string, base int, strict bool) float64 {
	v := 0.0
	any := false
	for i := 0; i < len(s); i++ {
		d := digitVal(s[i])
		if d >= base {
			if strict {
				return math.NaN()
			}
			break
		}
		v = v*float64(base) + float64(d)
		any = true
	}
	if !any {
		return math.NaN()
	}
	return v
}

func digitVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return 99
}

// decimalPrefix returns the length of the longest prefix of s that is a
// StrDecimalLiteral (sign, Infinity, digits, fraction, exponent); 0 if none.
func decimalPrefix(s string) int {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	if strings.HasPrefix(s[i:], "Infinity") {
		return i + 8
	}
	start := i
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		j := i + 1
		frac := 0
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
			frac++
		}
		if digits > 0 || frac > 0 {
			i = j
			digits += frac
		}
	}
	if digits == 0 {
		_ = start
		return 0
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k > j {
			i = k
		}
	}
	return i
}

func parseDecimal(s string) float64 {
	switch s {
	case "Infinity", "+Infinity":
		return math.Inf(1)
	case "-Infinity":
		return math.Inf(-1)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		// ParseFloat reports range errors with ±Inf or 0, which is what JavaScript yields too.
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f
		}
		return math.NaN()
	}
	return f
}

// ParseFloat is JavaScript's parseFloat(string).
func ParseFloat(s string) float64 {
	s = strings.TrimLeftFunc(s, IsSpace)
	n := decimalPrefix(s)
	if n == 0 {
		return math.NaN()
	}
	return parseDecimal(s[:n])
}

// ParseInt is JavaScript's parseInt(string) with radix 10 (hex with 0x).
func ParseInt(s string) float64 {
	s = strings.TrimLeftFunc(s, IsSpace)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	base := 10
	if len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		base = 16
		s = s[2:]
	}
	v := parseRadixDigits(s, base, false)
	if neg {
		return -v
	}
	return v
}

// ToInt32 is the ECMAScript ToInt32 conversion (used by bitwise-like helpers).
func ToInt32(f float64) int32 {
	if f != f || math.IsInf(f, 0) {
		return 0
	}
	return int32(int64(math.Trunc(math.Mod(f, 4294967296))))
}
