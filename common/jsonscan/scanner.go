package jsonscan

import "fmt"

// Scanner is a cursor over JSON text for hand-written decoders: they walk
// the members they care about and Skip the rest, getting raw spans that are
// safe to copy verbatim because every byte was validated.
type Scanner struct {
	Data  []byte
	Pos   int
	Depth int
	// UTF8Valid says Data is known to be valid UTF-8 (the caller checked),
	// so string scans need not decode runes.
	UTF8Valid bool
}

// Errf returns a *SyntaxError at the cursor.
func (s *Scanner) Errf(format string, args ...any) error {
	return &SyntaxError{Msg: fmt.Sprintf(format, args...), Offset: s.Pos}
}

// SkipWS moves the cursor past whitespace.
func (s *Scanner) SkipWS() { s.Pos = SkipSpace(s.Data, s.Pos) }

// Peek returns the next non-whitespace byte, or 0 at the end of input.
func (s *Scanner) Peek() byte {
	s.SkipWS()
	if s.Pos >= len(s.Data) {
		return 0
	}
	return s.Data[s.Pos]
}

// Expect consumes byte c (after whitespace).
func (s *Scanner) Expect(c byte) error {
	if s.Peek() != c {
		if s.Pos >= len(s.Data) {
			return s.Errf("unexpected end of input, expected %q", c)
		}
		return s.Errf("expected %q, found %q", c, s.Data[s.Pos])
	}
	s.Pos++
	return nil
}

// SkipValue validates and skips one JSON value, returning its raw span.
func (s *Scanner) SkipValue() ([]byte, error) {
	c := s.Peek()
	start := s.Pos
	var err error
	switch {
	case c == '{':
		err = s.SkipObject()
	case c == '[':
		err = s.SkipArray()
	case c == '"':
		_, err = s.ScanString()
	case c == '-' || (c >= '0' && c <= '9'):
		s.Pos, err = Number(s.Data, s.Pos)
	case c == 't':
		err = s.Literal("true")
	case c == 'f':
		err = s.Literal("false")
	case c == 'n':
		err = s.Literal("null")
	case c == 0 && s.Pos >= len(s.Data):
		return nil, s.Errf("unexpected end of input, expected a value")
	default:
		return nil, s.Errf("expected a value, found %q", c)
	}
	if err != nil {
		return nil, err
	}
	return s.Data[start:s.Pos:s.Pos], nil
}

// Literal consumes lit at the cursor.
func (s *Scanner) Literal(lit string) error {
	end, err := Literal(s.Data, s.Pos, lit)
	if err != nil {
		return err
	}
	s.Pos = end
	return nil
}

// Enter counts one more level of nesting and fails past MaxDepth.
func (s *Scanner) Enter() error {
	s.Depth++
	if s.Depth > MaxDepth {
		return s.Errf("recursion limit exceeded")
	}
	return nil
}

// SkipObject validates and skips an object.
func (s *Scanner) SkipObject() error {
	return s.EachMember(func([]byte, bool) error {
		_, err := s.SkipValue()
		return err
	})
}

// EachMember iterates an object's members. fn is called with the raw key
// bytes (between the quotes) and whether they contain escapes; it must
// consume the value.
func (s *Scanner) EachMember(fn func(key []byte, escaped bool) error) error {
	if err := s.Expect('{'); err != nil {
		return err
	}
	if err := s.Enter(); err != nil {
		return err
	}
	if s.Peek() == '}' {
		s.Pos++
		s.Depth--
		return nil
	}
	for {
		if s.Peek() != '"' {
			return s.Errf("expected an object key")
		}
		kstart := s.Pos + 1
		escaped, err := s.ScanString()
		if err != nil {
			return err
		}
		key := s.Data[kstart : s.Pos-1]
		if err := s.Expect(':'); err != nil {
			return err
		}
		if err := fn(key, escaped); err != nil {
			return err
		}
		switch s.Peek() {
		case ',':
			s.Pos++
		case '}':
			s.Pos++
			s.Depth--
			return nil
		default:
			return s.Errf("expected ',' or '}' in object")
		}
	}
}

// EachElement iterates an array; fn must consume one value.
func (s *Scanner) EachElement(fn func() error) error {
	if err := s.Expect('['); err != nil {
		return err
	}
	if err := s.Enter(); err != nil {
		return err
	}
	if s.Peek() == ']' {
		s.Pos++
		s.Depth--
		return nil
	}
	for {
		if err := fn(); err != nil {
			return err
		}
		switch s.Peek() {
		case ',':
			s.Pos++
		case ']':
			s.Pos++
			s.Depth--
			return nil
		default:
			return s.Errf("expected ',' or ']' in array")
		}
	}
}

// SkipArray validates and skips an array.
func (s *Scanner) SkipArray() error {
	return s.EachElement(func() error {
		_, err := s.SkipValue()
		return err
	})
}

// ScanString consumes the string at the cursor (at its opening quote) and
// reports whether it contains escape sequences.
func (s *Scanner) ScanString() (escaped bool, err error) {
	if s.Pos >= len(s.Data) || s.Data[s.Pos] != '"' {
		return false, s.Errf("expected a string")
	}
	var end int
	if s.UTF8Valid {
		end, escaped, err = stringUTF8(s.Data, s.Pos)
	} else {
		end, escaped, err = String(s.Data, s.Pos)
	}
	s.Pos = end
	if err != nil {
		return false, err
	}
	return escaped, nil
}

// ReadString consumes a string value and returns it unescaped.
func (s *Scanner) ReadString() (string, error) {
	if s.Peek() != '"' {
		return "", s.Errf("expected a string")
	}
	start := s.Pos + 1
	escaped, err := s.ScanString()
	if err != nil {
		return "", err
	}
	raw := s.Data[start : s.Pos-1]
	if !escaped {
		return string(raw), nil
	}
	return string(Unescape(nil, raw)), nil
}
