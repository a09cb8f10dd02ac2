package hogvm

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/hoggo/hogvm/internal/jsnum"
)

// ParseJSON decodes JSON into Hog values the way the reference does
// (JSON.parse then objects to dicts): object keys follow JavaScript property
// order (integer-like keys first, ascending), numbers are float64.
func ParseJSON(data []byte) (Value, error) {
	return parseJSON(string(data), false)
}

// parseJSON decodes data; strings in the result share data's memory.
func parseJSON(data string, revive bool) (Value, error) {
	p := jsonParser{data: data, revive: revive}
	p.skipSpace()
	v, err := p.value(0)
	if err != nil {
		return Null, err
	}
	p.skipSpace()
	if p.pos < len(p.data) {
		return Null, p.unexpected()
	}
	return v, nil
}

const maxJSONDepth = 10000

// jsonParser is a JSON.parse-compatible decoder producing Hog values.
type jsonParser struct {
	data   string
	pos    int
	revive bool
}

func (p *jsonParser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) unexpected() error {
	if p.pos >= len(p.data) {
		return errors.New("Unexpected end of JSON input")
	}
	return fmt.Errorf("Unexpected token '%c', \"%s\" is not valid JSON", p.data[p.pos], truncate(p.data, 30))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

func (p *jsonParser) value(depth int) (Value, error) {
	if depth > maxJSONDepth {
		return Null, errors.New("JSON nested too deeply")
	}
	if p.pos >= len(p.data) {
		return Null, p.unexpected()
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		p.pos++
		d := NewDict(2)
		p.skipSpace()
		if p.pos < len(p.data) && p.data[p.pos] == '}' {
			p.pos++
			return NewDictValue(d), nil
		}
		for {
			p.skipSpace()
			if p.pos >= len(p.data) || p.data[p.pos] != '"' {
				return Null, p.unexpected()
			}
			k, err := p.str()
			if err != nil {
				return Null, err
			}
			p.skipSpace()
			if p.pos >= len(p.data) || p.data[p.pos] != ':' {
				return Null, p.unexpected()
			}
			p.pos++
			p.skipSpace()
			v, err := p.value(depth + 1)
			if err != nil {
				return Null, err
			}
			d.Set(String(k), v)
			p.skipSpace()
			if p.pos < len(p.data) && p.data[p.pos] == ',' {
				p.pos++
				continue
			}
			if p.pos < len(p.data) && p.data[p.pos] == '}' {
				p.pos++
				break
			}
			return Null, p.unexpected()
		}
		jsOrder(d)
		if p.revive {
			return reviveMarkers(d), nil
		}
		return NewDictValue(d), nil
	case c == '[':
		p.pos++
		items := []Value{}
		p.skipSpace()
		if p.pos < len(p.data) && p.data[p.pos] == ']' {
			p.pos++
			return NewArray(items), nil
		}
		for {
			p.skipSpace()
			v, err := p.value(depth + 1)
			if err != nil {
				return Null, err
			}
			items = append(items, v)
			p.skipSpace()
			if p.pos < len(p.data) && p.data[p.pos] == ',' {
				p.pos++
				continue
			}
			if p.pos < len(p.data) && p.data[p.pos] == ']' {
				p.pos++
				return NewArray(items), nil
			}
			return Null, p.unexpected()
		}
	case c == '"':
		s, err := p.str()
		return String(s), err
	case c == 't':
		return p.literal("true", True)
	case c == 'f':
		return p.literal("false", False)
	case c == 'n':
		return p.literal("null", Null)
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	return Null, p.unexpected()
}

func (p *jsonParser) literal(word string, v Value) (Value, error) {
	if len(p.data)-p.pos >= len(word) && p.data[p.pos:p.pos+len(word)] == word {
		p.pos += len(word)
		return v, nil
	}
	return Null, p.unexpected()
}

func (p *jsonParser) number() (Value, error) {
	start := p.pos
	if p.data[p.pos] == '-' {
		p.pos++
	}
	digits := func() int {
		n := 0
		for p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	intStart := p.pos
	if n := digits(); n == 0 || (n > 1 && p.data[intStart] == '0') {
		p.pos = intStart
		return Null, p.unexpected()
	}
	if p.pos < len(p.data) && p.data[p.pos] == '.' {
		p.pos++
		if digits() == 0 {
			return Null, p.unexpected()
		}
	}
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.data) && (p.data[p.pos] == '+' || p.data[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return Null, p.unexpected()
		}
	}
	f, err := strconv.ParseFloat(p.data[start:p.pos], 64)
	if err != nil {
		var ne *strconv.NumError
		if !errors.As(err, &ne) || ne.Err != strconv.ErrRange {
			return Null, err
		}
	}
	return Number(f), nil
}

// str decodes a JSON string starting at the opening quote.
func (p *jsonParser) str() (string, error) {
	p.pos++
	start := p.pos
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		if c == '"' {
			s := p.data[start:p.pos]
			p.pos++
			return s, nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		p.pos++
	}
	var sb strings.Builder
	sb.WriteString(p.data[start:p.pos])
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			return sb.String(), nil
		case c < 0x20:
			return "", fmt.Errorf("Bad control character in string literal in JSON at position %d", p.pos)
		case c != '\\':
			sb.WriteByte(c)
			p.pos++
			continue
		}
		p.pos++
		if p.pos >= len(p.data) {
			break
		}
		e := p.data[p.pos]
		p.pos++
		switch e {
		case '"', '\\', '/':
			sb.WriteByte(e)
		case 'b':
			sb.WriteByte('\b')
		case 'f':
			sb.WriteByte('\f')
		case 'n':
			sb.WriteByte('\n')
		case 'r':
			sb.WriteByte('\r')
		case 't':
			sb.WriteByte('\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", fmt.Errorf("Bad Unicode escape in JSON at position %d", p.pos)
			}
			if utf16.IsSurrogate(r) && p.pos+1 < len(p.data) && p.data[p.pos] == '\\' && p.data[p.pos+1] == 'u' {
				save := p.pos
				p.pos += 2
				if r2, ok := p.hex4(); ok {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						sb.WriteRune(dec)
						continue
					}
				}
				p.pos = save
			}
			sb.WriteRune(r)
		default:
			return "", fmt.Errorf("Bad escaped character in JSON at position %d", p.pos-1)
		}
	}
	return "", errors.New("Unterminated string in JSON")
}

func (p *jsonParser) hex4() (rune, bool) {
	if p.pos+4 > len(p.data) {
		return 0, false
	}
	n, err := strconv.ParseUint(p.data[p.pos:p.pos+4], 16, 32)
	if err != nil {
		return 0, false
	}
	p.pos += 4
	return rune(n), true
}

// arrayIndexKey reports whether k is a canonical array index ("0", "17", not "01").
func arrayIndexKey(k string) (uint64, bool) {
	if k == "" || len(k) > 10 || (len(k) > 1 && k[0] == '0') {
		return 0, false
	}
	n, err := strconv.ParseUint(k, 10, 64)
	if err != nil || n >= math.MaxUint32 {
		return 0, false
	}
	return n, true
}

// jsOrder reorders a dict built from an object into JavaScript property order.
func jsOrder(d *Dict) {
	numeric := 0
	for i := range d.entries {
		k := d.entries[i].key
		if k.kind == KindString && k.s() != "" && k.s()[0] >= '0' && k.s()[0] <= '9' {
			if _, ok := arrayIndexKey(k.s()); ok {
				numeric++
			}
		}
	}
	if numeric == 0 {
		return
	}
	type kv struct {
		n    uint64
		k, v Value
	}
	var nums []kv
	var rest []kv
	for i := range d.entries {
		k := d.entries[i].key
		if n, ok := arrayIndexKey(k.s()); ok && k.kind == KindString {
			nums = append(nums, kv{n, k, d.entries[i].val})
		} else {
			rest = append(rest, kv{0, k, d.entries[i].val})
		}
	}
	for i := 1; i < len(nums); i++ {
		for j := i; j > 0 && nums[j].n < nums[j-1].n; j-- {
			nums[j], nums[j-1] = nums[j-1], nums[j]
		}
	}
	d.entries, d.index, d.ci = d.entries[:0], nil, costIndex{ok: true}
	for _, e := range append(nums, rest...) {
		d.Set(e.k, e.v)
	}
}

func reviveMarkers(d *Dict) Value {
	if v, ok := d.GetString("__hogDateTime__"); ok && Truthy(v) {
		dt, _ := d.GetString("dt")
		zone, _ := d.GetString("zone")
		z := jsString(zone)
		if !Truthy(zone) {
			z = "UTC"
		}
		return NewDateTime(toNumber(dt), z)
	}
	if v, ok := d.GetString("__hogDate__"); ok && Truthy(v) {
		y, _ := d.GetString("year")
		mo, _ := d.GetString("month")
		da, _ := d.GetString("day")
		return NewDate(int(toNumber(y)), int(toNumber(mo)), int(toNumber(da)))
	}
	if v, ok := d.GetString("__hogError__"); ok && Truthy(v) {
		t, _ := d.GetString("type")
		msg, _ := d.GetString("message")
		p, _ := d.GetString("payload")
		return newHogError(t, msg, p)
	}
	return NewDictValue(d)
}

// newHogError mirrors newHogError of the reference: falsy type/message get defaults.
func newHogError(typ, message, payload Value) Value {
	t := "Error"
	if Truthy(typ) {
		t = jsString(typ)
	}
	msg := "An error occurred"
	if Truthy(message) {
		msg = jsString(message)
	}
	return NewError(t, msg, payload)
}

// jsonStringify is JSON.stringify of the reference's converted value.
func jsonStringify(v Value, indent int) string {
	var sb strings.Builder
	sb.Grow(valueCost(v))
	w := jsonWriter{sb: &sb, indent: indent}
	w.value(v, 0)
	return sb.String()
}

type jsonWriter struct {
	sb     *strings.Builder
	indent int
	marked []any
	state  bool // VMState encoding: closures as objects, error payloads kept
}

func (w *jsonWriter) newline(depth int) {
	if w.indent > 0 {
		w.sb.WriteByte('\n')
		w.sb.WriteString(strings.Repeat(" ", w.indent*depth))
	}
}

func (w *jsonWriter) seen(ref any) bool {
	for _, m := range w.marked {
		if m == ref {
			return true
		}
	}
	return false
}

// value writes v at the given nesting depth.
func (w *jsonWriter) value(v Value, depth int) {
	sb := w.sb
	switch v.kind {
	case KindNull:
		sb.WriteString("null")
	case KindBool:
		if v.f() != 0 {
			sb.WriteString("true")
		} else {
			sb.WriteString("false")
		}
	case KindNumber:
		if math.IsInf(v.f(), 0) || v.f() != v.f() {
			sb.WriteString("null")
		} else {
			sb.WriteString(jsnum.Format(v.f()))
		}
	case KindString:
		writeJSONString(sb, v.s())
	case KindArray:
		a := v.AsArray()
		if w.seen(a) {
			sb.WriteString("null")
			return
		}
		w.marked = append(w.marked, a)
		sb.WriteByte('[')
		for i, it := range a.Items {
			if i > 0 {
				sb.WriteByte(',')
			}
			w.newline(depth + 1)
			w.value(it, depth+1)
		}
		if len(a.Items) > 0 {
			w.newline(depth)
		}
		sb.WriteByte(']')
		w.marked = w.marked[:len(w.marked)-1]
	case KindDict:
		d := v.AsDict()
		if w.seen(d) {
			sb.WriteString("null")
			return
		}
		w.marked = append(w.marked, d)
		if plainKeys(d) {
			w.entries(d.entries, depth)
		} else {
			// keys become property names, in JavaScript property order
			obj := NewDict(d.Len())
			for i := range d.entries {
				obj.Set(String(jsKeyString(d.entries[i].key)), d.entries[i].val)
			}
			jsOrder(obj)
			w.entries(obj.entries, depth)
		}
		w.marked = w.marked[:len(w.marked)-1]
	case KindDateTime:
		w.object([]Value{String("__hogDateTime__"), String("dt"), String("zone")}, []Value{True, Number(v.f()), String(v.s())}, depth)
	case KindDate:
		d := v.AsDate()
		w.object([]Value{String("__hogDate__"), String("year"), String("month"), String("day")},
			[]Value{True, Int(d.Year), Int(d.Month), Int(d.Day)}, depth)
	case KindError:
		e := v.AsError()
		keys := []Value{String("__hogError__"), String("type"), String("message")}
		vals := []Value{True, String(e.Type), String(e.Message)}
		if e.Payload.kind != KindNull {
			keys = append(keys, String("payload"))
			vals = append(vals, e.Payload)
		}
		w.object(keys, vals, depth)
	case KindClosure:
		if w.state {
			w.stateClosure(v.closure())
			return
		}
		w.callableString(v.closure().Callable)
	case KindCallable:
		if w.state {
			w.stateCallable(v.callable())
			return
		}
		w.callableString(v.callable())
	}
}

func (w *jsonWriter) callableString(c *Callable) {
	name := c.Name
	if name == "" {
		name = "lambda"
	}
	writeJSONString(w.sb, "fn<"+name+"("+strconv.Itoa(c.ArgCount)+")>")
}

// plainKeys reports whether every key is a string that JavaScript keeps in
// insertion order (not an array index).
func plainKeys(d *Dict) bool {
	for i := range d.entries {
		k := d.entries[i].key
		if k.kind != KindString {
			return false
		}
		if k.s() != "" && k.s()[0] >= '0' && k.s()[0] <= '9' {
			if _, ok := arrayIndexKey(k.s()); ok {
				return false
			}
		}
	}
	return true
}

func (w *jsonWriter) entries(entries []entry, depth int) {
	sb := w.sb
	sb.WriteByte('{')
	for i := range entries {
		if i > 0 {
			sb.WriteByte(',')
		}
		w.newline(depth + 1)
		writeJSONString(sb, entries[i].key.s())
		sb.WriteByte(':')
		if w.indent > 0 {
			sb.WriteByte(' ')
		}
		w.value(entries[i].val, depth+1)
	}
	if len(entries) > 0 {
		w.newline(depth)
	}
	sb.WriteByte('}')
}

func (w *jsonWriter) object(keys, vals []Value, depth int) {
	sb := w.sb
	sb.WriteByte('{')
	for i := range keys {
		if i > 0 {
			sb.WriteByte(',')
		}
		w.newline(depth + 1)
		writeJSONString(sb, keys[i].s())
		sb.WriteByte(':')
		if w.indent > 0 {
			sb.WriteByte(' ')
		}
		w.value(vals[i], depth+1)
	}
	if len(keys) > 0 {
		w.newline(depth)
	}
	sb.WriteByte('}')
}

func writeJSONString(sb *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	sb.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
		}
		sb.WriteString(s[start:i])
		switch {
		case c == '"':
			sb.WriteString(`\"`)
		case c == '\\':
			sb.WriteString(`\\`)
		case c == '\n':
			sb.WriteString(`\n`)
		case c == '\r':
			sb.WriteString(`\r`)
		case c == '\t':
			sb.WriteString(`\t`)
		case c == '\b':
			sb.WriteString(`\b`)
		case c == '\f':
			sb.WriteString(`\f`)
		case c < 0x20:
			sb.WriteString(`\u00`)
			sb.WriteByte(hex[c>>4])
			sb.WriteByte(hex[c&0xf])
		default: // invalid UTF-8 byte
			sb.WriteString(`\ufffd`)
		}
		i++
		start = i
	}
	sb.WriteString(s[start:])
	sb.WriteByte('"')
}
