package hogvm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// State is a suspended execution. Resume it with Resume after performing the
// async call, or serialise it with MarshalJSON (the TypeScript VM's VMState
// format) and restore it with UnmarshalState.
type State struct {
	m *machine
}

// Ops reports the number of operations performed so far.
func (s *State) Ops() int { return s.m.ops }

// AsyncSteps reports the number of suspensions so far.
func (s *State) AsyncSteps() int { return s.m.async }

// MaxMemUsed reports the peak memory cost of the stack.
func (s *State) MaxMemUsed() int { return s.m.maxMem }

// Resume continues a suspended execution with the async call's result.
func Resume(s *State, result Value, opts *Options) (*Result, error) {
	m := s.m
	if opts != nil {
		m.opts = opts
		m.timeout = opts.timeout()
		m.memLimit = opts.memoryLimit()
	}
	m.start = time.Now()
	if err := m.push(roundTrip(result, map[any]Value{})); err != nil {
		return nil, err
	}
	return m.run()
}

// ExecAsync runs a program to completion, performing async calls with
// opts.AsyncFunctions (and the built-in sleep) and resuming after each.
func ExecAsync(ctx context.Context, p *Program, opts *Options) (*Result, error) {
	if opts == nil {
		opts = &Options{}
	}
	res, err := Exec(p, opts)
	for err == nil && !res.Finished {
		var v Value
		if fn, ok := opts.AsyncFunctions[res.AsyncFunctionName]; ok && fn != nil {
			v, err = fn(ctx, res.AsyncFunctionArgs)
		} else if res.AsyncFunctionName == "sleep" {
			err = sleep(ctx, arg(res.AsyncFunctionArgs, 0))
		} else {
			err = vmErrorf("Invalid async function call: %s", res.AsyncFunctionName)
		}
		if err != nil {
			return nil, err
		}
		res, err = Resume(res.State, v, opts)
	}
	return res, err
}

func sleep(ctx context.Context, seconds Value) error {
	d := time.Duration(toNumber(seconds) * float64(time.Second))
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// snapshot converts the live values the way the reference's VMState
// round trip does (convertHogToJS then convertJSToHog): dicts get string keys
// in JavaScript order, tuples become arrays, errors become dicts, and values
// shared between stack slots stop being shared.
func (m *machine) snapshot() {
	for i, v := range m.stack {
		m.stack[i] = roundTrip(v, map[any]Value{})
	}
	for _, u := range m.upvalues {
		u.value = roundTrip(u.value, map[any]Value{})
	}
}

func roundTrip(v Value, found map[any]Value) Value {
	switch v.kind {
	case KindArray:
		a := v.AsArray()
		if c, ok := found[a]; ok {
			return c
		}
		out := &Array{Items: make([]Value, len(a.Items))}
		nv := arrayValue(out)
		found[a] = nv
		for i, it := range a.Items {
			out.Items[i] = roundTrip(it, found)
		}
		delete(found, a)
		return nv
	case KindDict:
		d := v.AsDict()
		if c, ok := found[d]; ok {
			return c
		}
		out := NewDict(d.Len())
		nv := NewDictValue(out)
		found[d] = nv
		for i := range d.entries {
			k := d.entries[i].key
			out.Set(String(jsKeyString(k)), roundTrip(d.entries[i].val, found))
		}
		jsOrder(out)
		delete(found, d)
		return nv
	case KindError:
		e := v.AsError()
		out := NewDict(4)
		out.SetString("__hogError__", True)
		out.SetString("type", String(e.Type))
		out.SetString("message", String(e.Message))
		out.SetString("payload", roundTrip(e.Payload, found))
		return NewDictValue(out)
	}
	return v
}

// stateJSON mirrors the TypeScript VMState.
type stateJSON struct {
	Bytecodes         map[string]bytecodeEntry `json:"bytecodes"`
	Bytecode          json.RawMessage          `json:"bytecode,omitempty"`
	Stack             []json.RawMessage        `json:"stack"`
	Upvalues          []upvalueJSON            `json:"upvalues"`
	CallStack         []frameJSON              `json:"callStack"`
	ThrowStack        []throwJSON              `json:"throwStack"`
	DeclaredFunctions map[string][2]int        `json:"declaredFunctions"`
	Ops               int                      `json:"ops"`
	AsyncSteps        int                      `json:"asyncSteps"`
	SyncDuration      float64                  `json:"syncDuration"`
	MaxMemUsed        int                      `json:"maxMemUsed"`
}

type bytecodeEntry struct {
	Bytecode json.RawMessage `json:"bytecode"`
	Globals  json.RawMessage `json:"globals,omitempty"`
}

type upvalueJSON struct {
	HogUpValue bool            `json:"__hogUpValue__"`
	ID         int             `json:"id"`
	Location   int             `json:"location"`
	Closed     bool            `json:"closed"`
	Value      json.RawMessage `json:"value"`
}

type frameJSON struct {
	IP         int             `json:"ip"`
	Chunk      string          `json:"chunk"`
	StackStart int             `json:"stackStart"`
	ArgCount   int             `json:"argCount"`
	Closure    json.RawMessage `json:"closure"`
}

type throwJSON struct {
	CallStackLen int `json:"callStackLen"`
	StackLen     int `json:"stackLen"`
	CatchIP      int `json:"catchIp"`
}

// stateValue renders a value as it appears inside a VMState.
func stateValue(v Value) json.RawMessage {
	var sb strings.Builder
	w := jsonWriter{sb: &sb, state: true}
	w.value(v, 0)
	return json.RawMessage(sb.String())
}

// MarshalJSON encodes the state as the TypeScript VM's VMState JSON.
func (s *State) MarshalJSON() ([]byte, error) {
	m := s.m
	out := stateJSON{
		Bytecodes:         map[string]bytecodeEntry{},
		Stack:             make([]json.RawMessage, len(m.stack)),
		Upvalues:          make([]upvalueJSON, len(m.upvalues)),
		CallStack:         make([]frameJSON, len(m.calls)),
		ThrowStack:        make([]throwJSON, len(m.throws)),
		DeclaredFunctions: map[string][2]int{},
		Ops:               m.ops,
		AsyncSteps:        m.async,
		SyncDuration:      float64(m.syncDuration.Milliseconds()),
		MaxMemUsed:        m.maxMem,
	}
	for name, c := range m.prog.chunks {
		e := bytecodeEntry{Bytecode: c.raw}
		if c.globals != nil {
			e.Globals = stateValue(NewDictValue(c.globals))
		}
		out.Bytecodes[name] = e
	}
	for name, c := range m.imported {
		out.Bytecodes[name] = bytecodeEntry{Bytecode: c.raw}
	}
	for i, v := range m.stack {
		out.Stack[i] = stateValue(v)
	}
	for i, u := range m.upvalues {
		out.Upvalues[i] = upvalueJSON{HogUpValue: true, ID: u.id, Location: u.location, Closed: u.closed, Value: stateValue(u.value)}
	}
	for i, f := range m.calls {
		out.CallStack[i] = frameJSON{IP: f.ip, Chunk: f.ch.name, StackStart: f.stackStart, ArgCount: f.argCount, Closure: stateValue(closureValue(f.closure))}
	}
	for i, t := range m.throws {
		out.ThrowStack[i] = throwJSON{CallStackLen: t.callStackLen, StackLen: t.stackLen, CatchIP: t.catchIP}
	}
	for k, v := range m.declared {
		out.DeclaredFunctions[k] = v
	}
	return json.Marshal(out)
}

// UnmarshalState restores a state serialised by MarshalJSON or by the TypeScript VM.
func UnmarshalState(data []byte) (*State, error) {
	var in stateJSON
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, fmt.Errorf("decode state: %w", err)
	}
	bytecodes := in.Bytecodes
	if len(in.Bytecode) > 0 {
		bytecodes = map[string]bytecodeEntry{"root": {Bytecode: in.Bytecode}}
	}
	p := &Program{chunks: map[string]*chunk{}}
	for name, e := range bytecodes {
		c, err := decodeChunk(name, e.Bytecode)
		if err != nil {
			return nil, err
		}
		if len(e.Globals) > 0 && !bytes.Equal(e.Globals, []byte("null")) {
			g, err := stateDecode(e.Globals)
			if err != nil {
				return nil, err
			}
			c.globals = g.AsDict()
		}
		p.chunks[name] = c
	}
	root := p.chunks["root"]
	if root == nil || len(root.toks) == 0 || root.toks[0].kind != KindString || (root.toks[0].s() != "_H" && root.toks[0].s() != "_h") {
		return nil, ErrInvalidBytecode
	}
	if root.toks[0].s() == "_H" && len(root.ints) > 1 && root.ints[1] != notInt {
		p.version = int(root.ints[1])
	}
	m := newMachine(p, &Options{})
	m.ops, m.async, m.maxMem = in.Ops, in.AsyncSteps, in.MaxMemUsed
	m.syncDuration = time.Duration(in.SyncDuration * float64(time.Millisecond))
	for _, raw := range in.Stack {
		v, err := stateDecode(raw)
		if err != nil {
			return nil, err
		}
		c := m.cost(v)
		v.cost = uint32(min(c, math.MaxUint32))
		m.stack = append(m.stack, v)
		m.memUsed += c
	}
	maxID := 0
	for _, u := range in.Upvalues {
		v, err := stateDecode(u.Value)
		if err != nil {
			return nil, err
		}
		m.upvalues = append(m.upvalues, &upvalue{id: u.ID, location: u.Location, closed: u.Closed, value: v})
		maxID = max(maxID, u.ID)
	}
	sort.SliceStable(m.upvalues, func(i, j int) bool { return m.upvalues[i].location < m.upvalues[j].location })
	m.upByID = make([]*upvalue, maxID)
	for _, u := range m.upvalues {
		if u.id >= 1 {
			m.upByID[u.id-1] = u
		}
	}
	for i := range m.upByID {
		if m.upByID[i] == nil {
			m.upByID[i] = &upvalue{id: i + 1, closed: true}
		}
	}
	for _, f := range in.CallStack {
		c, err := m.chunkByName(f.Chunk)
		if err != nil {
			return nil, err
		}
		cv, err := stateDecode(f.Closure)
		if err != nil {
			return nil, err
		}
		m.calls = append(m.calls, frame{ip: f.IP, ch: c, stackStart: f.StackStart, argCount: f.ArgCount, closure: cv.closure()})
	}
	if len(m.calls) == 0 {
		return nil, fmt.Errorf("decode state: empty call stack")
	}
	for _, t := range in.ThrowStack {
		m.throws = append(m.throws, throwFrame{callStackLen: t.CallStackLen, stackLen: t.StackLen, catchIP: t.CatchIP})
	}
	if len(in.DeclaredFunctions) > 0 {
		m.declared = in.DeclaredFunctions
	}
	return &State{m: m}, nil
}

// stateDecode parses a VMState value: JSON with datetimes, dates, closures and
// callables revived (errors stay dicts, as in the reference).
func stateDecode(raw json.RawMessage) (Value, error) {
	v, err := ParseJSON(raw)
	if err != nil {
		return Null, err
	}
	return reviveState(v), nil
}

func reviveState(v Value) Value {
	switch v.kind {
	case KindArray:
		a := v.AsArray()
		for i, it := range a.Items {
			a.Items[i] = reviveState(it)
		}
		a.ci = costIndex{}
	case KindDict:
		d := v.AsDict()
		if x, ok := d.GetString("__hogDateTime__"); ok && Truthy(x) {
			return reviveMarkers(d)
		}
		if x, ok := d.GetString("__hogDate__"); ok && Truthy(x) {
			return reviveMarkers(d)
		}
		if x, ok := d.GetString("__hogClosure__"); ok && Truthy(x) {
			cv, _ := d.GetString("callable")
			c := reviveCallable(cv)
			if c == nil {
				return v
			}
			cl := &Closure{Callable: c}
			if ups, ok := d.GetString("upvalues"); ok && ups.AsArray() != nil {
				for _, u := range ups.AsArray().Items {
					cl.Upvalues = append(cl.Upvalues, int(toNumber(u)))
				}
			}
			return closureValue(cl)
		}
		if x, ok := d.GetString("__hogCallable__"); ok && Truthy(x) {
			if c := reviveCallable(v); c != nil {
				return callableValue(c)
			}
			return v
		}
		for i := range d.entries {
			d.entries[i].val = reviveState(d.entries[i].val)
		}
		d.ci = costIndex{}
	}
	return v
}

func reviveCallable(v Value) *Callable {
	d := v.AsDict()
	if d == nil {
		return nil
	}
	get := func(k string) Value { x, _ := d.GetString(k); return x }
	kind := get("__hogCallable__")
	name := get("name")
	c := &Callable{Kind: jsString(kind), ArgCount: int(toNumber(get("argCount"))), UpvalueCount: int(toNumber(get("upvalueCount"))),
		IP: int(toNumber(get("ip"))), Chunk: jsString(get("chunk"))}
	if name.kind != KindNull {
		c.Name = jsString(name)
	}
	return c
}

func (w *jsonWriter) stateCallable(c *Callable) {
	// key order of the reference's newHogCallable
	keys := []Value{String("__hogCallable__"), String("name"), String("chunk"), String("argCount"), String("upvalueCount"), String("ip")}
	vals := []Value{String(c.Kind), String(c.Name), String(c.Chunk), Int(c.ArgCount), Int(c.UpvalueCount), Int(c.IP)}
	w.object(keys, vals, 0)
}

func (w *jsonWriter) stateClosure(c *Closure) {
	w.sb.WriteString(`{"__hogClosure__":true,"callable":`)
	w.stateCallable(c.Callable)
	w.sb.WriteString(`,"upvalues":[`)
	for i, id := range c.Upvalues {
		if i > 0 {
			w.sb.WriteByte(',')
		}
		w.sb.WriteString(strconv.Itoa(id))
	}
	w.sb.WriteString("]}")
}
