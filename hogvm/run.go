package hogvm

import (
	"math"
	"strings"

	"github.com/hoggo/hogvm/internal/jsnum"
)

var errEndOfBytecode = &Error{Message: "Unexpected end of bytecode"}

// errRegexType is what the reference's RE2 matcher throws for a regex that is not a string.
var errRegexType = &Error{Message: "Expected string, Buffer, RegExp, or RE2 as the 1st argument."}

// run is the interpreter loop.
func (m *machine) run() (*Result, error) {
	fr := &m.calls[len(m.calls)-1]
	ch := fr.ch
	ints := ch.ints
	ops := ch.ops
	toks := ch.toks
	ip := fr.ip

	for {
		if uint(ip) >= uint(len(ints)) {
			if ip < 0 {
				return nil, vmErrorf("Unexpected node while running bytecode in chunk %q: undefined", ch.name)
			}
			// ran off the end of the chunk: implicit return
			if len(m.calls) <= 1 {
				m.calls = m.calls[:0]
				if len(m.stack) > 0 {
					v, _ := m.pop()
					return m.finish(v), nil
				}
				return m.finish(Null), nil
			}
			last := m.calls[len(m.calls)-1]
			m.calls = m.calls[:len(m.calls)-1]
			m.dropStaleTries()
			if err := m.keepFirst(last.stackStart); err != nil {
				return nil, err
			}
			if err := m.push(Null); err != nil {
				return nil, err
			}
			fr = &m.calls[len(m.calls)-1]
			ch, ints, ops, toks, ip = fr.ch, fr.ch.ints, fr.ch.ops, fr.ch.toks, fr.ip
			continue
		}
		m.ops++
		if m.ops&127 == 0 {
			if err := m.checkTimeout(); err != nil {
				return nil, err
			}
		}
		switch ops[ip] {
		case opNullToken:
		case opString, opInteger, opFloat:
			if ip >= len(ints)-1 {
				return nil, errEndOfBytecode
			}
			ip++
			m.stack = append(m.stack, toks[ip])
			m.memUsed += int(m.stack[len(m.stack)-1].cost)
			if m.memUsed > m.maxMem {
				if err := m.grewMem(); err != nil {
					return nil, err
				}
			}
		case opTrue:
			if err := m.push(True); err != nil {
				return nil, err
			}
		case opFalse:
			if err := m.push(False); err != nil {
				return nil, err
			}
		case opNull:
			if err := m.push(Null); err != nil {
				return nil, err
			}
		case opNot:
			v, err := m.pop()
			if err != nil {
				return nil, err
			}
			if err := m.push(Bool(!Truthy(v))); err != nil {
				return nil, err
			}
		case opAnd, opOr:
			ip++
			n, err := intOperand(ch, ints, ip)
			if err != nil {
				return nil, err
			}
			isAnd := ints[ip-1] == opAnd
			acc := isAnd
			for i := int64(0); i < n; i++ {
				v, err := m.pop()
				if err != nil {
					return nil, err
				}
				if isAnd {
					acc = Truthy(v) && acc
				} else {
					acc = Truthy(v) || acc
				}
			}
			if err := m.push(Bool(acc)); err != nil {
				return nil, err
			}
		case opPlus, opMinus, opMultiply, opDivide, opMod:
			n := len(m.stack)
			if n < 2 {
				return nil, errEmptyStack
			}
			l, r := m.stack[n-1], m.stack[n-2]
			var a, b float64
			if l.kind == KindNumber && r.kind == KindNumber {
				a, b = l.f(), r.f()
			} else {
				a, b = toNumber(l), toNumber(r)
			}
			var out float64
			switch ints[ip] {
			case opPlus:
				out = a + b
			case opMinus:
				out = a - b
			case opMultiply:
				out = a * b
			case opDivide:
				out = a / b
			default:
				out = jsMod(a, b)
			}
			m.memUsed -= int(m.stack[n-1].cost+m.stack[n-2].cost) - costUnit
			m.stack = m.stack[:n-1]
			m.stack[n-2] = Value{kind: KindNumber, cost: costUnit, bits: math.Float64bits(out)}
		case opEq, opNotEq, opGt, opGtEq, opLt, opLtEq:
			n := len(m.stack)
			if n < 2 {
				return nil, errEmptyStack
			}
			var out bool
			if a, b := &m.stack[n-1], &m.stack[n-2]; a.kind == KindNumber && b.kind == KindNumber {
				switch ints[ip] {
				case opEq:
					out = a.f() == b.f()
				case opNotEq:
					out = a.f() != b.f()
				case opGt:
					out = a.f() > b.f()
				case opGtEq:
					out = a.f() >= b.f()
				case opLt:
					out = a.f() < b.f()
				default:
					out = a.f() <= b.f()
				}
			} else {
				out = compareValues(ints[ip], *a, *b)
			}
			m.memUsed -= int(m.stack[n-1].cost+m.stack[n-2].cost) - costUnit
			m.stack = m.stack[:n-1]
			b := False
			if out {
				b = True
			}
			b.cost = costUnit
			m.stack[n-2] = b
		case opLike, opILike, opNotLike, opNotILike:
			l, r, err := m.pop2()
			if err != nil {
				return nil, err
			}
			op := ints[ip]
			out := like(jsString(l), jsString(r), op == opILike || op == opNotILike)
			if op == opNotLike || op == opNotILike {
				out = !out
			}
			if err := m.push(Bool(out)); err != nil {
				return nil, err
			}
		case opIn, opNotIn:
			needle, hay, err := m.pop2()
			if err != nil {
				return nil, err
			}
			out, err := includes(hay, needle)
			if err != nil {
				return nil, err
			}
			if ints[ip] == opNotIn {
				out = !out
			}
			if err := m.push(Bool(out)); err != nil {
				return nil, err
			}
		case opRegex, opNotRegex, opIRegex, opNotIRegex:
			value, rx, err := m.pop2()
			if err != nil {
				return nil, err
			}
			op := ints[ip]
			out := false
			if op == opIRegex || op == opNotIRegex {
				rx = String("(?i)" + jsString(rx))
			}
			if Truthy(rx) && Truthy(value) {
				if rx.kind != KindString {
					return nil, errRegexType
				}
				out, err = m.regexMatch(rx.s(), jsString(value))
				if err != nil {
					return nil, err
				}
			}
			if op == opNotRegex || op == opNotIRegex {
				out = !out
			}
			if err := m.push(Bool(out)); err != nil {
				return nil, err
			}
		case opGetGlobal:
			ip++
			n, err := intOperand(ch, ints, ip)
			if err != nil {
				return nil, err
			}
			if n < 0 || n > int64(len(m.stack)) {
				return nil, errEmptyStack
			}
			chain := make([]Value, n)
			for i := range chain {
				chain[i], _ = m.pop()
			}
			v, err := m.getGlobal(ch, chain)
			if err != nil {
				return nil, err
			}
			if err := m.push(v); err != nil {
				return nil, err
			}
		case opPop:
			if _, err := m.pop(); err != nil {
				return nil, err
			}
		case opCloseUpvalue:
			if err := m.keepFirst(len(m.stack) - 1); err != nil {
				return nil, err
			}
		case opReturn:
			result, err := m.pop()
			if err != nil {
				return nil, err
			}
			last := m.calls[len(m.calls)-1]
			m.calls = m.calls[:len(m.calls)-1]
			if len(m.calls) == 0 {
				return m.finish(result), nil
			}
			m.dropStaleTries()
			if err := m.keepFirst(last.stackStart); err != nil {
				return nil, err
			}
			if err := m.push(result); err != nil {
				return nil, err
			}
			fr = &m.calls[len(m.calls)-1]
			ch, ints, ops, toks, ip = fr.ch, fr.ch.ints, fr.ch.ops, fr.ch.toks, fr.ip
			continue
		case opGetLocal:
			ip++
			n, err := intOperand(ch, ints, ip)
			if err != nil {
				return nil, err
			}
			i := int64(fr.stackStart) + n
			v := Null
			if i >= 0 && i < int64(len(m.stack)) {
				v = m.stack[i]
			}
			if v.kind > KindString {
				// containers are re-measured, scalars keep the slot's cost
				c := m.cost(v)
				v.cost = uint32(min(c, math.MaxUint32))
			} else if v.kind == KindNull {
				v.cost = costUnit
			}
			m.stack = append(m.stack, v)
			m.memUsed += int(m.stack[len(m.stack)-1].cost)
			if m.memUsed > m.maxMem {
				if err := m.grewMem(); err != nil {
					return nil, err
				}
			}
		case opSetLocal:
			ip++
			n, err := intOperand(ch, ints, ip)
			if err != nil {
				return nil, err
			}
			v, err := m.pop()
			if err != nil {
				return nil, err
			}
			i := int64(fr.stackStart) + n
			if i < 0 || i >= int64(len(m.stack)) {
				return nil, vmErrorf("Stack underflow")
			}
			c := m.cost(v)
			m.memUsed += c - int(m.stack[i].cost)
			v.cost = uint32(min(c, math.MaxUint32))
			m.stack[i] = v
			if m.memUsed > m.maxMem {
				m.maxMem = m.memUsed
			}
		case opGetProperty, opGetPropertyNullish:
			key, obj, err := m.pop2()
			if err != nil {
				return nil, err
			}
			v, err := getProperty(obj, key)
			if err != nil {
				return nil, err
			}
			if err := m.push(v); err != nil {
				return nil, err
			}
		case opSetProperty:
			value, err := m.pop()
			if err != nil {
				return nil, err
			}
			key, obj, err := m.pop2()
			if err != nil {
				return nil, err
			}
			if err := setProperty(obj, key, value); err != nil {
				return nil, err
			}
		case opDict:
			ip++
			n, err := intOperand(ch, ints, ip)
			if err != nil {
				return nil, err
			}
			if n < 0 || 2*n > int64(len(m.stack)) {
				return nil, vmErrorf("Stack underflow")
			}
			start := len(m.stack) - int(2*n)
			d := NewDict(int(n))
			for i := start; i < len(m.stack); i += 2 {
				d.Set(m.stack[i], m.stack[i+1])
			}
			m.dropTail(start)
			if err := m.push(NewDictValue(d)); err != nil {
				return nil, err
			}
		case opArray, opTuple:
			ip++
			n, err := intOperand(ch, ints, ip)
			if err != nil {
				return nil, err
			}
			if n < 0 || n > int64(len(m.stack)) {
				return nil, vmErrorf("Stack underflow")
			}
			start := len(m.stack) - int(n)
			items := make([]Value, n)
			copy(items, m.stack[start:])
			m.dropTail(start)
			if err := m.push(arrayValue(&Array{Items: items, Tuple: ints[ip-1] == opTuple})); err != nil {
				return nil, err
			}
		case opJump:
			ip++
			n, err := intOperand(ch, ints, ip)
			if err != nil {
				return nil, err
			}
			ip += int(n)
		case opJumpIfFalse:
			ip++
			n, err := intOperand(ch, ints, ip)
			if err != nil {
				return nil, err
			}
			top := len(m.stack) - 1
			if top < 0 {
				return nil, errEmptyStack
			}
			m.memUsed -= int(m.stack[top].cost)
			truthy := Truthy(m.stack[top])
			m.stack = m.stack[:top]
			if !truthy {
				ip += int(n)
			}
		case opJumpIfStackNotNull:
			ip++
			n, err := intOperand(ch, ints, ip)
			if err != nil {
				return nil, err
			}
			if len(m.stack) > 0 && m.stack[len(m.stack)-1].kind != KindNull {
				ip += int(n)
			}
		case opDeclareFn:
			if ip+3 >= len(ints) {
				return nil, errEndOfBytecode
			}
			name := jsString(toks[ip+1])
			argc, bodyLen := ints[ip+2], ints[ip+3]
			if argc == notInt || bodyLen == notInt {
				return nil, vmErrorf("Invalid DECLARE_FN")
			}
			ip += 3
			if m.declared == nil {
				m.declared = map[string][2]int{}
			}
			m.declared[name] = [2]int{ip + 1, int(argc)}
			ip += int(bodyLen)
		case opCallable:
			if ip+4 >= len(ints) {
				return nil, errEndOfBytecode
			}
			nameTok := toks[ip+1]
			argc, upc, bodyLen := ints[ip+2], ints[ip+3], ints[ip+4]
			if argc == notInt || upc == notInt || bodyLen == notInt {
				return nil, vmErrorf("Invalid CALLABLE")
			}
			ip += 4
			name := jsString(nameTok)
			if nameTok.kind == KindNull {
				name = ""
			}
			c := &Callable{Kind: "local", Name: name, ArgCount: int(argc), UpvalueCount: int(upc), IP: ip + 1, Chunk: ch.name, ch: ch}
			if err := m.push(callableValue(c)); err != nil {
				return nil, err
			}
			ip += int(bodyLen)
		case opClosure:
			cv, err := m.pop()
			if err != nil {
				return nil, err
			}
			callable := cv.callable()
			if callable == nil {
				return nil, vmErrorf("Invalid callable: %s", debugJSON(cv))
			}
			ip++
			n, err := intOperand(ch, ints, ip)
			if err != nil {
				return nil, err
			}
			if n != int64(callable.UpvalueCount) {
				return nil, vmErrorf("Invalid upvalue count. Expected %d, got %d", callable.UpvalueCount, n)
			}
			ups := make([]int, n)
			for i := range ups {
				ip++
				isLocal, err := intOperand(ch, ints, ip)
				if err != nil {
					return nil, err
				}
				ip++
				index, err := intOperand(ch, ints, ip)
				if err != nil {
					return nil, err
				}
				if isLocal != 0 {
					ups[i] = m.captureUpvalue(fr.stackStart + int(index)).id
				} else {
					if fr.closure != nil && index >= 0 && index < int64(len(fr.closure.Upvalues)) {
						ups[i] = fr.closure.Upvalues[index]
					} // else id 0: the reference stores undefined and fails on use
				}
			}
			if err := m.push(closureValue(&Closure{Callable: callable, Upvalues: ups})); err != nil {
				return nil, err
			}
		case opGetUpvalue:
			ip++
			n, err := intOperand(ch, ints, ip)
			if err != nil {
				return nil, err
			}
			u, err := m.upvalueAt(fr.closure, n)
			if err != nil {
				return nil, err
			}
			v := u.value
			if !u.closed {
				v = Null
				if u.location < len(m.stack) {
					v = m.stack[u.location]
				}
			}
			if err := m.push(v); err != nil {
				return nil, err
			}
		case opSetUpvalue:
			ip++
			n, err := intOperand(ch, ints, ip)
			if err != nil {
				return nil, err
			}
			u, err := m.upvalueAt(fr.closure, n)
			if err != nil {
				return nil, err
			}
			v, err := m.pop()
			if err != nil {
				return nil, err
			}
			if u.closed {
				u.value = v
			} else if u.location < len(m.stack) {
				m.stack[u.location] = v
			}
		case opCallGlobal:
			if ip+2 >= len(ints) {
				return nil, errEndOfBytecode
			}
			nameIP := ip + 1
			name := jsString(toks[nameIP])
			argcI := ints[ip+2]
			if argcI == notInt {
				return nil, vmErrorf("Invalid argument count in chunk %q", ch.name)
			}
			ip += 2
			argc := int(argcI)
			if d, ok := m.declared[name]; ok && name != "toString" {
				fr.ip = ip + 1
				for i := argc; i < d[1]; i++ {
					if err := m.push(Null); err != nil {
						return nil, err
					}
				}
				m.calls = append(m.calls, frame{ip: d[0], ch: ch, stackStart: len(m.stack) - d[1], argCount: d[1],
					closure: &Closure{Callable: &Callable{Kind: "local", Name: name, ArgCount: d[1], IP: d[0], Chunk: ch.name, ch: ch}}})
				fr = &m.calls[len(m.calls)-1]
				ch, ints, ops, toks, ip = fr.ch, fr.ch.ints, fr.ch.ops, fr.ch.toks, fr.ip
				continue
			}
			if argc > len(m.stack) || argc < 0 {
				return nil, vmErrorf("Not enough arguments on the stack")
			}
			if argc > MaxFunctionArgs {
				return nil, vmErrorf("Too many arguments")
			}
			if name == "import" {
				args, err := m.takeArgs(argc)
				if err != nil {
					return nil, err
				}
				if len(args) != 1 {
					return nil, vmErrorf("Function import requires exactly 1 argument")
				}
				mod := jsString(args[0])
				c, err := m.chunkByName(mod)
				if err != nil {
					return nil, err
				}
				fr.ip = ip + 1
				m.calls = append(m.calls, frame{ch: c, stackStart: len(m.stack),
					closure: &Closure{Callable: &Callable{Kind: "local", Name: mod, Chunk: mod, ch: c}}})
				m.enterChunk(&m.calls[len(m.calls)-1])
				fr = &m.calls[len(m.calls)-1]
				ch, ints, ops, toks, ip = fr.ch, fr.ch.ints, fr.ch.ops, fr.ch.toks, fr.ip
				continue
			}
			if fn, ok := m.opts.Functions[name]; ok && fn != nil {
				args, err := m.takeArgs(argc)
				if err != nil {
					return nil, err
				}
				v, err := fn(args)
				if err != nil {
					return nil, err
				}
				if err := m.push(v); err != nil {
					return nil, err
				}
				break
			}
			if name != "toString" {
				if _, ok := m.opts.AsyncFunctions[name]; ok || name == "sleep" {
					if m.async >= m.opts.maxAsyncSteps() {
						return nil, vmErrorf("Exceeded maximum number of async steps: %d", m.opts.maxAsyncSteps())
					}
					args, err := m.takeArgs(argc)
					if err != nil {
						return nil, err
					}
					fr.ip = ip + 1
					return m.suspend(name, args), nil
				}
			}
			var e *stlEntry
			if ch.stl != nil {
				e = ch.stl[nameIP] // resolved at load
			} else {
				e = stlFunctions[name]
			}
			if e != nil {
				if argc < e.min {
					return nil, vmErrorf("Function %s requires at least %d arguments", name, e.min)
				}
				if e.max >= 0 && argc > e.max {
					return nil, vmErrorf("Function %s requires at most %d arguments", name, e.max)
				}
				var args []Value
				if m.version == 0 {
					var err error
					args, err = m.takeArgs(argc)
					if err != nil {
						return nil, err
					}
				} else {
					// call with a view of the stack; STL functions copy what they keep
					args = m.stack[len(m.stack)-argc:]
				}
				v, err := e.fn(m, args)
				if err != nil {
					return nil, err
				}
				if m.version != 0 {
					if err := m.keepFirst(len(m.stack) - argc); err != nil {
						return nil, err
					}
				}
				if err := m.push(v); err != nil {
					return nil, err
				}
				break
			}
			if b := bytecodeSTL[name]; b != nil {
				if argc != len(b.args) {
					return nil, vmErrorf("Function %s requires exactly %d arguments", name, len(b.args))
				}
				fr.ip = ip + 1
				m.calls = append(m.calls, frame{ch: b.chunk, stackStart: len(m.stack) - argc, argCount: argc,
					closure: &Closure{Callable: &Callable{Kind: "stl", Name: name, ArgCount: argc, Chunk: b.chunk.name, ch: b.chunk}}})
				if len(m.calls) > MaxCallStack {
					return nil, vmErrorf("Call stack exceeded maximum length of %d", MaxCallStack)
				}
				fr = &m.calls[len(m.calls)-1]
				ch, ints, ops, toks, ip = fr.ch, fr.ch.ints, fr.ch.ops, fr.ch.toks, fr.ip
				continue
			}
			return nil, vmErrorf("Unsupported function call: %s", name)
		case opCallLocal:
			cv, err := m.pop()
			if err != nil {
				return nil, err
			}
			closure := cv.closure()
			if closure == nil {
				return nil, vmErrorf("Invalid closure: %s", debugJSON(cv))
			}
			callable := closure.Callable
			if callable == nil {
				return nil, vmErrorf("Invalid callable: null")
			}
			ip++
			n, err := intOperand(ch, ints, ip)
			if err != nil {
				return nil, err
			}
			argc := int(n)
			if argc > len(m.stack) || argc < 0 {
				return nil, vmErrorf("Not enough arguments on the stack")
			}
			if argc > MaxFunctionArgs {
				return nil, vmErrorf("Too many arguments")
			}
			switch callable.Kind {
			case "local":
				for i := argc; i < callable.ArgCount; i++ {
					if err := m.push(Null); err != nil {
						return nil, err
					}
				}
				if argc > callable.ArgCount {
					return nil, vmErrorf("Too many arguments. Passed %d, expected %d", argc, callable.ArgCount)
				}
				if callable.ch == nil {
					c, err := m.chunkByName(callable.Chunk)
					if err != nil {
						return nil, err
					}
					callable.ch = c
				}
				fr.ip = ip + 1
				m.calls = append(m.calls, frame{ip: callable.IP, ch: callable.ch, stackStart: len(m.stack) - callable.ArgCount,
					argCount: callable.ArgCount, closure: closure})
				if len(m.calls) > MaxCallStack {
					return nil, vmErrorf("Call stack exceeded maximum length of %d", MaxCallStack)
				}
				m.enterChunk(&m.calls[len(m.calls)-1])
				fr = &m.calls[len(m.calls)-1]
				ch, ints, ops, toks, ip = fr.ch, fr.ch.ints, fr.ch.ops, fr.ch.toks, fr.ip
				continue
			case "stl":
				e := stlFunctions[callable.Name]
				if e == nil {
					return nil, vmErrorf("Unsupported function call: %s", callable.Name)
				}
				if argc < e.min {
					return nil, vmErrorf("Function %s requires at least %d arguments", callable.Name, e.min)
				}
				if e.max >= 0 && argc > e.max {
					return nil, vmErrorf("Function %s requires at most %d arguments", callable.Name, e.max)
				}
				args := make([]Value, argc, max(argc, e.max))
				for i := 0; i < argc; i++ {
					args[i], _ = m.pop()
				}
				if m.version > 0 {
					for i, j := 0, argc-1; i < j; i, j = i+1, j-1 {
						args[i], args[j] = args[j], args[i]
					}
				}
				for len(args) < e.max {
					args = append(args, Null)
				}
				v, err := e.fn(m, args)
				if err != nil {
					return nil, err
				}
				if err := m.push(v); err != nil {
					return nil, err
				}
			case "async":
				if m.async >= m.opts.maxAsyncSteps() {
					return nil, vmErrorf("Exceeded maximum number of async steps: %d", m.opts.maxAsyncSteps())
				}
				args := make([]Value, argc)
				for i := 0; i < argc; i++ {
					args[i], _ = m.pop()
				}
				fr.ip = ip + 1
				return m.suspend(callable.Name, args), nil
			default:
				return nil, vmErrorf("Unsupported function call: %s", callable.Name)
			}
		case opTry:
			ip++
			n, err := intOperand(ch, ints, ip)
			if err != nil {
				return nil, err
			}
			m.throws = append(m.throws, throwFrame{callStackLen: len(m.calls), stackLen: len(m.stack), catchIP: ip + int(n)})
		case opPopTry:
			if len(m.throws) == 0 {
				return nil, vmErrorf("Invalid operation POP_TRY: no try block to pop")
			}
			m.throws = m.throws[:len(m.throws)-1]
		case opThrow:
			exc, err := m.pop()
			if err != nil {
				return nil, err
			}
			e := exc.AsError()
			if e == nil {
				return nil, vmErrorf("Can not throw: value is not of type Error")
			}
			if len(m.throws) == 0 {
				return nil, &UncaughtError{Type: e.Type, Message: e.Message, Payload: e.Payload}
			}
			t := m.throws[len(m.throws)-1]
			m.throws = m.throws[:len(m.throws)-1]
			if err := m.keepFirst(t.stackLen); err != nil {
				return nil, err
			}
			if t.callStackLen < 1 || t.callStackLen > len(m.calls) {
				return nil, vmErrorf("Invalid try frame")
			}
			m.calls = m.calls[:t.callStackLen]
			if err := m.push(exc); err != nil {
				return nil, err
			}
			fr = &m.calls[len(m.calls)-1]
			ch, ints, ops, toks = fr.ch, fr.ch.ints, fr.ch.ops, fr.ch.toks
			ip = t.catchIP
			continue
		default:
			return nil, vmErrorf("Unexpected node while running bytecode in chunk %q: %s", ch.name, jsString(toks[ip]))
		}
		ip++
	}
}

// intOperand is the integer operand at ip (the token after an opcode).
func intOperand(ch *chunk, ints []int64, ip int) (int64, error) {
	if ip >= len(ints) {
		return 0, errEndOfBytecode
	}
	n := ints[ip]
	if n == notInt {
		return 0, badOperand(ch, ip)
	}
	return n, nil
}

func badOperand(ch *chunk, ip int) error {
	return vmErrorf("Invalid operand in chunk %q: %s", ch.name, jsString(ch.toks[ip]))
}

// dropTail removes the slots from start on without closing upvalues (DICT/ARRAY/TUPLE).
func (m *machine) dropTail(start int) {
	for i := start; i < len(m.stack); i++ {
		m.memUsed -= int(m.stack[i].cost)
	}
	m.stack = m.stack[:start]
}

// jsMod is JavaScript's % (the sign of the dividend).
func jsMod(a, b float64) float64 {
	if b == 0 || math.IsInf(a, 0) || a != a || b != b {
		return math.NaN()
	}
	if math.IsInf(b, 0) {
		return a
	}
	return math.Mod(a, b)
}

// includes implements IN: array membership (SameValueZero) or substring.
func includes(hay, needle Value) (bool, error) {
	switch hay.kind {
	case KindArray:
		for _, it := range hay.AsArray().Items {
			if sameValueZero(it, needle) {
				return true, nil
			}
		}
		return false, nil
	case KindString:
		return strings.Contains(hay.s(), jsString(needle)), nil
	case KindNull:
		return false, vmErrorf("Cannot read properties of null (reading 'includes')")
	}
	return false, vmErrorf("popStack(...).includes is not a function")
}

func typeofJS(v Value) string {
	switch v.kind {
	case KindBool:
		return "boolean"
	case KindNumber:
		return "number"
	case KindString:
		return "string"
	}
	return "object"
}

func jsKeyString(v Value) string {
	if v.kind == KindNumber {
		return jsnum.Format(v.f())
	}
	return jsString(v)
}

func debugJSON(v Value) string {
	if v.kind == KindNull {
		return "null"
	}
	return jsonStringify(v, 0)
}

// compareValues applies a comparison opcode after the reference's type
// unification. Two arrays or tuples of finite numbers (sortableSemver's
// output) compare element by element.
func compareValues(op int64, left, right Value) bool {
	l, r := unifyComparisonTypes(left, right)
	if c, ok := compareNumberArrays(l, r); ok {
		switch op {
		case opEq:
			return c == 0
		case opNotEq:
			return c != 0
		case opGt:
			return c > 0
		case opGtEq:
			return c >= 0
		case opLt:
			return c < 0
		}
		return c <= 0
	}
	switch op {
	case opEq:
		return strictEquals(l, r)
	case opNotEq:
		return !strictEquals(l, r)
	case opGt:
		return jsCompare(l, r, opGT)
	case opGtEq:
		return jsCompare(l, r, opGTE)
	case opLt:
		return jsCompare(l, r, opLT)
	}
	return jsCompare(l, r, opLTE)
}

func compareNumberArrays(l, r Value) (int, bool) {
	la, ra := l.AsArray(), r.AsArray()
	if la == nil || ra == nil || !finiteNumbers(la.Items) || !finiteNumbers(ra.Items) {
		return 0, false
	}
	for i := 0; i < min(len(la.Items), len(ra.Items)); i++ {
		a, b := la.Items[i].f(), ra.Items[i].f()
		if a != b {
			if a < b {
				return -1, true
			}
			return 1, true
		}
	}
	switch {
	case len(la.Items) < len(ra.Items):
		return -1, true
	case len(la.Items) > len(ra.Items):
		return 1, true
	}
	return 0, true
}

func finiteNumbers(items []Value) bool {
	for _, it := range items {
		if it.kind != KindNumber || math.IsInf(it.f(), 0) || it.f() != it.f() {
			return false
		}
	}
	return true
}
