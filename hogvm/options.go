package hogvm

import (
	"context"
	"fmt"
	"io"
	"time"
)

// Limits of the reference VM (constants.ts).
const (
	DefaultTimeout       = 5 * time.Second
	DefaultMaxAsyncSteps = 100
	DefaultMemoryLimit   = 64 * 1024 * 1024
	MaxCallStack         = 1000
	MaxFunctionArgs      = 300
)

// HostFunc is a synchronous host function. Arguments arrive in call order.
type HostFunc func(args []Value) (Value, error)

// AsyncFunc performs the side effect of a suspended async call (fetch,
// postHogCapture, ...); its result is pushed onto the stack before resuming.
type AsyncFunc func(ctx context.Context, args []Value) (Value, error)

// Options configure one execution. The zero value uses the reference defaults.
type Options struct {
	// Globals is a dict of global variables (event, person, inputs, ...), merged over the root chunk's globals.
	Globals Value
	// Functions are synchronous host functions, looked up before the STL.
	Functions map[string]HostFunc
	// AsyncFunctions are host functions that suspend the VM. Exec returns a
	// suspended Result for them; ExecAsync calls them and resumes.
	AsyncFunctions map[string]AsyncFunc
	// ImportBytecode resolves `import('<module>')` chunks not present in the program.
	ImportBytecode func(module string) (*Program, error)
	// Timeout bounds the cumulative synchronous run time (default 5 s).
	Timeout time.Duration
	// MaxAsyncSteps bounds the number of suspensions (default 100).
	MaxAsyncSteps int
	// MemoryLimit bounds the stack's memory cost in bytes (default 64 MiB, negative disables).
	MemoryLimit int
	// Stdout receives one line per print() call (default: discarded unless Print is set).
	Stdout io.Writer
	// Print, when set, receives each printed line instead of Stdout.
	Print func(line string)
}

func (o *Options) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return DefaultTimeout
}

func (o *Options) maxAsyncSteps() int {
	if o.MaxAsyncSteps > 0 {
		return o.MaxAsyncSteps
	}
	return DefaultMaxAsyncSteps
}

func (o *Options) memoryLimit() int {
	if o.MemoryLimit != 0 {
		return o.MemoryLimit
	}
	return DefaultMemoryLimit
}

func (o *Options) printLine(line string) {
	switch {
	case o.Print != nil:
		o.Print(line)
	case o.Stdout != nil:
		_, _ = io.WriteString(o.Stdout, line+"\n")
	}
}

// Result is the outcome of Exec: finished with a value, or suspended on an async call.
type Result struct {
	// Finished is true when the program ran to completion.
	Finished bool
	// Value is the program's return value when finished.
	Value Value
	// AsyncFunctionName and AsyncFunctionArgs describe the pending call when suspended.
	AsyncFunctionName string
	AsyncFunctionArgs []Value
	// State is the VM snapshot: resume it with Resume after performing the async call.
	State *State
	// Ops is the number of operations performed so far.
	Ops int
}

// Error is a VM error (HogVMException in the reference).
type Error struct {
	Message string
}

func (e *Error) Error() string { return e.Message }

// UncaughtError is a Hog error thrown with `throw` and not caught.
type UncaughtError struct {
	Type    string
	Message string
	Payload Value
}

func (e *UncaughtError) Error() string {
	return fmt.Sprintf("%s('%s')", e.Type, escapeQuotes(e.Message))
}

func escapeQuotes(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return string(out)
}

func vmErrorf(format string, args ...any) error {
	return &Error{Message: fmt.Sprintf(format, args...)}
}
