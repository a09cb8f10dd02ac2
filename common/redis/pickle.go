package redis

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The subset of Python's pickle format that Django caches hold for simple
// values: None, bool, int, float, str, bytes and lists, tuples and dicts of
// those. Decoding accepts protocols 0-5; encoding writes protocol 5 (Django's
// pickle.HIGHEST_PROTOCOL) byte for byte as CPython's pickler does for values
// without shared sub-objects. Classes, globals and reduce calls are refused:
// loading arbitrary objects is neither needed nor safe.

// PickleProtocol is the protocol EncodePickle writes.
const PickleProtocol = 5

// ErrPickleUnsupported is returned for pickle opcodes outside the supported subset.
var ErrPickleUnsupported = errors.New("pickle: unsupported opcode")

// Pickle opcodes (CPython Lib/pickle.py).
const (
	opMark           = '('
	opStop           = '.'
	opPop            = '0'
	opPopMark        = '1'
	opDup            = '2'
	opFloat          = 'F'
	opInt            = 'I'
	opBinInt         = 'J'
	opBinInt1        = 'K'
	opLong           = 'L'
	opBinInt2        = 'M'
	opNone           = 'N'
	opBinString      = 'T'
	opShortBinString = 'U'
	opUnicode        = 'V'
	opBinUnicode     = 'X'
	opAppend         = 'a'
	opDict           = 'd'
	opEmptyDict      = '}'
	opAppends        = 'e'
	opGet            = 'g'
	opBinGet         = 'h'
	opLongBinGet     = 'j'
	opList           = 'l'
	opEmptyList      = ']'
	opPut            = 'p'
	opBinPut         = 'q'
	opLongBinPut     = 'r'
	opSetItem        = 's'
	opTuple          = 't'
	opEmptyTuple     = ')'
	opSetItems       = 'u'
	opBinFloat       = 'G'
	opProto          = 0x80
	opTuple1         = 0x85
	opTuple2         = 0x86
	opTuple3         = 0x87
	opNewTrue        = 0x88
	opNewFalse       = 0x89
	opLong1          = 0x8a
	opLong4          = 0x8b
	opBinBytes       = 'B'
	opShortBinBytes  = 'C'
	opShortBinUni    = 0x8c
	opBinUnicode8    = 0x8d
	opBinBytes8      = 0x8e
	opMemoize        = 0x94
	opFrame          = 0x95
	opByteArray8     = 0x96
)

// Limits that keep hostile input from exhausting memory or the Go stack.
const (
	maxPickleDepth = 1000
	maxMemoIndex   = 1 << 20
	// maxPickleNodes caps the values produced, so shared references
	// (a list memoized and referenced many times, nested) cannot expand
	// into an exponentially large result.
	maxPickleNodes = 1 << 20
)

// Mutable containers stay behind pointers while loading, so a memoized list
// sees the items appended after it was memoized, as in Python.
type pyList struct{ items []any }
type pyDict struct{ m map[string]any }
type pyTuple struct{ items []any }

// DecodePickle decodes one pickled value. Results are nil, bool, int64 (or
// *big.Int when it does not fit), float64, string, []byte, []any (lists and
// tuples) and map[string]any (dicts; other key types are refused).
func DecodePickle(data []byte) (any, error) {
	d := pickleDecoder{data: data, memo: map[int]any{}}
	v, err := d.run()
	if err != nil {
		return nil, err
	}
	budget := maxPickleNodes
	return plain(v, 0, &budget)
}

// DecodeDjango decodes a value written by Django's Redis cache backend: plain
// ints are stored as their decimal text, everything else is pickled.
func DecodeDjango(data []byte) (any, error) {
	if n, ok := djangoInt(data); ok {
		return n, nil
	}
	return DecodePickle(data)
}

// EncodeDjango encodes v as Django's Redis cache backend does: Go integers as
// decimal text, everything else with EncodePickle.
func EncodeDjango(v any) ([]byte, error) {
	switch n := v.(type) {
	case int:
		return strconv.AppendInt(nil, int64(n), 10), nil
	case int64:
		return strconv.AppendInt(nil, n, 10), nil
	case int32:
		return strconv.AppendInt(nil, int64(n), 10), nil
	case uint64:
		return strconv.AppendUint(nil, n, 10), nil
	}
	return EncodePickle(v)
}

// djangoInt mirrors Python's int(data) for the decimal text Django writes.
func djangoInt(data []byte) (int64, bool) {
	s := strings.TrimSpace(string(data))
	if s == "" || len(s) > 20 {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

type pickleDecoder struct {
	data  []byte
	pos   int
	stack []any
	marks []int
	memo  map[int]any
}

func (d *pickleDecoder) errorf(format string, args ...any) error {
	return fmt.Errorf("pickle: at byte %d: %s", d.pos, fmt.Sprintf(format, args...))
}

func (d *pickleDecoder) read(n int) ([]byte, error) {
	if n < 0 || n > len(d.data)-d.pos {
		return nil, d.errorf("truncated data (want %d bytes)", n)
	}
	b := d.data[d.pos : d.pos+n]
	d.pos += n
	return b, nil
}

func (d *pickleDecoder) readLine() ([]byte, error) {
	i := bytes.IndexByte(d.data[d.pos:], '\n')
	if i < 0 {
		return nil, d.errorf("truncated line")
	}
	b := d.data[d.pos : d.pos+i]
	d.pos += i + 1
	return b, nil
}

func (d *pickleDecoder) readUint(n int) (uint64, error) {
	b, err := d.read(n)
	if err != nil {
		return 0, err
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v, nil
}

// readSized reads a length prefix of n bytes and then that many bytes.
func (d *pickleDecoder) readSized(n int) ([]byte, error) {
	l, err := d.readUint(n)
	if err != nil {
		return nil, err
	}
	if l > uint64(len(d.data)-d.pos) {
		return nil, d.errorf("truncated data (want %d bytes)", l)
	}
	return d.read(int(l))
}

func (d *pickleDecoder) push(v any) { d.stack = append(d.stack, v) }

func (d *pickleDecoder) pop() (any, error) {
	if len(d.stack) == 0 || (len(d.marks) > 0 && len(d.stack) <= d.marks[len(d.marks)-1]) {
		return nil, d.errorf("stack underflow")
	}
	v := d.stack[len(d.stack)-1]
	d.stack = d.stack[:len(d.stack)-1]
	return v, nil
}

func (d *pickleDecoder) top() (any, error) {
	if len(d.stack) == 0 {
		return nil, d.errorf("stack underflow")
	}
	return d.stack[len(d.stack)-1], nil
}

// popMark returns the items pushed since the last MARK and removes them.
func (d *pickleDecoder) popMark() ([]any, error) {
	if len(d.marks) == 0 {
		return nil, d.errorf("no mark on the stack")
	}
	m := d.marks[len(d.marks)-1]
	d.marks = d.marks[:len(d.marks)-1]
	items := slices.Clone(d.stack[m:])
	d.stack = d.stack[:m]
	return items, nil
}

func (d *pickleDecoder) memoPut(i uint64) error {
	if i > maxMemoIndex {
		return d.errorf("memo index %d too large", i)
	}
	v, err := d.top()
	if err != nil {
		return err
	}
	d.memo[int(i)] = v
	return nil
}

func (d *pickleDecoder) memoGet(i uint64) error {
	v, ok := d.memo[int(min(i, maxMemoIndex+1))]
	if !ok {
		return d.errorf("memo key %d not found", i)
	}
	d.push(v)
	return nil
}

func (d *pickleDecoder) setItems(kv []any) error {
	if len(kv)%2 != 0 {
		return d.errorf("odd number of dict items")
	}
	t, err := d.top()
	if err != nil {
		return err
	}
	dict, ok := t.(*pyDict)
	if !ok {
		return d.errorf("SETITEM on %T", t)
	}
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return d.errorf("dict key of type %s is not supported", pyTypeName(kv[i]))
		}
		dict.m[k] = kv[i+1]
	}
	return nil
}

func (d *pickleDecoder) appendItems(items []any) error {
	t, err := d.top()
	if err != nil {
		return err
	}
	l, ok := t.(*pyList)
	if !ok {
		return d.errorf("APPEND on %T", t)
	}
	l.items = append(l.items, items...)
	return nil
}

func (d *pickleDecoder) run() (any, error) {
	for {
		if d.pos >= len(d.data) {
			return nil, d.errorf("missing STOP")
		}
		op := d.data[d.pos]
		d.pos++
		var err error
		switch op {
		case opProto:
			var b []byte
			if b, err = d.read(1); err == nil && b[0] > PickleProtocol {
				err = d.errorf("unsupported protocol %d", b[0])
			}
		case opFrame:
			_, err = d.readUint(8)
		case opStop:
			v, err := d.pop()
			if err != nil {
				return nil, err
			}
			return v, nil
		case opMark:
			d.marks = append(d.marks, len(d.stack))
		case opPop:
			if len(d.stack) > 0 && (len(d.marks) == 0 || len(d.stack) > d.marks[len(d.marks)-1]) {
				_, err = d.pop()
			} else {
				_, err = d.popMark()
			}
		case opPopMark:
			_, err = d.popMark()
		case opDup:
			var v any
			if v, err = d.top(); err == nil {
				d.push(v)
			}
		case opNone:
			d.push(nil)
		case opNewTrue:
			d.push(true)
		case opNewFalse:
			d.push(false)
		case opInt:
			err = d.textInt()
		case opLong:
			err = d.textLong()
		case opBinInt:
			var u uint64
			if u, err = d.readUint(4); err == nil {
				d.push(int64(int32(uint32(u))))
			}
		case opBinInt1:
			var u uint64
			if u, err = d.readUint(1); err == nil {
				d.push(int64(u))
			}
		case opBinInt2:
			var u uint64
			if u, err = d.readUint(2); err == nil {
				d.push(int64(u))
			}
		case opLong1, opLong4:
			n := 1
			if op == opLong4 {
				n = 4
			}
			var b []byte
			if b, err = d.readSized(n); err == nil {
				d.push(decodeLong(b))
			}
		case opFloat:
			var line []byte
			if line, err = d.readLine(); err == nil {
				var f float64
				f, err = strconv.ParseFloat(string(line), 64)
				if err != nil {
					err = d.errorf("bad float %q", line)
				}
				d.push(f)
			}
		case opBinFloat:
			var b []byte
			if b, err = d.read(8); err == nil {
				d.push(math.Float64frombits(binary.BigEndian.Uint64(b)))
			}
		case opShortBinUni, opBinUnicode, opBinUnicode8:
			n := map[byte]int{opShortBinUni: 1, opBinUnicode: 4, opBinUnicode8: 8}[op]
			var b []byte
			if b, err = d.readSized(n); err == nil {
				d.push(string(b))
			}
		case opShortBinString, opBinString:
			// Python 2 str, loaded by Python 3 as str with the default ASCII encoding.
			n := 1
			if op == opBinString {
				n = 4
			}
			var b []byte
			if b, err = d.readSized(n); err == nil {
				d.push(latin1(b))
			}
		case opUnicode:
			var line []byte
			if line, err = d.readLine(); err == nil {
				var s string
				s, err = rawUnicodeEscape(line)
				d.push(s)
			}
		case opShortBinBytes, opBinBytes, opBinBytes8, opByteArray8:
			n := map[byte]int{opShortBinBytes: 1, opBinBytes: 4, opBinBytes8: 8, opByteArray8: 8}[op]
			var b []byte
			if b, err = d.readSized(n); err == nil {
				d.push(slices.Clone(b))
			}
		case opEmptyList:
			d.push(&pyList{})
		case opEmptyDict:
			d.push(&pyDict{m: map[string]any{}})
		case opEmptyTuple:
			d.push(&pyTuple{})
		case opList:
			var items []any
			if items, err = d.popMark(); err == nil {
				d.push(&pyList{items: items})
			}
		case opTuple:
			var items []any
			if items, err = d.popMark(); err == nil {
				d.push(&pyTuple{items: items})
			}
		case opTuple1, opTuple2, opTuple3:
			n := int(op-opTuple1) + 1
			items := make([]any, n)
			for i := n - 1; i >= 0 && err == nil; i-- {
				items[i], err = d.pop()
			}
			d.push(&pyTuple{items: items})
		case opDict:
			var kv []any
			if kv, err = d.popMark(); err == nil {
				d.push(&pyDict{m: map[string]any{}})
				err = d.setItems(kv)
			}
		case opAppend:
			var v any
			if v, err = d.pop(); err == nil {
				err = d.appendItems([]any{v})
			}
		case opAppends:
			var items []any
			if items, err = d.popMark(); err == nil {
				err = d.appendItems(items)
			}
		case opSetItem:
			var k, v any
			if v, err = d.pop(); err == nil {
				if k, err = d.pop(); err == nil {
					err = d.setItems([]any{k, v})
				}
			}
		case opSetItems:
			var kv []any
			if kv, err = d.popMark(); err == nil {
				err = d.setItems(kv)
			}
		case opMemoize:
			err = d.memoPut(uint64(len(d.memo)))
		case opPut:
			var line []byte
			if line, err = d.readLine(); err == nil {
				var i uint64
				if i, err = strconv.ParseUint(string(line), 10, 32); err == nil {
					err = d.memoPut(i)
				}
			}
		case opBinPut, opLongBinPut:
			n := 1
			if op == opLongBinPut {
				n = 4
			}
			var i uint64
			if i, err = d.readUint(n); err == nil {
				err = d.memoPut(i)
			}
		case opGet:
			var line []byte
			if line, err = d.readLine(); err == nil {
				var i uint64
				if i, err = strconv.ParseUint(string(line), 10, 32); err == nil {
					err = d.memoGet(i)
				}
			}
		case opBinGet, opLongBinGet:
			n := 1
			if op == opLongBinGet {
				n = 4
			}
			var i uint64
			if i, err = d.readUint(n); err == nil {
				err = d.memoGet(i)
			}
		default:
			return nil, fmt.Errorf("%w 0x%02x at byte %d", ErrPickleUnsupported, op, d.pos-1)
		}
		if err != nil {
			return nil, err
		}
	}
}

// textInt handles protocol 0 INT, where "01"/"00" mean True/False.
func (d *pickleDecoder) textInt() error {
	line, err := d.readLine()
	if err != nil {
		return err
	}
	switch string(line) {
	case "01":
		d.push(true)
		return nil
	case "00":
		d.push(false)
		return nil
	}
	return d.pushIntText(string(line))
}

func (d *pickleDecoder) textLong() error {
	line, err := d.readLine()
	if err != nil {
		return err
	}
	return d.pushIntText(strings.TrimSuffix(string(line), "L"))
}

func (d *pickleDecoder) pushIntText(s string) error {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return d.errorf("bad integer %q", s)
	}
	d.push(normInt(n))
	return nil
}

// decodeLong decodes a little-endian two's complement integer (LONG1/LONG4).
func decodeLong(b []byte) any {
	if len(b) == 0 {
		return int64(0)
	}
	be := make([]byte, len(b))
	for i, c := range b {
		be[len(b)-1-i] = c
	}
	n := new(big.Int).SetBytes(be)
	if b[len(b)-1]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return normInt(n)
}

func normInt(n *big.Int) any {
	if n.IsInt64() {
		return n.Int64()
	}
	return n
}

func latin1(b []byte) string {
	if utf8.Valid(b) && !hasHighBit(b) {
		return string(b)
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

func hasHighBit(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

// rawUnicodeEscape decodes Python's raw-unicode-escape codec: \uXXXX and
// \UXXXXXXXX escapes, every other byte is a Latin-1 code point.
func rawUnicodeEscape(b []byte) (string, error) {
	var sb strings.Builder
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '\\' && i+1 < len(b) && (b[i+1] == 'u' || b[i+1] == 'U') {
			n := 4
			if b[i+1] == 'U' {
				n = 8
			}
			if i+2+n > len(b) {
				return "", fmt.Errorf("pickle: truncated \\u escape")
			}
			v, err := strconv.ParseUint(string(b[i+2:i+2+n]), 16, 32)
			if err != nil || v > utf8.MaxRune {
				return "", fmt.Errorf("pickle: bad \\u escape %q", b[i:i+2+n])
			}
			sb.WriteRune(rune(v))
			i += 1 + n
			continue
		}
		sb.WriteRune(rune(c))
	}
	return sb.String(), nil
}

func pyTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int64, *big.Int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []byte:
		return "bytes"
	case *pyList:
		return "list"
	case *pyDict:
		return "dict"
	case *pyTuple:
		return "tuple"
	}
	return fmt.Sprintf("%T", v)
}

// plain converts the loader's containers into plain Go values.
func plain(v any, depth int, budget *int) (any, error) {
	if depth > maxPickleDepth {
		return nil, fmt.Errorf("pickle: nesting deeper than %d (or a recursive structure)", maxPickleDepth)
	}
	if *budget--; *budget < 0 {
		return nil, fmt.Errorf("pickle: more than %d values", maxPickleNodes)
	}
	var items []any
	switch c := v.(type) {
	case *pyList:
		items = c.items
	case *pyTuple:
		items = c.items
	case *pyDict:
		m := make(map[string]any, len(c.m))
		for k, e := range c.m {
			pe, err := plain(e, depth+1, budget)
			if err != nil {
				return nil, err
			}
			m[k] = pe
		}
		return m, nil
	default:
		return v, nil
	}
	out := make([]any, len(items))
	for i, e := range items {
		pe, err := plain(e, depth+1, budget)
		if err != nil {
			return nil, err
		}
		out[i] = pe
	}
	return out, nil
}

// Framing constants of CPython's protocol 4+ pickler.
const (
	frameSizeMin    = 4
	frameSizeTarget = 64 * 1024
	batchSize       = 1000
)

// EncodePickle pickles v with protocol 5. Supported: nil, bool, Go integers,
// *big.Int, float32/64, string, []byte, slices (as lists) and maps with string
// keys (as dicts, keys sorted so the output is deterministic).
func EncodePickle(v any) ([]byte, error) {
	e := pickleEncoder{strMemo: map[string]int{}, bytesMemo: map[string]int{}}
	e.out = append(e.out, opProto, PickleProtocol)
	if err := e.save(reflect.ValueOf(v), 0); err != nil {
		return nil, err
	}
	e.frame = append(e.frame, opStop)
	e.commitFrame(true)
	return e.out, nil
}

type pickleEncoder struct {
	out   []byte
	frame []byte
	// strMemo and bytesMemo map values already written to their memo
	// index, like CPython does for interned/shared objects.
	strMemo   map[string]int
	bytesMemo map[string]int
	memoLen   int
}

func (e *pickleEncoder) commitFrame(force bool) {
	if len(e.frame) == 0 || (len(e.frame) < frameSizeTarget && !force) {
		return
	}
	if len(e.frame) >= frameSizeMin {
		e.out = append(e.out, opFrame)
		e.out = binary.LittleEndian.AppendUint64(e.out, uint64(len(e.frame)))
	}
	e.out = append(e.out, e.frame...)
	e.frame = e.frame[:0]
}

func (e *pickleEncoder) writeLarge(header, payload []byte) {
	e.commitFrame(true)
	e.out = append(e.out, header...)
	e.out = append(e.out, payload...)
}

func (e *pickleEncoder) memoize() {
	e.frame = append(e.frame, opMemoize)
	e.memoLen++
}

// fromMemo writes a memo reference when key was written before.
func (e *pickleEncoder) fromMemo(memo map[string]int, key string) bool {
	i, ok := memo[key]
	if !ok {
		return false
	}
	if i < 256 {
		e.frame = append(e.frame, opBinGet, byte(i))
	} else {
		e.frame = append(e.frame, opLongBinGet)
		e.frame = binary.LittleEndian.AppendUint32(e.frame, uint32(i))
	}
	return true
}

var bigIntType = reflect.TypeFor[*big.Int]()

func (e *pickleEncoder) save(v reflect.Value, depth int) error {
	if depth > maxPickleDepth {
		return fmt.Errorf("pickle: nesting deeper than %d", maxPickleDepth)
	}
	e.commitFrame(false)
	if !v.IsValid() {
		e.frame = append(e.frame, opNone)
		return nil
	}
	if v.Type() == bigIntType {
		if v.IsNil() {
			e.frame = append(e.frame, opNone)
			return nil
		}
		e.saveBig(v.Interface().(*big.Int))
		return nil
	}
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			e.frame = append(e.frame, opNone)
			return nil
		}
		return e.save(v.Elem(), depth+1)
	case reflect.Bool:
		if v.Bool() {
			e.frame = append(e.frame, opNewTrue)
		} else {
			e.frame = append(e.frame, opNewFalse)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.saveInt(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := v.Uint()
		if u <= math.MaxInt64 {
			e.saveInt(int64(u))
		} else {
			e.saveBig(new(big.Int).SetUint64(u))
		}
	case reflect.Float32, reflect.Float64:
		e.frame = append(e.frame, opBinFloat)
		e.frame = binary.BigEndian.AppendUint64(e.frame, math.Float64bits(v.Float()))
	case reflect.String:
		e.saveStr(v.String())
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			e.saveBytes(v.Bytes())
			return nil
		}
		return e.saveList(v, depth)
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return fmt.Errorf("pickle: map key type %s is not supported", v.Type().Key())
		}
		return e.saveDict(v, depth)
	default:
		return fmt.Errorf("pickle: cannot encode %s", v.Type())
	}
	return nil
}

func (e *pickleEncoder) saveInt(n int64) {
	switch {
	case n >= 0 && n <= 0xff:
		e.frame = append(e.frame, opBinInt1, byte(n))
	case n >= 0 && n <= 0xffff:
		e.frame = append(e.frame, opBinInt2, byte(n), byte(n>>8))
	case n >= math.MinInt32 && n <= math.MaxInt32:
		e.frame = append(e.frame, opBinInt)
		e.frame = binary.LittleEndian.AppendUint32(e.frame, uint32(int32(n)))
	default:
		e.saveBig(big.NewInt(n))
	}
}

// saveBig writes LONG1/LONG4 with CPython's encode_long: minimal little-endian
// two's complement.
func (e *pickleEncoder) saveBig(n *big.Int) {
	if n.IsInt64() && n.Int64() >= math.MinInt32 && n.Int64() <= math.MaxInt32 {
		e.saveInt(n.Int64())
		return
	}
	nbytes := n.BitLen()>>3 + 1
	// Two's complement of n over nbytes bytes.
	mod := new(big.Int).Lsh(big.NewInt(1), uint(8*nbytes))
	tc := new(big.Int).Set(n)
	if n.Sign() < 0 {
		tc.Add(tc, mod)
	}
	be := tc.FillBytes(make([]byte, nbytes))
	le := make([]byte, nbytes)
	for i, c := range be {
		le[nbytes-1-i] = c
	}
	if n.Sign() < 0 && nbytes > 1 && le[nbytes-1] == 0xff && le[nbytes-2]&0x80 != 0 {
		le = le[:nbytes-1]
	}
	if len(le) < 256 {
		e.frame = append(e.frame, opLong1, byte(len(le)))
	} else {
		e.frame = append(e.frame, opLong4)
		e.frame = binary.LittleEndian.AppendUint32(e.frame, uint32(len(le)))
	}
	e.frame = append(e.frame, le...)
}

func (e *pickleEncoder) saveStr(s string) {
	if e.fromMemo(e.strMemo, s) {
		return
	}
	n := len(s)
	switch {
	case n <= 0xff:
		e.frame = append(e.frame, opShortBinUni, byte(n))
		e.frame = append(e.frame, s...)
	case uint64(n) > math.MaxUint32:
		e.writeLarge(binary.LittleEndian.AppendUint64([]byte{opBinUnicode8}, uint64(n)), []byte(s))
	case n >= frameSizeTarget:
		e.writeLarge(binary.LittleEndian.AppendUint32([]byte{opBinUnicode}, uint32(n)), []byte(s))
	default:
		e.frame = append(e.frame, opBinUnicode)
		e.frame = binary.LittleEndian.AppendUint32(e.frame, uint32(n))
		e.frame = append(e.frame, s...)
	}
	e.strMemo[s] = e.memoLen
	e.memoize()
}

func (e *pickleEncoder) saveBytes(b []byte) {
	if e.fromMemo(e.bytesMemo, string(b)) {
		return
	}
	n := len(b)
	switch {
	case n <= 0xff:
		e.frame = append(e.frame, opShortBinBytes, byte(n))
		e.frame = append(e.frame, b...)
	case uint64(n) > math.MaxUint32:
		e.writeLarge(binary.LittleEndian.AppendUint64([]byte{opBinBytes8}, uint64(n)), b)
	case n >= frameSizeTarget:
		e.writeLarge(binary.LittleEndian.AppendUint32([]byte{opBinBytes}, uint32(n)), b)
	default:
		e.frame = append(e.frame, opBinBytes)
		e.frame = binary.LittleEndian.AppendUint32(e.frame, uint32(n))
		e.frame = append(e.frame, b...)
	}
	e.bytesMemo[string(b)] = e.memoLen
	e.memoize()
}

func (e *pickleEncoder) saveList(v reflect.Value, depth int) error {
	if v.Kind() == reflect.Slice && v.IsNil() {
		e.frame = append(e.frame, opNone)
		return nil
	}
	e.frame = append(e.frame, opEmptyList)
	e.memoize()
	n := v.Len()
	for start := 0; ; start += batchSize {
		end := min(start+batchSize, n)
		switch end - start {
		case 0:
		case 1:
			if err := e.save(v.Index(start), depth+1); err != nil {
				return err
			}
			e.frame = append(e.frame, opAppend)
		default:
			e.frame = append(e.frame, opMark)
			for i := start; i < end; i++ {
				if err := e.save(v.Index(i), depth+1); err != nil {
					return err
				}
			}
			e.frame = append(e.frame, opAppends)
		}
		if end-start < batchSize {
			return nil
		}
	}
}

func (e *pickleEncoder) saveDict(v reflect.Value, depth int) error {
	if v.IsNil() {
		e.frame = append(e.frame, opNone)
		return nil
	}
	e.frame = append(e.frame, opEmptyDict)
	e.memoize()
	keys := v.MapKeys()
	slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
	for start := 0; ; start += batchSize {
		end := min(start+batchSize, len(keys))
		if end-start > 1 {
			e.frame = append(e.frame, opMark)
		}
		for _, k := range keys[start:end] {
			e.commitFrame(false)
			e.saveStr(k.String())
			if err := e.save(v.MapIndex(k), depth+1); err != nil {
				return err
			}
		}
		switch end - start {
		case 0:
		case 1:
			e.frame = append(e.frame, opSetItem)
		default:
			e.frame = append(e.frame, opSetItems)
		}
		if end-start < batchSize {
			return nil
		}
	}
}
