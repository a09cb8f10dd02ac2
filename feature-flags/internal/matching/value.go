package matching

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// String renders a property value the way the reference does before string
// comparisons: strings as they are, everything else as compact JSON with
// serde_json's number formatting (integers as written, floats in shortest
// round-trip form with a ".0" on integral values).
func String(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "null"
	case bool:
		if x {
			return "true"
		}
		return "false"
	case json.Number:
		return numberString(string(x))
	case float64:
		return FormatFloat(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	default:
		b, err := json.Marshal(normalize(v))
		if err != nil {
			return ""
		}
		return string(b)
	}
}

// normalize rewrites json.Number leaves so nested values marshal with the
// reference's number formatting.
func normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		return json.RawMessage(numberString(string(x)))
	case float64:
		return json.RawMessage(FormatFloat(x))
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	}
	return v
}

// numberString formats a JSON number literal as serde_json would re-serialise
// it: integer literals that fit 64 bits stay as written, anything else is a
// float.
func numberString(s string) string {
	if !strings.ContainsAny(s, ".eE") {
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			return s
		}
		if _, err := strconv.ParseUint(s, 10, 64); err == nil {
			return s
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !isRange(err) {
		return s
	}
	return FormatFloat(f)
}

func isRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// FormatFloat formats f like Rust's ryu (used by serde_json): the shortest
// digits that round-trip, positional for decimal exponents in [-5, 16) and
// scientific ("1e20", "1.5e-7") outside, with ".0" on integral values.
func FormatFloat(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "null"
	}
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	neg := false
	if e[0] == '-' {
		neg = true
		e = e[1:]
	}
	mant, expS, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expS)
	digits := strings.Replace(mant, ".", "", 1)
	n := len(digits)
	kk := exp + 1 // position of the decimal point relative to the digits
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	switch {
	case kk >= n && kk <= 16:
		b.WriteString(digits)
		b.WriteString(strings.Repeat("0", kk-n))
		b.WriteString(".0")
	case kk > 0 && kk <= 16:
		b.WriteString(digits[:kk])
		b.WriteByte('.')
		b.WriteString(digits[kk:])
	case kk > -5 && kk <= 0:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -kk))
		b.WriteString(digits)
	default:
		b.WriteByte(digits[0])
		if n > 1 {
			b.WriteByte('.')
			b.WriteString(digits[1:])
		}
		b.WriteByte('e')
		b.WriteString(strconv.Itoa(kk - 1))
	}
	return b.String()
}

// Float converts a property value to float64 as the reference does: JSON
// numbers directly, anything else through its string form with Rust's float
// grammar (no hex, no underscores, "inf"/"nan" accepted).
func Float(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		return f, err == nil || isRange(err)
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	}
	return parseRustFloat(String(v))
}

func parseRustFloat(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c == '.', c == '-', c == '+', c == 'e', c == 'E':
		case c == 'i' || c == 'I' || c == 'n' || c == 'N' || c == 'f' || c == 'F' || c == 't' || c == 'T' || c == 'y' || c == 'Y' || c == 'a' || c == 'A':
			// inf, infinity, nan
		default:
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !isRange(err) {
		return 0, false
	}
	return f, true
}
