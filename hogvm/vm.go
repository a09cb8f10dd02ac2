package hogvm

import (
	"math"
	"strconv"
	"strings"
	"time"
)

type frame struct {
	ip         int
	ch         *chunk
	stackStart int
	argCount   int
	closure    *Closure
}

type throwFrame struct {
	callStackLen int
	stackLen     int
	catchIP      int
}

type upvalue struct {
	id       int
	location int
	closed   bool
	value    Value
}

// machine is the state of one execution; it lives on in a State while suspended.
type machine struct {
	prog     *Program
	opts     *Options
	version  int
	stack    []Value
	memUsed  int
	maxMem   int
	memLimit int
	calls    []frame
	throws   []throwFrame
	upvalues []*upvalue // sorted by location
	upByID   []*upvalue // index id-1
	declared map[string][2]int
	ops      int
	async    int

	syncDuration time.Duration
	start        time.Time
	timeout      time.Duration
	lastCheck    int

	rootGlobals *Dict
	imported    map[string]*chunk
	regexes     map[string]*regexEntry
	walker      costWalker
	jsonCache   map[string]parsedJSON
	strings     strArena

	stackBuf [64]Value // initial backing of stack and calls: one allocation per execution
	callBuf  [8]frame
}

// Exec runs a program until it finishes, fails or suspends on an async call.
// Runtime errors are returned as *Error or *UncaughtError.
func Exec(p *Program, opts *Options) (*Result, error) {
	if opts == nil {
		opts = &Options{}
	}
	m, _ := p.machines.Get().(*machine)
	if m == nil {
		m = new(machine)
	}
	m.init(p, opts)
	m.calls = append(m.calls, frame{ch: p.chunks["root"], closure: p.root()})
	m.enterChunk(&m.calls[0])
	res, err := m.run()
	if res == nil || res.State == nil {
		// nothing returned refers to the machine unless it suspended
		m.reset()
		p.machines.Put(m)
	}
	return res, err
}

// reset clears a finished machine for reuse, as if newly allocated. The string
// arena is kept: strings already cut from it are never written again.
func (m *machine) reset() {
	strs := m.strings
	*m = machine{}
	m.strings = strs
}

func newMachine(p *Program, opts *Options) *machine {
	m := new(machine)
	m.init(p, opts)
	return m
}

func (m *machine) init(p *Program, opts *Options) {
	m.prog = p
	m.opts = opts
	m.version = p.version
	m.memLimit = opts.memoryLimit()
	m.timeout = opts.timeout()
	m.start = time.Now()
	m.stack = m.stackBuf[:0]
	m.calls = m.callBuf[:0]
	rootGlobals := p.chunks["root"].globals
	if g := opts.Globals.AsDict(); g != nil {
		if rootGlobals == nil {
			rootGlobals = g
		} else {
			merged := NewDict(rootGlobals.Len() + g.Len())
			for i := range rootGlobals.entries {
				k := rootGlobals.entries[i].key
				merged.Set(k, rootGlobals.entries[i].val)
			}
			for i := range g.entries {
				k := g.entries[i].key
				merged.Set(k, g.entries[i].val)
			}
			rootGlobals = merged
		}
	}
	m.rootGlobals = rootGlobals
}

// enterChunk skips the header when a frame starts at ip 0 of a chunk that has one.
func (m *machine) enterChunk(f *frame) {
	if f.ip == 0 && len(f.ch.toks) > 0 && f.ch.toks[0].kind == KindString {
		switch f.ch.toks[0].s() {
		case "_H":
			f.ip = 2
		case "_h":
			f.ip = 1
		}
	}
}

// chunkByName resolves a chunk referenced by a callable or frame.
func (m *machine) chunkByName(name string) (*chunk, error) {
	if name == "" || name == "root" {
		return m.prog.chunks["root"], nil
	}
	if strings.HasPrefix(name, "stl/") {
		if c := bytecodeSTL[name[4:]]; c != nil {
			return c.chunk, nil
		}
	}
	if c := m.prog.chunks[name]; c != nil {
		return c, nil
	}
	if c := m.imported[name]; c != nil {
		return c, nil
	}
	if m.opts.ImportBytecode != nil {
		p, err := m.opts.ImportBytecode(name)
		if err != nil {
			return nil, err
		}
		if p != nil {
			c := *p.chunks["root"]
			c.name = name
			if m.imported == nil {
				m.imported = map[string]*chunk{}
			}
			m.imported[name] = &c
			return &c, nil
		}
	}
	return nil, vmErrorf("Unknown chunk: %s", name)
}

func (m *machine) globalsOf(c *chunk) *Dict {
	if c.name == "root" {
		return m.rootGlobals
	}
	return c.globals
}

func (m *machine) checkTimeout() error {
	m.lastCheck = m.ops
	if m.syncDuration+time.Since(m.start) > m.timeout {
		return vmErrorf("Execution timed out after %s seconds. Performed %d ops.", formatSeconds(m.timeout), m.ops)
	}
	return nil
}

func formatSeconds(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Second), 'f', -1, 64)
}

func (m *machine) push(v Value) error {
	c := m.cost(v)
	v.cost = uint32(min(c, math.MaxUint32))
	return m.pushc(v)
}

// pushc pushes a value whose cost field is already set.
func (m *machine) pushc(v Value) error {
	m.stack = append(m.stack, v)
	m.memUsed += int(v.cost)
	if m.memUsed > m.maxMem {
		return m.grewMem()
	}
	return nil
}

func (m *machine) grewMem() error {
	m.maxMem = m.memUsed
	if m.memUsed > m.memLimit && m.memLimit > 0 {
		return vmErrorf("Memory limit of %d bytes exceeded. Tried to allocate %d bytes.", m.memLimit, m.memUsed)
	}
	return nil
}

var errEmptyStack = &Error{Message: "Invalid HogQL bytecode, stack is empty, can not pop"}

func (m *machine) pop() (Value, error) {
	n := len(m.stack) - 1
	if n < 0 {
		return Null, errEmptyStack
	}
	v := m.stack[n]
	m.memUsed -= int(v.cost)
	m.stack = m.stack[:n]
	return v, nil
}

// pop2 pops the top value, then the one below it.
func (m *machine) pop2() (top, below Value, err error) {
	n := len(m.stack) - 2
	if n < 0 {
		return Null, Null, errEmptyStack
	}
	top, below = m.stack[n+1], m.stack[n]
	m.memUsed -= int(top.cost) + int(below.cost)
	m.stack = m.stack[:n]
	return top, below, nil
}

// keepFirst truncates the stack to count slots, closing upvalues above it.
func (m *machine) keepFirst(count int) error {
	if count < 0 || len(m.stack) < count {
		return vmErrorf("Stack underflow")
	}
	for i := len(m.upvalues) - 1; i >= 0; i-- {
		u := m.upvalues[i]
		if u.location < count {
			break
		}
		if !u.closed {
			u.closed = true
			if u.location < len(m.stack) {
				u.value = m.stack[u.location]
			}
		}
	}
	for i := count; i < len(m.stack); i++ {
		m.memUsed -= int(m.stack[i].cost)
	}
	m.stack = m.stack[:count]
	return nil
}

func (m *machine) captureUpvalue(location int) *upvalue {
	for i := len(m.upvalues) - 1; i >= 0; i-- {
		if m.upvalues[i].location < location {
			break
		}
		if m.upvalues[i].location == location {
			return m.upvalues[i]
		}
	}
	u := &upvalue{id: len(m.upByID) + 1, location: location}
	m.upByID = append(m.upByID, u)
	// insert after every upvalue with location <= new location (stable sort order)
	pos := len(m.upvalues)
	for pos > 0 && m.upvalues[pos-1].location > location {
		pos--
	}
	m.upvalues = append(m.upvalues, nil)
	copy(m.upvalues[pos+1:], m.upvalues[pos:])
	m.upvalues[pos] = u
	return u
}

func (m *machine) upvalueAt(c *Closure, index int64) (*upvalue, error) {
	if c == nil || index >= int64(len(c.Upvalues)) {
		return nil, vmErrorf("Invalid upvalue index: %d", index)
	}
	if index < 0 {
		return nil, vmErrorf("Invalid upvalue: undefined")
	}
	id := c.Upvalues[index]
	if id < 1 || id > len(m.upByID) {
		return nil, vmErrorf("Invalid upvalue: undefined")
	}
	return m.upByID[id-1], nil
}

// dropStaleTries removes try frames left behind by frames that returned.
func (m *machine) dropStaleTries() {
	for len(m.throws) > 0 && m.throws[len(m.throws)-1].callStackLen > len(m.calls) {
		m.throws = m.throws[:len(m.throws)-1]
	}
}

func (m *machine) finish(v Value) *Result {
	m.syncDuration += time.Since(m.start)
	return &Result{Finished: true, Value: v, Ops: m.ops}
}

func (m *machine) suspend(name string, args []Value) *Result {
	m.syncDuration += time.Since(m.start)
	m.async++
	m.snapshot()
	return &Result{AsyncFunctionName: name, AsyncFunctionArgs: args, State: &State{m: m}, Ops: m.ops}
}

// takeArgs removes argc values from the stack and returns them in call order.
func (m *machine) takeArgs(argc int) ([]Value, error) {
	args := make([]Value, argc)
	if m.version == 0 {
		for i := 0; i < argc; i++ {
			v, err := m.pop()
			if err != nil {
				return nil, err
			}
			args[i] = v
		}
		return args, nil
	}
	copy(args, m.stack[len(m.stack)-argc:])
	return args, m.keepFirst(len(m.stack) - argc)
}
