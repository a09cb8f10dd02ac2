package hogvm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hoggo/hogvm/internal/jsnum"
)

// ParseJSON decodes JSON into Hog values the way the reference does
// (JSON.parse then objects to dicts): object keys follow JavaScript property
// order (integer-like keys first, ascending), numbers are float64.
func ParseJSON(data []byte) (Value, error) {
	return parseJSON(data, false)
}

func parseJSON(data []byte, revive bool) (Value, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec, revive, 0)
	if err != nil {
		return Null, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return Null, errors.New("Unexpected non-whitespace character after JSON")
	}
	return v, nil
}

const maxJSONDepth = 10000

func decodeValue(dec *json.Decoder, revive bool, depth int) (Value, error) {
	if depth > maxJSONDepth {
		return Null, errors.New("JSON nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return Null, errors.New("Unexpected end of JSON input")
		}
		return Null, err
	}
	switch t := tok.(type) {
	case nil:
		return Null, nil
	case bool:
		return Bool(t), nil
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil {
			var ne *strconv.NumError
			if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
				return Number(f), nil
			}
			return Null, err
		}
		return Number(f), nil
	case string:
		return String(t), nil
	case json.Delim:
		if t == '[' {
			items := []Value{}
			for dec.More() {
				v, err := decodeValue(dec, revive, depth+1)
				if err != nil {
					return Null, err
				}
				items = append(items, v)
			}
			if _, err := dec.Token(); err != nil {
				return Null, err
			}
			return NewArray(items), nil
		}
		d := NewDict(4)
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return Null, err
			}
			k, _ := kt.(string)
			v, err := decodeValue(dec, revive, depth+1)
			if err != nil {
				return Null, err
			}
			d.Set(String(k), v)
		}
		if _, err := dec.Token(); err != nil {
			return Null, err
		}
		jsOrder(d)
		if revive {
			return reviveMarkers(d), nil
		}
		return NewDictValue(d), nil
	}
	return Null, fmt.Errorf("unexpected JSON token %v", tok)
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
	for _, k := range d.keys {
		if _, ok := arrayIndexKey(k.str); ok && k.kind == KindString {
			numeric++
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
	for i, k := range d.keys {
		if n, ok := arrayIndexKey(k.str); ok && k.kind == KindString {
			nums = append(nums, kv{n, k, d.vals[i]})
		} else {
			rest = append(rest, kv{0, k, d.vals[i]})
		}
	}
	for i := 1; i < len(nums); i++ {
		for j := i; j > 0 && nums[j].n < nums[j-1].n; j-- {
			nums[j], nums[j-1] = nums[j-1], nums[j]
		}
	}
	d.keys, d.vals, d.index, d.ci = d.keys[:0], d.vals[:0], nil, costIndex{ok: true}
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
	w := jsonWriter{sb: &sb, indent: indent}
	w.value(v, 0, true)
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

// value writes v; inArray controls whether unrepresentable values become null.
func (w *jsonWriter) value(v Value, depth int, top bool) {
	sb := w.sb
	switch v.kind {
	case KindNull:
		sb.WriteString("null")
	case KindBool:
		if v.num != 0 {
			sb.WriteString("true")
		} else {
			sb.WriteString("false")
		}
	case KindNumber:
		if math.IsInf(v.num, 0) || v.num != v.num {
			sb.WriteString("null")
		} else {
			sb.WriteString(jsnum.Format(v.num))
		}
	case KindString:
		writeJSONString(sb, v.str)
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
			w.value(it, depth+1, false)
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
		// keys become property names, in JavaScript property order
		obj := NewDict(d.Len())
		for i, k := range d.keys {
			obj.Set(String(jsKeyString(k)), d.vals[i])
		}
		jsOrder(obj)
		w.object(obj.keys, obj.vals, depth)
		w.marked = w.marked[:len(w.marked)-1]
	case KindDateTime:
		w.object([]Value{String("__hogDateTime__"), String("dt"), String("zone")}, []Value{True, Number(v.num), String(v.str)}, depth)
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

func (w *jsonWriter) object(keys, vals []Value, depth int) {
	sb := w.sb
	sb.WriteByte('{')
	for i := range keys {
		if i > 0 {
			sb.WriteByte(',')
		}
		w.newline(depth + 1)
		writeJSONString(sb, keys[i].str)
		sb.WriteByte(':')
		if w.indent > 0 {
			sb.WriteByte(' ')
		}
		w.value(vals[i], depth+1, false)
	}
	if len(keys) > 0 {
		w.newline(depth)
	}
	sb.WriteByte('}')
}

func writeJSONString(sb *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	sb.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
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
			default:
				sb.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			sb.WriteString(`\ufffd`)
		} else {
			sb.WriteString(s[i : i+size])
		}
		i += size
	}
	sb.WriteByte('"')
}
