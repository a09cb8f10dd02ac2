package hogvm

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hoggo/hogvm/internal/jsnum"
)

// stlFunc is a native STL function. args is only valid during the call.
type stlFunc func(m *machine, args []Value) (Value, error)

type stlEntry struct {
	fn       stlFunc
	min, max int // max -1 = unbounded
}

func arg(args []Value, i int) Value {
	if i < len(args) {
		return args[i]
	}
	return Null
}

// stlFunctions is the native standard library with the contract arities of spec/stl.json.
var stlFunctions map[string]*stlEntry

func init() {
	stlFunctions = map[string]*stlEntry{
		"concat": {stlConcat, 1, -1},
		"match": {func(m *machine, a []Value) (Value, error) {
			if !Truthy(arg(a, 0)) || !Truthy(arg(a, 1)) {
				return False, nil
			}
			if a[1].kind != KindString {
				return Null, errRegexType
			}
			ok, err := m.regexMatch(a[1].s(), jsString(a[0]))
			return Bool(ok), err
		}, 2, 2},
		"extractRegex": {stlExtractRegex, 2, 2},
		"like":         {likeFn(false, false), 2, 2},
		"ilike":        {likeFn(true, false), 2, 2},
		"notLike":      {likeFn(false, true), 2, 2},
		"notILike":     {likeFn(true, true), 2, 2},
		"toString":     {func(m *machine, a []Value) (Value, error) { return String(stlToString(arg(a, 0))), nil }, 1, 2},
		"toUUID":       {func(m *machine, a []Value) (Value, error) { return String(stlToString(arg(a, 0))), nil }, 1, 1},
		"toInt":        {stlToInt, 1, 1},
		"toFloat":      {stlToFloat, 1, 1},
		"ifNull": {func(m *machine, a []Value) (Value, error) {
			if a[0].kind != KindNull {
				return a[0], nil
			}
			return a[1], nil
		}, 2, 2},
		"isNull":    {func(m *machine, a []Value) (Value, error) { return Bool(a[0].kind == KindNull), nil }, 1, 1},
		"isNotNull": {func(m *machine, a []Value) (Value, error) { return Bool(a[0].kind != KindNull), nil }, 1, 1},
		"length":    {stlLength, 1, 1},
		"empty":     {func(m *machine, a []Value) (Value, error) { return Bool(isEmpty(a[0])), nil }, 1, 1},
		"notEmpty":  {func(m *machine, a []Value) (Value, error) { return Bool(!isEmpty(a[0])), nil }, 1, 1},
		"tuple": {func(m *machine, a []Value) (Value, error) {
			return NewTuple(slices.Clone(a)), nil
		}, 0, -1},
		"lower":   {stringFn("toLowerCase", strings.ToLower), 1, 1},
		"upper":   {stringFn("toUpperCase", strings.ToUpper), 1, 1},
		"reverse": {stringFn("split", reverseUTF16), 1, 1},
		"print": {func(m *machine, a []Value) (Value, error) {
			if len(a) == 1 {
				m.opts.printLine(PrintString(a[0]))
				return Null, nil
			}
			parts := make([]string, len(a))
			for i, v := range a {
				parts[i] = PrintString(v)
			}
			m.opts.printLine(strings.Join(parts, " "))
			return Null, nil
		}, 0, -1},
		"jsonParse": {func(m *machine, a []Value) (Value, error) {
			v, err := parseJSON(jsString(a[0]), true)
			if err != nil {
				return Null, vmErrorf("%s", err.Error())
			}
			return v, nil
		}, 1, 1},
		"jsonStringify": {func(m *machine, a []Value) (Value, error) {
			indent := 0
			if i := arg(a, 1); i.kind == KindNumber && i.f() > 0 {
				indent = int(math.Min(10, math.Floor(i.f())))
			}
			return String(jsonStringify(a[0], indent)), nil
		}, 1, 2},
		"JSONHas": {stlJSONHas, 1, -1},
		"isValidJSON": {func(m *machine, a []Value) (Value, error) {
			_, ok := m.readOnlyJSON(String(jsString(a[0])))
			return Bool(ok), nil
		}, 1, 1},
		"JSONLength":          {stlJSONLength, 1, -1},
		"JSONExtractBool":     {stlJSONExtractBool, 1, -1},
		"JSONExtractInt":      {jsonExtractNum(jsnum.ParseInt), 1, -1},
		"JSONExtractFloat":    {jsonExtractNum(jsnum.ParseFloat), 1, -1},
		"JSONExtractString":   {stlJSONExtractString, 1, -1},
		"JSONExtractArrayRaw": {stlJSONExtractArrayRaw, 1, -1},
		"JSONExtract":         {stlJSONExtract, 2, -1},
		"base64Encode": {func(m *machine, a []Value) (Value, error) {
			switch a[0].kind {
			case KindString:
				return String(base64.StdEncoding.EncodeToString([]byte(a[0].s()))), nil
			case KindArray: // Buffer.from(array) takes the items as bytes
				items := a[0].AsArray().Items
				b := make([]byte, len(items))
				for i, it := range items {
					b[i] = byte(jsnum.ToInt32(toNumber(it)))
				}
				return String(base64.StdEncoding.EncodeToString(b)), nil
			}
			return Null, vmErrorf("The first argument must be of type string or an instance of Buffer, ArrayBuffer, or Array or an Array-like Object. Received %s", describeJS(a[0]))
		}, 1, 1},
		"base64Decode":    {func(m *machine, a []Value) (Value, error) { return String(lenientBase64(jsString(a[0]))), nil }, 1, 1},
		"tryBase64Decode": {func(m *machine, a []Value) (Value, error) { return String(lenientBase64(jsString(a[0]))), nil }, 1, 1},
		"encodeURLComponent": {func(m *machine, a []Value) (Value, error) {
			return String(encodeURIComponent(jsString(a[0]))), nil
		}, 1, 1},
		"decodeURLComponent": {func(m *machine, a []Value) (Value, error) {
			s, ok := decodeURIComponent(jsString(a[0]))
			if !ok {
				return Null, vmErrorf("URI malformed")
			}
			return String(s), nil
		}, 1, 1},
		"tryDecodeURLComponent": {func(m *machine, a []Value) (Value, error) {
			s, ok := decodeURIComponent(jsString(a[0]))
			if !ok {
				return Null, nil
			}
			return String(s), nil
		}, 1, 1},
		"replaceOne":              {replaceFn(false), 3, 3},
		"replaceAll":              {replaceFn(true), 3, 3},
		"position":                {positionFn(false), 2, 3},
		"positionCaseInsensitive": {positionFn(true), 2, 3},
		"trim":                    {trimFn(true, true), 1, 2},
		"trimLeft":                {trimFn(true, false), 1, 2},
		"trimRight":               {trimFn(false, true), 1, 2},
		"splitByString":           {stlSplitByString, 2, 3},
		"generateUUIDv4":          {func(m *machine, a []Value) (Value, error) { return String(uuidV4()), nil }, 0, 0},
		"randomFloat":             {func(m *machine, a []Value) (Value, error) { return Number(mrand.Float64()), nil }, 0, 0},
		"sha256Hex":               {hashFn("sha256", true), 1, 1},
		"sha256":                  {hashFn("sha256", false), 1, 2},
		"sha1Hex":                 {hashFn("sha1", true), 1, 1},
		"sha1":                    {hashFn("sha1", false), 1, 2},
		"md5Hex":                  {hashFn("md5", true), 1, 1},
		"md5":                     {hashFn("md5", false), 1, 2},
		"sha1HmacChainHex":        {hmacChainFn("sha1", true), 1, 1},
		"sha1HmacChain":           {hmacChainFn("sha1", false), 1, 2},
		"sha256HmacChainHex":      {hmacChainFn("sha256", true), 1, 1},
		"sha256HmacChain":         {hmacChainFn("sha256", false), 1, 2},
		"isIPAddressInRange":      {stlIsIPAddressInRange, 2, 2},
		"keys":                    {stlKeys, 1, 1},
		"values":                  {stlValues, 1, 1},
		"indexOf": {func(m *machine, a []Value) (Value, error) {
			if arr := a[0].AsArray(); arr != nil && a[0].kind == KindArray {
				for i, it := range arr.Items {
					if strictEquals(it, a[1]) {
						return Int(i + 1), nil
					}
				}
			}
			return Int(0), nil
		}, 2, 2},
		"arrayPushBack": {func(m *machine, a []Value) (Value, error) {
			arr := a[0].AsArray()
			if arr == nil {
				return NewArray([]Value{a[1]}), nil
			}
			items := make([]Value, len(arr.Items), len(arr.Items)+1)
			copy(items, arr.Items)
			return NewArray(append(items, a[1])), nil
		}, 2, 2},
		"arrayPushFront": {func(m *machine, a []Value) (Value, error) {
			arr := a[0].AsArray()
			if arr == nil {
				return NewArray([]Value{a[1]}), nil
			}
			return NewArray(append([]Value{a[1]}, arr.Items...)), nil
		}, 2, 2},
		"arrayPopBack": {func(m *machine, a []Value) (Value, error) {
			arr := a[0].AsArray()
			if arr == nil || len(arr.Items) == 0 {
				return NewArray([]Value{}), nil
			}
			return NewArray(slices.Clone(arr.Items[:len(arr.Items)-1])), nil
		}, 1, 1},
		"arrayPopFront": {func(m *machine, a []Value) (Value, error) {
			arr := a[0].AsArray()
			if arr == nil || len(arr.Items) == 0 {
				return NewArray([]Value{}), nil
			}
			return NewArray(slices.Clone(arr.Items[1:])), nil
		}, 1, 1},
		"arraySort":        {arraySortFn(false), 1, -1},
		"arrayReverseSort": {arraySortFn(true), 1, -1},
		"arrayReverse": {func(m *machine, a []Value) (Value, error) {
			arr := a[0].AsArray()
			if arr == nil {
				return NewArray([]Value{}), nil
			}
			items := slices.Clone(arr.Items)
			slices.Reverse(items)
			return NewArray(items), nil
		}, 1, 1},
		"arrayStringConcat": {func(m *machine, a []Value) (Value, error) {
			arr := a[0].AsArray()
			if arr == nil {
				return String(""), nil
			}
			sep := ""
			if len(a) > 1 {
				sep = jsString(a[1])
			}
			return String(joinArray(arr, sep, map[*Array]bool{})), nil
		}, 1, 2},
		"has": {func(m *machine, a []Value) (Value, error) {
			if arr := a[0].AsArray(); arr != nil {
				for _, it := range arr.Items {
					if sameValueZero(it, a[1]) {
						return True, nil
					}
				}
			}
			return False, nil
		}, 2, 2},
		"HogError": {func(m *machine, a []Value) (Value, error) {
			return newHogError(arg(a, 0), arg(a, 1), arg(a, 2)), nil
		}, 1, 3},
		"Error":               {errorFn("Error"), 0, 2},
		"RetryError":          {errorFn("RetryError"), 0, 2},
		"NotImplementedError": {errorFn("NotImplementedError"), 0, 2},
		"typeof":              {func(m *machine, a []Value) (Value, error) { return String(typeOf(a[0])), nil }, 1, 1},
		"assumeNotNull": {func(m *machine, a []Value) (Value, error) {
			if a[0].kind == KindNull {
				return Null, vmErrorf("Value is null in assumeNotNull")
			}
			return a[0], nil
		}, 1, 1},
		"coalesce": {func(m *machine, a []Value) (Value, error) {
			for _, v := range a {
				if v.kind != KindNull {
					return v, nil
				}
			}
			return Null, nil
		}, 1, -1},
		"equals":          {func(m *machine, a []Value) (Value, error) { return Bool(strictEquals(a[0], a[1])), nil }, 2, 2},
		"notEquals":       {func(m *machine, a []Value) (Value, error) { return Bool(!strictEquals(a[0], a[1])), nil }, 2, 2},
		"greater":         {cmpFn(opGT), 2, 2},
		"greaterOrEquals": {cmpFn(opGTE), 2, 2},
		"less":            {cmpFn(opLT), 2, 2},
		"lessOrEquals":    {cmpFn(opLTE), 2, 2},
		"not":             {func(m *machine, a []Value) (Value, error) { return Bool(!Truthy(a[0])), nil }, 1, 1},
		"and": {func(m *machine, a []Value) (Value, error) {
			for _, v := range a {
				if !Truthy(v) {
					return False, nil
				}
			}
			return True, nil
		}, 1, -1},
		"or": {func(m *machine, a []Value) (Value, error) {
			for _, v := range a {
				if Truthy(v) {
					return True, nil
				}
			}
			return False, nil
		}, 1, -1},
		"if": {func(m *machine, a []Value) (Value, error) {
			if Truthy(a[0]) {
				return a[1], nil
			}
			return a[2], nil
		}, 3, 3},
		"multiIf": {func(m *machine, a []Value) (Value, error) {
			last := a[len(a)-1]
			pairs := a[:len(a)-1]
			for i := 0; i < len(pairs); i += 2 {
				if Truthy(pairs[i]) {
					return arg(pairs, i+1), nil
				}
			}
			return last, nil
		}, 3, -1},
		"in": {func(m *machine, a []Value) (Value, error) {
			if arr := a[1].AsArray(); arr != nil {
				for _, it := range arr.Items {
					if sameValueZero(it, a[0]) {
						return True, nil
					}
				}
			}
			return False, nil
		}, 2, 2},
		"min2": {func(m *machine, a []Value) (Value, error) {
			if jsCompare(a[0], a[1], opLT) {
				return a[0], nil
			}
			return a[1], nil
		}, 2, 2},
		"max2": {func(m *machine, a []Value) (Value, error) {
			if jsCompare(a[0], a[1], opGT) {
				return a[0], nil
			}
			return a[1], nil
		}, 2, 2},
		"plus":  {func(m *machine, a []Value) (Value, error) { return jsPlus(a[0], a[1]), nil }, 2, 2},
		"minus": {func(m *machine, a []Value) (Value, error) { return Number(toNumber(a[0]) - toNumber(a[1])), nil }, 2, 2},
		"floor": {func(m *machine, a []Value) (Value, error) { return Number(math.Floor(toNumber(a[0]))), nil }, 1, 2},
		"round": {func(m *machine, a []Value) (Value, error) { return Number(jsRound(toNumber(a[0]))), nil }, 1, 2},
		"range": {stlRange, 1, 2},
		"startsWith": {func(m *machine, a []Value) (Value, error) {
			return Bool(a[0].kind == KindString && a[1].kind == KindString && strings.HasPrefix(a[0].s(), a[1].s())), nil
		}, 2, 2},
		"substring": {stlSubstring, 2, 3},
		"multiSearchAnyCaseInsensitive": {func(m *machine, a []Value) (Value, error) {
			arr := a[1].AsArray()
			if a[0].kind == KindNull || arr == nil {
				return Int(0), nil
			}
			hay := strings.ToLower(jsString(a[0]))
			for _, n := range arr.Items {
				if strings.Contains(hay, strings.ToLower(jsString(n))) {
					return Int(1), nil
				}
			}
			return Int(0), nil
		}, 2, 2},
	}
	registerDateFunctions(stlFunctions)
}

func stlConcat(m *machine, a []Value) (Value, error) {
	n := 0
	for _, v := range a {
		if v.kind != KindString && v.kind != KindNull {
			return String(concatSlow(a)), nil
		}
		n += len(v.s())
	}
	return String(m.strings.concat(a, n)), nil
}

func concatSlow(a []Value) string {
	var sb strings.Builder
	for _, v := range a {
		if v.kind != KindNull {
			sb.WriteString(stlToString(v))
		}
	}
	return sb.String()
}

func stlToString(v Value) string {
	switch v.kind {
	case KindString:
		return v.s()
	case KindDate:
		d := v.AsDate()
		if d.Year == invalidYear {
			return "NaN-NaN-NaN"
		}
		return fmt.Sprintf("%d-%02d-%02d", d.Year, d.Month, d.Day)
	case KindDateTime:
		return isoDateTime(v.f(), v.s())
	}
	return Print(v)
}

func stlExtractRegex(m *machine, a []Value) (Value, error) {
	if a[0].kind == KindNull || a[1].kind == KindNull {
		return String(""), nil
	}
	re, err := m.compile(jsString(a[1]))
	if err != nil {
		return Null, err
	}
	sub := re.FindStringSubmatch(jsString(a[0]))
	switch {
	case sub == nil:
		return String(""), nil
	case len(sub) > 1:
		return String(sub[1]), nil
	}
	return String(sub[0]), nil
}

func likeFn(ci, negate bool) stlFunc {
	return func(m *machine, a []Value) (Value, error) {
		return Bool(like(jsString(a[0]), jsString(a[1]), ci) != negate), nil
	}
}

func stlToInt(m *machine, a []Value) (Value, error) {
	switch a[0].kind {
	case KindDateTime:
		return Number(math.Floor(a[0].f())), nil
	case KindDate:
		d := a[0].AsDate()
		return Number(math.Floor(dateToSeconds(d.Year, d.Month, d.Day, "UTC") / 86400)), nil
	}
	f := jsnum.ParseInt(jsString(a[0]))
	if f != f {
		return Null, nil
	}
	return Number(f), nil
}

func stlToFloat(m *machine, a []Value) (Value, error) {
	switch a[0].kind {
	case KindDateTime:
		return Number(a[0].f()), nil
	case KindDate:
		d := a[0].AsDate()
		return Number(math.Floor(dateToSeconds(d.Year, d.Month, d.Day, "UTC") / 86400)), nil
	}
	f := jsnum.ParseFloat(jsString(a[0]))
	if f != f {
		return Null, nil
	}
	return Number(f), nil
}

func stlLength(m *machine, a []Value) (Value, error) {
	switch a[0].kind {
	case KindString:
		return Int(utf16Len(a[0].s())), nil
	case KindArray:
		return Int(len(a[0].AsArray().Items)), nil
	}
	return Null, nil
}

func isEmpty(v Value) bool {
	switch v.kind {
	case KindNull:
		return true
	case KindArray:
		return len(v.AsArray().Items) == 0
	case KindDict:
		return v.AsDict().Len() == 0
	case KindNumber, KindBool:
		return false
	case KindString:
		return v.s() == ""
	}
	return false
}

// stringFn applies f to a string argument; null stays null.
func stringFn(method string, f func(string) string) stlFunc {
	return func(m *machine, a []Value) (Value, error) {
		switch a[0].kind {
		case KindNull:
			return Null, nil
		case KindString:
			return String(f(a[0].s())), nil
		}
		return Null, vmErrorf("args[0].%s is not a function", method)
	}
}

func reverseUTF16(s string) string {
	if isASCII(s) {
		b := []byte(s)
		slices.Reverse(b)
		return string(b)
	}
	u := toUnits(s)
	slices.Reverse(u)
	return fromUnits(u)
}

func replaceFn(all bool) stlFunc {
	return func(m *machine, a []Value) (Value, error) {
		if a[0].kind == KindNull {
			return Null, nil
		}
		if a[0].kind != KindString {
			if all {
				return Null, vmErrorf("args[0].replaceAll is not a function")
			}
			return Null, vmErrorf("args[0].replace is not a function")
		}
		s, pat, rep := a[0].s(), jsString(a[1]), jsString(a[2])
		var sb strings.Builder
		pos := 0
		for {
			i := -1
			if pat == "" {
				if pos <= len(s) {
					i = pos
				}
			} else if j := strings.Index(s[pos:], pat); j >= 0 {
				i = pos + j
			}
			if i < 0 {
				break
			}
			sb.WriteString(s[pos:i])
			expandReplacement(&sb, rep, s, i, i+len(pat))
			pos = i + len(pat)
			if !all {
				break
			}
			if pat == "" {
				if pos >= len(s) {
					pos = len(s)
					break
				}
				_, size := utf8.DecodeRuneInString(s[pos:])
				sb.WriteString(s[pos : pos+size])
				pos += size
			}
		}
		if pos <= len(s) {
			sb.WriteString(s[pos:])
		}
		return String(sb.String()), nil
	}
}

// expandReplacement applies JavaScript's $-patterns of String.prototype.replace.
func expandReplacement(sb *strings.Builder, rep, s string, start, end int) {
	if !strings.Contains(rep, "$") {
		sb.WriteString(rep)
		return
	}
	for i := 0; i < len(rep); i++ {
		if rep[i] != '$' || i+1 >= len(rep) {
			sb.WriteByte(rep[i])
			continue
		}
		switch rep[i+1] {
		case '$':
			sb.WriteByte('$')
		case '&':
			sb.WriteString(s[start:end])
		case '`':
			sb.WriteString(s[:start])
		case '\'':
			sb.WriteString(s[end:])
		default:
			sb.WriteByte('$')
			continue
		}
		i++
	}
}

func positionFn(ci bool) stlFunc {
	return func(m *machine, a []Value) (Value, error) {
		if a[0].kind != KindString {
			return Int(0), nil
		}
		s, needle := a[0].s(), jsString(a[1])
		if ci {
			s, needle = strings.ToLower(s), strings.ToLower(needle)
		}
		i := strings.Index(s, needle)
		if i < 0 {
			return Int(0), nil
		}
		return Int(utf16Len(s[:i]) + 1), nil
	}
}

func trimFn(left, right bool) stlFunc {
	return func(m *machine, a []Value) (Value, error) {
		ch := " "
		switch c := arg(a, 1); c.kind {
		case KindNull:
		case KindString:
			ch = c.s()
		case KindArray:
			// an array of one element passes the reference's length check but never equals a character
			if len(c.AsArray().Items) != 1 {
				return String(""), nil
			}
			ch = "\x00\x00" // matches nothing
		default:
			return String(""), nil // no .length: the reference returns ''
		}
		if utf16Len(ch) != 1 && ch != "\x00\x00" {
			return String(""), nil
		}
		if a[0].kind == KindNull {
			return Null, nil
		}
		if arr := a[0].AsArray(); arr != nil {
			// the reference indexes and slices whatever it gets: an array keeps its items
			items := arr.Items
			for left && len(items) > 0 && items[0].kind == KindString && items[0].s() == ch {
				items = items[1:]
			}
			for right && len(items) > 0 && items[len(items)-1].kind == KindString && items[len(items)-1].s() == ch {
				items = items[:len(items)-1]
			}
			if left && right && len(items) == 0 {
				return String(""), nil
			}
			return NewArray(slices.Clone(items)), nil
		}
		if a[0].kind != KindString {
			return Null, vmErrorf("str.slice is not a function")
		}
		s := a[0].s()
		if left {
			for strings.HasPrefix(s, ch) {
				s = s[len(ch):]
			}
		}
		if right {
			for strings.HasSuffix(s, ch) {
				s = s[:len(s)-len(ch)]
			}
		}
		return String(s), nil
	}
}

func stlSplitByString(m *machine, a []Value) (Value, error) {
	switch a[1].kind {
	case KindNull:
		return Null, nil
	case KindString:
	default:
		return Null, vmErrorf("str.split is not a function")
	}
	s, sep := a[1].s(), jsString(a[0])
	var parts []string
	if sep == "" {
		for _, u := range toUnits(s) {
			parts = append(parts, fromUnits([]uint16{u}))
		}
	} else {
		parts = strings.Split(s, sep)
	}
	if lim := arg(a, 2); lim.kind != KindNull {
		n := int(jsnum.ToInt32(toNumber(lim)))
		if n >= 0 && n < len(parts) {
			parts = parts[:n]
		}
	}
	items := make([]Value, len(parts))
	for i, p := range parts {
		items[i] = String(p)
	}
	return NewArray(items), nil
}

func uuidV4() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func stlKeys(m *machine, a []Value) (Value, error) {
	switch a[0].kind {
	case KindArray:
		n := len(a[0].AsArray().Items)
		items := make([]Value, n)
		for i := range items {
			items[i] = Int(i)
		}
		return NewArray(items), nil
	case KindDict:
		return NewArray(a[0].AsDict().Keys()), nil
	}
	return NewArray([]Value{}), nil
}

func stlValues(m *machine, a []Value) (Value, error) {
	switch a[0].kind {
	case KindArray:
		return NewArray(slices.Clone(a[0].AsArray().Items)), nil
	case KindDict:
		return NewArray(a[0].AsDict().Values()), nil
	}
	return NewArray([]Value{}), nil
}

func arraySortFn(reverse bool) stlFunc {
	return func(m *machine, a []Value) (Value, error) {
		arr := a[0].AsArray()
		if arr == nil {
			return NewArray([]Value{}), nil
		}
		items := slices.Clone(arr.Items)
		slices.SortStableFunc(items, func(x, y Value) int { return compareUTF16(jsString(x), jsString(y)) })
		if reverse {
			slices.Reverse(items)
		}
		return NewArray(items), nil
	}
}

func errorFn(name string) stlFunc {
	return func(m *machine, a []Value) (Value, error) {
		return newHogError(String(name), arg(a, 0), arg(a, 1)), nil
	}
}

func typeOf(v Value) string {
	switch v.kind {
	case KindNull:
		return "null"
	case KindDateTime:
		return "datetime"
	case KindDate:
		return "date"
	case KindError:
		return "error"
	case KindClosure, KindCallable:
		return "function"
	case KindArray:
		if v.isTuple() {
			return "tuple"
		}
		return "array"
	case KindDict:
		if _, ok := v.AsDict().GetString("__hx_ast"); ok {
			return "sql"
		}
		return "object"
	case KindNumber:
		if v.f() == math.Trunc(v.f()) && !math.IsInf(v.f(), 0) {
			return "integer"
		}
		return "float"
	case KindString:
		return "string"
	case KindBool:
		return "boolean"
	}
	return "unknown"
}

func cmpFn(op compareOp) stlFunc {
	return func(m *machine, a []Value) (Value, error) { return Bool(jsCompare(a[0], a[1], op)), nil }
}

// jsPlus is JavaScript's binary +.
func jsPlus(a, b Value) Value {
	pa, pb := toPrimitive(a), toPrimitive(b)
	if pa.kind == KindString || pb.kind == KindString {
		return String(jsString(pa) + jsString(pb))
	}
	return Number(toNumber(pa) + toNumber(pb))
}

// jsRound is Math.round: halves round towards +Infinity.
func jsRound(x float64) float64 {
	if x != x || math.IsInf(x, 0) {
		return x
	}
	f := math.Floor(x)
	if x-f >= 0.5 {
		return f + 1
	}
	return f
}

func stlRange(m *machine, a []Value) (Value, error) {
	start, end := 0.0, toNumber(a[0])
	if len(a) > 1 {
		start, end = toNumber(a[0]), toNumber(a[1])
	}
	n := end - start
	if n != n || n <= 0 {
		return NewArray([]Value{}), nil
	}
	if n*costUnit > float64(m.memLimit) && m.memLimit > 0 {
		return Null, vmErrorf("Memory limit of %d bytes exceeded. Tried to allocate %d bytes.", m.memLimit, m.memUsed+int(n)*costUnit)
	}
	if n > 1<<26 {
		return Null, vmErrorf("Invalid array length")
	}
	items := make([]Value, int(n))
	for i := range items {
		items[i] = Number(start + float64(i))
	}
	return NewArray(items), nil
}

func stlSubstring(m *machine, a []Value) (Value, error) {
	if a[0].kind != KindString {
		return String(""), nil
	}
	s := a[0].s()
	units := utf16Len(s)
	startIdx := toNumber(a[1]) - 1
	length := float64(units) - startIdx
	if l := arg(a, 2); l.kind == KindNumber {
		length = l.f()
	}
	if startIdx < 0 || length < 0 || startIdx != startIdx {
		return String(""), nil
	}
	if startIdx >= float64(units) {
		return String(""), nil
	}
	st := int(startIdx)
	end := math.Min(float64(units), startIdx+length)
	if end <= startIdx {
		return String(""), nil
	}
	return String(sliceUTF16(s, st, int(end))), nil
}

func lenientBase64(s string) string {
	var clean []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			clean = append(clean, c)
		case c == '-':
			clean = append(clean, '+')
		case c == '_':
			clean = append(clean, '/')
		case c == '=':
			i = len(s)
		}
	}
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1]
	}
	b, _ := base64.RawStdEncoding.DecodeString(string(clean))
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

func encodeURIComponent(s string) string {
	const unreserved = "-_.!~*'()"
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strings.IndexByte(unreserved, c) >= 0 {
			sb.WriteByte(c)
		} else {
			fmt.Fprintf(&sb, "%%%02X", c)
		}
	}
	return sb.String()
}

func decodeURIComponent(s string) (string, bool) {
	if !strings.Contains(s, "%") {
		return s, true
	}
	out, err := url.PathUnescape(s)
	if err != nil || !utf8.ValidString(out) {
		return "", false
	}
	return out, true
}

// describeJS renders a value the way Node's argument-type errors do ("type number (0)").
func describeJS(v Value) string {
	switch v.kind {
	case KindNull:
		return "null"
	case KindBool, KindNumber:
		return "type " + typeofJS(v) + " (" + jsString(v) + ")"
	}
	switch v.kind {
	case KindArray:
		return "an instance of Array"
	case KindDict:
		return "an instance of Map"
	}
	return "an instance of Object"
}
