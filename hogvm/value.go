package hogvm

import (
	"hash/maphash"
	"math"
	"unicode/utf8"
	"unsafe"
)

// Kind is the dynamic type of a Value.
type Kind uint8

// The kinds of Hog values. Arrays and tuples share one representation
// (a tuple is an array with a flag, as in the TypeScript VM).
const (
	KindNull Kind = iota
	KindBool
	KindNumber
	KindString
	KindArray
	KindDict
	KindClosure
	KindCallable
	KindError
	KindDate
	KindDateTime
)

// Value is one Hog value: a 24-byte tagged struct passed by value. Numbers,
// booleans and strings need no allocation (a string is its data pointer and
// length); containers are shared by reference.
type Value struct {
	kind Kind
	cost uint32         // memory cost of a stack slot (set by push, see cost.go)
	bits uint64         // float64 bits (number, bool 0/1, datetime seconds) or string length
	p    unsafe.Pointer // string data, *Array, *Dict, *Closure, *Callable, *ErrorValue, *Date, or *string zone of a datetime
}

// f is the number of a number, bool or datetime value (0 otherwise).
func (v Value) f() float64 {
	if v.kind == KindString {
		return 0
	}
	return math.Float64frombits(v.bits)
}

// s is the string of a string value, or the zone of a datetime ("" otherwise).
func (v Value) s() string {
	switch v.kind {
	case KindString:
		return unsafe.String((*byte)(v.p), int(v.bits))
	case KindDateTime:
		if v.p == nil {
			return ""
		}
		return *(*string)(v.p)
	}
	return ""
}

func numberValue(f float64) Value { return Value{kind: KindNumber, bits: math.Float64bits(f)} }

// Array is a Hog array or tuple: a mutable, shared list.
type Array struct {
	Items []Value
	Tuple bool

	ci costIndex // memory cost bookkeeping (see cost.go)
}

// ErrorValue is a Hog error: what Error(), HogError() and friends create and THROW raises.
type ErrorValue struct {
	Type    string
	Message string
	Payload Value
}

// Date is a calendar date without time.
type Date struct {
	Year, Month, Day int
}

// Callable is a function reference before (or inside) a closure.
type Callable struct {
	Kind         string // "local", "stl" or "async"
	Name         string
	ArgCount     int
	UpvalueCount int
	IP           int
	Chunk        string

	ch *chunk // resolved Chunk, cached
}

// Closure is a callable plus the ids of the upvalues it captured.
type Closure struct {
	Callable *Callable
	Upvalues []int
}

// Null is the Hog null value.
var Null = Value{}

// True and False are the Hog booleans.
var (
	True  = Value{kind: KindBool, bits: math.Float64bits(1)}
	False = Value{kind: KindBool}
)

// Bool returns a Hog boolean.
func Bool(b bool) Value {
	if b {
		return True
	}
	return False
}

// Number returns a Hog number (JavaScript float64 semantics).
func Number(f float64) Value { return numberValue(f) }

// Int returns a Hog number holding an integer.
func Int(i int) Value { return numberValue(float64(i)) }

// String returns a Hog string.
func String(s string) Value {
	return Value{kind: KindString, bits: uint64(len(s)), p: unsafe.Pointer(unsafe.StringData(s))}
}

// NewArray returns an array value owning items.
func NewArray(items []Value) Value { return arrayValue(&Array{Items: items}) }

func arrayValue(a *Array) Value { return Value{kind: KindArray, p: unsafe.Pointer(a)} }

// NewTuple returns a tuple value owning items.
func NewTuple(items []Value) Value {
	return arrayValue(&Array{Items: items, Tuple: true})
}

// NewDictValue wraps a dict.
func NewDictValue(d *Dict) Value { return Value{kind: KindDict, p: unsafe.Pointer(d)} }

// NewError returns a Hog error value.
func NewError(typ, message string, payload Value) Value {
	return Value{kind: KindError, p: unsafe.Pointer(&ErrorValue{Type: typ, Message: message, Payload: payload})}
}

// NewDateTime returns a datetime at seconds since the epoch in the IANA zone.
func NewDateTime(seconds float64, zone string) Value {
	return Value{kind: KindDateTime, bits: math.Float64bits(seconds), p: unsafe.Pointer(&zone)}
}

// NewDate returns a date value.
func NewDate(y, m, d int) Value {
	return Value{kind: KindDate, p: unsafe.Pointer(&Date{Year: y, Month: m, Day: d})}
}

func closureValue(c *Closure) Value   { return Value{kind: KindClosure, p: unsafe.Pointer(c)} }
func callableValue(c *Callable) Value { return Value{kind: KindCallable, p: unsafe.Pointer(c)} }

// Kind reports the value's type.
func (v Value) Kind() Kind { return v.kind }

// IsNull reports whether v is null.
func (v Value) IsNull() bool { return v.kind == KindNull }

// AsBool returns the boolean of a KindBool value.
func (v Value) AsBool() bool { return v.f() != 0 }

// AsNumber returns the float of a KindNumber value.
func (v Value) AsNumber() float64 { return v.f() }

// AsString returns the string of a KindString value.
func (v Value) AsString() string { return v.s() }

// AsArray returns the array of a KindArray value, else nil.
func (v Value) AsArray() *Array {
	if v.kind != KindArray {
		return nil
	}
	return (*Array)(v.p)
}

// AsDict returns the dict of a KindDict value, else nil.
func (v Value) AsDict() *Dict {
	if v.kind != KindDict {
		return nil
	}
	return (*Dict)(v.p)
}

// AsError returns the error of a KindError value, else nil.
func (v Value) AsError() *ErrorValue {
	if v.kind != KindError {
		return nil
	}
	return (*ErrorValue)(v.p)
}

// AsDate returns the date of a KindDate value, else nil.
func (v Value) AsDate() *Date {
	if v.kind != KindDate {
		return nil
	}
	return (*Date)(v.p)
}

// DateTime returns the seconds and zone of a KindDateTime value.
func (v Value) DateTime() (float64, string) { return v.f(), v.s() }

func (v Value) closure() *Closure {
	if v.kind != KindClosure {
		return nil
	}
	return (*Closure)(v.p)
}

func (v Value) callable() *Callable {
	if v.kind != KindCallable {
		return nil
	}
	return (*Callable)(v.p)
}

func (v Value) isTuple() bool {
	return v.kind == KindArray && (*Array)(v.p).Tuple
}

// Dict is an insertion-ordered map with Hog keys (usually strings). Small dicts
// are scanned linearly; an index is built once they grow.
type Dict struct {
	entries []entry
	index   []dictSlot // open-addressed hash of the string keys, built past dictIndexThreshold entries

	ci costIndex // memory cost bookkeeping (see cost.go)
}

type entry struct {
	key, val Value
}

const dictIndexThreshold = 12

// dictSlot is one slot of a dict's index: the key's hash and its entry
// position plus one (0 marks an empty slot). A slice rather than a Go map
// because copying a dict (every read of an event global) then copies the index
// in one memmove, and growing it rehashes from the stored hashes.
type dictSlot struct {
	h uint32
	i int32
}

// dictSeed seeds the key hash; random per process so crafted keys cannot be
// made to collide.
var dictSeed = maphash.MakeSeed()

func keyHash(s string) uint32 { return uint32(maphash.String(dictSeed, s)) }

// lookup returns the position of the string key s with hash h, or -1.
func (d *Dict) lookup(s string, h uint32) int {
	mask := uint32(len(d.index) - 1)
	for p := h & mask; ; p = (p + 1) & mask {
		sl := d.index[p]
		if sl.i == 0 {
			return -1
		}
		if sl.h == h {
			if k := &d.entries[sl.i-1].key; k.kind == KindString && k.s() == s {
				return int(sl.i - 1)
			}
		}
	}
}

// insert records entry i under hash h; the caller made sure the key is new.
func (d *Dict) insert(h uint32, i int) {
	if 2*(i+1) > len(d.index) {
		d.growIndex(2 * (i + 1))
	}
	mask := uint32(len(d.index) - 1)
	p := h & mask
	for d.index[p].i != 0 {
		p = (p + 1) & mask
	}
	d.index[p] = dictSlot{h: h, i: int32(i + 1)}
}

// growIndex rebuilds the index with room for n entries at half load.
func (d *Dict) growIndex(n int) {
	size := 32
	for size < 2*n {
		size *= 2
	}
	old := d.index
	d.index = make([]dictSlot, size)
	mask := uint32(size - 1)
	for _, sl := range old {
		if sl.i == 0 {
			continue
		}
		p := sl.h & mask
		for d.index[p].i != 0 {
			p = (p + 1) & mask
		}
		d.index[p] = sl
	}
}

// buildIndex indexes the string keys of every entry; the first of duplicate keys wins.
func (d *Dict) buildIndex() {
	d.growIndex(max(cap(d.entries), 2*len(d.entries)))
	for i := range d.entries {
		if key := d.entries[i].key; key.kind == KindString {
			h := keyHash(key.s())
			if d.lookup(key.s(), h) < 0 {
				d.insert(h, i)
			}
		}
	}
}

// NewDict returns an empty dict with room for n entries.
func NewDict(n int) *Dict {
	// one allocation for the dict and its first entries: most dicts are small
	switch {
	case n <= 2:
		x := &smallDict2{}
		x.d.entries = x.e[:0:2]
		x.d.ci.ok = true
		return &x.d
	case n <= 4:
		x := &smallDict4{}
		x.d.entries = x.e[:0:4]
		x.d.ci.ok = true
		return &x.d
	}
	return &Dict{entries: make([]entry, 0, n), ci: costIndex{ok: true}}
}

type smallDict2 struct {
	d Dict
	e [2]entry
}

type smallDict4 struct {
	d Dict
	e [4]entry
}

// Len returns the number of entries.
func (d *Dict) Len() int { return len(d.entries) }

// Keys returns the keys in insertion order.
func (d *Dict) Keys() []Value {
	out := make([]Value, len(d.entries))
	for i := range d.entries {
		out[i] = d.entries[i].key
	}
	return out
}

// Values returns the values in insertion order.
func (d *Dict) Values() []Value {
	out := make([]Value, len(d.entries))
	for i := range d.entries {
		out[i] = d.entries[i].val
	}
	return out
}

// Range calls fn for every entry in insertion order until fn returns false.
func (d *Dict) Range(fn func(k, v Value) bool) {
	for i := range d.entries {
		if !fn(d.entries[i].key, d.entries[i].val) {
			return
		}
	}
}

func (d *Dict) find(k Value) int {
	if k.kind == KindString {
		if d.index != nil {
			return d.lookup(k.s(), keyHash(k.s()))
		}
		for i := range d.entries {
			if d.entries[i].key.kind == KindString && d.entries[i].key.s() == k.s() {
				return i
			}
		}
		return -1
	}
	for i := range d.entries {
		if sameValueZero(d.entries[i].key, k) {
			return i
		}
	}
	return -1
}

// Get returns the value stored at k.
func (d *Dict) Get(k Value) (Value, bool) {
	if i := d.find(k); i >= 0 {
		return d.entries[i].val, true
	}
	return Null, false
}

// GetString returns the value stored at the string key k.
func (d *Dict) GetString(k string) (Value, bool) { return d.Get(String(k)) }

// Set stores v at k; an existing key keeps its position.
func (d *Dict) Set(k, v Value) {
	var h uint32
	i := -1
	if d.index != nil && k.kind == KindString {
		h = keyHash(k.s()) // hashed once for the lookup and the insert
		i = d.lookup(k.s(), h)
	} else {
		i = d.find(k)
	}
	if i >= 0 {
		d.ci.replace(int32(i), d.entries[i].key, d.entries[i].val, v)
		d.entries[i].val = v
		return
	}
	if d.ci.ok {
		d.ci.add(int32(len(d.entries)), k, v, false)
	}
	d.entries = append(d.entries, entry{k, v})
	if d.index != nil {
		if k.kind == KindString {
			d.insert(h, len(d.entries)-1)
		}
	} else if len(d.entries) > dictIndexThreshold {
		d.buildIndex()
	}
}

// SetString stores v at the string key k.
func (d *Dict) SetString(k string, v Value) { d.Set(String(k), v) }

// sameValueZero is JavaScript's SameValueZero (Map keys, Array.includes).
func sameValueZero(a, b Value) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case KindNull:
		return true
	case KindBool:
		return a.f() == b.f()
	case KindNumber:
		return a.f() == b.f() || (a.f() != a.f() && b.f() != b.f())
	case KindString:
		return a.s() == b.s()
	case KindDateTime:
		return false // distinct objects in the reference
	default:
		return a.p == b.p
	}
}

// strictEquals is JavaScript ===.
func strictEquals(a, b Value) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case KindNull:
		return true
	case KindBool, KindNumber:
		return a.f() == b.f()
	case KindString:
		return a.s() == b.s()
	case KindDateTime:
		return false
	default:
		return a.p == b.p
	}
}

// utf16Len is the JavaScript .length of s.
func utf16Len(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return utf16LenSlow(s)
		}
		n++
	}
	return n
}

func utf16LenSlow(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
