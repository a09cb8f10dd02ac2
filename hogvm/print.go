package hogvm

import (
	"strings"

	"github.com/hoggo/hogvm/internal/jsnum"
)

// Print renders v the way the reference printer does: strings quoted, dicts as
// {'k': v}, tuples as (a, b), callables as fn<name(n)>.
func Print(v Value) string {
	if s, ok := scalarString(v); ok {
		return s
	}
	p := &printer{}
	p.sb = &p.b
	p.b.Grow(valueCost(v)) // the memory cost is close to the printed length
	p.value(v)
	return p.b.String()
}

// PrintString renders v for print() and toString(): strings raw, everything else via Print.
func PrintString(v Value) string {
	if v.kind == KindString {
		return v.s()
	}
	return Print(v)
}

type printer struct {
	b      strings.Builder
	sb     *strings.Builder
	buf    [8]any
	marked []any
}

func (p *printer) enter(ref any) bool {
	if p.marked == nil {
		p.marked = p.buf[:0]
	}
	for _, m := range p.marked {
		if m == ref {
			return false
		}
	}
	p.marked = append(p.marked, ref)
	return true
}

func (p *printer) leave() { p.marked = p.marked[:len(p.marked)-1] }

func (p *printer) value(v Value) {
	sb := p.sb
	if s, ok := scalarString(v); ok {
		sb.WriteString(s)
		return
	}
	switch v.kind {
	case KindString:
		writeEscaped(sb, v.s(), '\'')
	case KindArray:
		a := v.AsArray()
		if !p.enter(a) {
			sb.WriteString("null")
			return
		}
		switch {
		case a.Tuple && len(a.Items) < 2:
			sb.WriteString("tuple(")
		case a.Tuple:
			sb.WriteByte('(')
		default:
			sb.WriteByte('[')
		}
		for i, it := range a.Items {
			if i > 0 {
				sb.WriteString(", ")
			}
			p.value(it)
		}
		if a.Tuple {
			sb.WriteByte(')')
		} else {
			sb.WriteByte(']')
		}
		p.leave()
	case KindDict:
		d := v.AsDict()
		if !p.enter(d) {
			sb.WriteString("null")
			return
		}
		sb.WriteByte('{')
		for i := range d.entries {
			if i > 0 {
				sb.WriteString(", ")
			}
			p.value(d.entries[i].key)
			sb.WriteString(": ")
			p.value(d.entries[i].val)
		}
		sb.WriteByte('}')
		p.leave()
	case KindDateTime:
		s := jsnum.Format(v.f())
		sb.WriteString("DateTime(")
		sb.WriteString(s)
		if !strings.Contains(s, ".") {
			sb.WriteString(".0")
		}
		sb.WriteString(", ")
		writeEscaped(sb, v.s(), '\'')
		sb.WriteByte(')')
	case KindDate:
		d := v.AsDate()
		if d.Year == invalidYear {
			sb.WriteString("Date(NaN, NaN, NaN)")
			return
		}
		sb.WriteString("Date(")
		sb.WriteString(jsnum.Format(float64(d.Year)))
		sb.WriteString(", ")
		sb.WriteString(jsnum.Format(float64(d.Month)))
		sb.WriteString(", ")
		sb.WriteString(jsnum.Format(float64(d.Day)))
		sb.WriteByte(')')
	case KindError:
		e := v.AsError()
		sb.WriteString(e.Type)
		sb.WriteByte('(')
		writeEscaped(sb, e.Message, '\'')
		if Truthy(e.Payload) {
			sb.WriteString(", ")
			p.value(e.Payload)
		}
		sb.WriteByte(')')
	case KindClosure:
		p.callable(v.closure().Callable)
	case KindCallable:
		p.callable(v.callable())
	}
}

func (p *printer) callable(c *Callable) {
	p.sb.WriteString("fn<")
	name := c.Name
	if name == "" {
		name = "lambda"
	}
	p.sb.WriteString(escapeIdentifier(name))
	p.sb.WriteByte('(')
	p.sb.WriteString(jsnum.Format(float64(c.ArgCount)))
	p.sb.WriteString(")>")
}

func writeEscaped(sb *strings.Builder, s string, quote byte) {
	sb.WriteByte(quote)
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var esc string
		switch c {
		case '\b':
			esc = `\b`
		case '\f':
			esc = `\f`
		case '\r':
			esc = `\r`
		case '\n':
			esc = `\n`
		case '\t':
			esc = `\t`
		case 0:
			esc = `\0`
		case '\v':
			esc = `\v`
		case '\\':
			esc = `\\`
		case quote:
			if quote == '\'' {
				esc = `\'`
			} else {
				esc = "\\`"
			}
		default:
			continue
		}
		sb.WriteString(s[start:i])
		sb.WriteString(esc)
		start = i + 1
	}
	sb.WriteString(s[start:])
	sb.WriteByte(quote)
}

// EscapeString quotes s as a Hog string literal.
func EscapeString(s string) string {
	var sb strings.Builder
	writeEscaped(&sb, s, '\'')
	return sb.String()
}

func escapeIdentifier(s string) string {
	ok := s != ""
	for i := 0; i < len(s) && ok; i++ {
		c := s[i]
		alpha := c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !(alpha || (i > 0 && c >= '0' && c <= '9')) {
			ok = false
		}
	}
	if ok {
		return s
	}
	var sb strings.Builder
	writeEscaped(&sb, s, '`')
	return sb.String()
}
