package hogvm

import (
	"context"
	"time"
)

// State is a suspended execution. Resume it after performing the async call.
type State struct {
	m *machine
}

// Resume continues a suspended execution with the async call's result.
func Resume(s *State, result Value, opts *Options) (*Result, error) {
	m := s.m
	if opts != nil {
		m.opts = opts
		m.timeout = opts.timeout()
		m.memLimit = opts.memoryLimit()
	}
	m.start = time.Now()
	if err := m.push(result); err != nil {
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
