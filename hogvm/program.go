package hogvm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"
)

// Opcodes of the Hog bytecode (the Operation enum of the reference VMs).
const (
	opGetGlobal          = 1
	opCallGlobal         = 2
	opAnd                = 3
	opOr                 = 4
	opNot                = 5
	opPlus               = 6
	opMinus              = 7
	opMultiply           = 8
	opDivide             = 9
	opMod                = 10
	opEq                 = 11
	opNotEq              = 12
	opGt                 = 13
	opGtEq               = 14
	opLt                 = 15
	opLtEq               = 16
	opLike               = 17
	opILike              = 18
	opNotLike            = 19
	opNotILike           = 20
	opIn                 = 21
	opNotIn              = 22
	opRegex              = 23
	opNotRegex           = 24
	opIRegex             = 25
	opNotIRegex          = 26
	opInCohort           = 27
	opNotInCohort        = 28
	opTrue               = 29
	opFalse              = 30
	opNull               = 31
	opString             = 32
	opInteger            = 33
	opFloat              = 34
	opPop                = 35
	opGetLocal           = 36
	opSetLocal           = 37
	opReturn             = 38
	opJump               = 39
	opJumpIfFalse        = 40
	opDeclareFn          = 41
	opDict               = 42
	opArray              = 43
	opTuple              = 44
	opGetProperty        = 45
	opSetProperty        = 46
	opJumpIfStackNotNull = 47
	opGetPropertyNullish = 48
	opThrow              = 49
	opTry                = 50
	opPopTry             = 51
	opCallable           = 52
	opClosure            = 53
	opCallLocal          = 54
	opGetUpvalue         = 55
	opSetUpvalue         = 56
	opCloseUpvalue       = 57
)

// notInt marks a token that is not an integral number.
const notInt = math.MinInt64

// opNullToken marks a JSON null in opcode position (a no-op in the reference).
const opNullToken = 0

// opInvalid marks a token that is not an opcode.
const opInvalid = 255

// chunk is one decoded token array: the root program, an imported module or a
// bytecode-implemented STL function.
type chunk struct {
	name    string
	toks    []Value // every token as a Hog value
	ints    []int64 // every token as an integer, notInt when it is not one
	ops     []uint8 // every token as an opcode: 0 for a JSON null (a no-op), opInvalid when not an opcode
	raw     json.RawMessage
	globals *Dict
	stl     []*stlEntry // STL function named by each token, resolved at load; nil when none is
}

// Program is loaded bytecode, ready to run any number of times concurrently.
type Program struct {
	chunks  map[string]*chunk
	version int

	machines sync.Pool // finished *machine values, reused by Exec

	rootOnce    sync.Once
	rootClosure *Closure // the root frame's closure, never mutated, shared by every run
}

// root returns the closure every run's root frame executes.
func (p *Program) root() *Closure {
	p.rootOnce.Do(func() {
		root := p.chunks["root"]
		p.rootClosure = &Closure{Callable: &Callable{Kind: "local", IP: 1, Chunk: "root", ch: root}}
	})
	return p.rootClosure
}

// ErrInvalidBytecode is returned by Load for input that is not Hog bytecode.
var ErrInvalidBytecode = errors.New("Invalid HogQL bytecode, must start with '_H'")

// Load parses JSON bytecode: either a token array (["_H", 1, ...] or legacy
// ["_h", ...]) or {"bytecodes": {"root": {"bytecode": [...], "globals": {...}}, "<module>": {...}}}.
func Load(data []byte) (*Program, error) {
	data = bytes.TrimSpace(data)
	p := &Program{chunks: map[string]*chunk{}}
	if len(data) > 0 && data[0] == '{' {
		var multi struct {
			Bytecodes map[string]struct {
				Bytecode json.RawMessage `json:"bytecode"`
				Globals  json.RawMessage `json:"globals"`
			} `json:"bytecodes"`
		}
		if err := json.Unmarshal(data, &multi); err != nil {
			return nil, fmt.Errorf("decode bytecodes: %w", err)
		}
		for name, entry := range multi.Bytecodes {
			c, err := decodeChunk(name, entry.Bytecode)
			if err != nil {
				return nil, err
			}
			if len(entry.Globals) > 0 && !bytes.Equal(entry.Globals, []byte("null")) {
				g, err := ParseJSON(entry.Globals)
				if err != nil {
					return nil, fmt.Errorf("decode globals of %s: %w", name, err)
				}
				c.globals = g.AsDict()
			}
			p.chunks[name] = c
		}
	} else {
		c, err := decodeChunk("root", data)
		if err != nil {
			return nil, err
		}
		p.chunks["root"] = c
	}
	root := p.chunks["root"]
	if root == nil || len(root.toks) == 0 || root.toks[0].kind != KindString || (root.toks[0].s() != "_H" && root.toks[0].s() != "_h") {
		return nil, ErrInvalidBytecode
	}
	if root.toks[0].s() == "_H" && len(root.ints) > 1 && root.ints[1] != notInt {
		p.version = int(root.ints[1])
	}
	return p, nil
}

// LoadTokens builds a Program from already-decoded tokens (JSON-like Go values:
// string, float64, int, bool, nil, json.Number).
func LoadTokens(tokens []any) (*Program, error) {
	data, err := json.Marshal(tokens)
	if err != nil {
		return nil, fmt.Errorf("encode tokens: %w", err)
	}
	return Load(data)
}

func decodeChunk(name string, data json.RawMessage) (*chunk, error) {
	v, err := ParseJSON(data)
	if err != nil {
		return nil, fmt.Errorf("decode bytecode of %s: %w", name, err)
	}
	arr := v.AsArray()
	if arr == nil {
		return nil, fmt.Errorf("decode bytecode of %s: %w", name, ErrInvalidBytecode)
	}
	c := newChunk(name, arr.Items)
	c.raw = append(json.RawMessage(nil), data...)
	return c, nil
}

func newChunk(name string, toks []Value) *chunk {
	c := &chunk{name: name, toks: toks, ints: make([]int64, len(toks)), ops: make([]uint8, len(toks))}
	for i, t := range toks {
		c.ints[i] = tokenInt(t)
		c.ops[i] = opInvalid
		if t.kind == KindNull {
			c.ops[i] = opNullToken
		} else if n := c.ints[i]; t.kind == KindNumber && n >= opGetGlobal && n <= opCloseUpvalue {
			c.ops[i] = uint8(n)
		}
		c.toks[i].cost = uint32(min(valueCost(t), math.MaxUint32)) // constants are pushed with their cost
		if t.kind == KindString {
			if e := stlFunctions[t.s()]; e != nil {
				if c.stl == nil {
					c.stl = make([]*stlEntry, len(toks))
				}
				c.stl[i] = e
			}
		}
	}
	return c
}

func tokenInt(t Value) int64 {
	switch t.kind {
	case KindNumber:
		if t.f() == math.Trunc(t.f()) && math.Abs(t.f()) < 1<<53 {
			return int64(t.f())
		}
	case KindBool:
		return int64(t.f())
	case KindNull:
		return opNullToken
	}
	return notInt
}
