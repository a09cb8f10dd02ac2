package hogvm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/hoggo/hogvm"
)

// Run compiled Hog (print(concat('hello ', event.name))) with globals.
func Example() {
	prog, err := hogvm.Load([]byte(`["_H", 1, 32, "hello ", 32, "name", 32, "event", 1, 2, 2, "concat", 2, 2, "print", 1, 35]`))
	if err != nil {
		panic(err)
	}
	globals, _ := hogvm.ParseJSON([]byte(`{"event": {"name": "world"}}`))
	if _, err := hogvm.Exec(prog, &hogvm.Options{Globals: globals, Stdout: os.Stdout}); err != nil {
		fmt.Println("error:", err)
	}
	// Output: hello world
}

// A program's return value comes back in Result.Value.
func ExampleExec() {
	// return {'sum': 1 + 2, 'tags': ('a', 'b')}
	prog, _ := hogvm.Load([]byte(`["_H", 1, 32, "sum", 33, 2, 33, 1, 6, 32, "tags", 32, "a", 32, "b", 44, 2, 42, 2, 38]`))
	res, err := hogvm.Exec(prog, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Finished, hogvm.Print(res.Value))
	// Output: true {'sum': 3, 'tags': ('a', 'b')}
}

// Host functions are plain Go functions.
func ExampleOptions_functions() {
	// print(double(21))
	prog, _ := hogvm.Load([]byte(`["_H", 1, 33, 21, 2, "double", 1, 2, "print", 1, 35]`))
	opts := &hogvm.Options{
		Stdout: os.Stdout,
		Functions: map[string]hogvm.HostFunc{
			"double": func(args []hogvm.Value) (hogvm.Value, error) {
				return hogvm.Number(args[0].AsNumber() * 2), nil
			},
		},
	}
	if _, err := hogvm.Exec(prog, opts); err != nil {
		panic(err)
	}
	// Output: 42
}

// ExecAsync performs async host calls (fetch here) and resumes the VM.
func ExampleExecAsync() {
	// let res := fetch('https://example.com'); print(res.status)
	prog, _ := hogvm.Load([]byte(`["_H", 1, 32, "https://example.com", 2, "fetch", 1, 32, "status", 45, 2, "print", 1, 35]`))
	opts := &hogvm.Options{
		Stdout: os.Stdout,
		AsyncFunctions: map[string]hogvm.AsyncFunc{
			"fetch": func(ctx context.Context, args []hogvm.Value) (hogvm.Value, error) {
				d := hogvm.NewDict(1)
				d.SetString("status", hogvm.Int(200))
				return hogvm.NewDictValue(d), nil
			},
		},
	}
	if _, err := hogvm.ExecAsync(context.Background(), prog, opts); err != nil {
		panic(err)
	}
	// Output: 200
}

// A suspended execution serialises to the TypeScript VM's VMState JSON and
// resumes from it, in this process or another one.
func ExampleUnmarshalState() {
	prog, _ := hogvm.Load([]byte(`["_H", 1, 32, "https://example.com", 2, "fetch", 1, 2, "print", 1, 35]`))
	opts := &hogvm.Options{Stdout: os.Stdout, AsyncFunctions: map[string]hogvm.AsyncFunc{"fetch": nil}}
	res, _ := hogvm.Exec(prog, opts)
	fmt.Println(res.AsyncFunctionName, hogvm.Print(res.AsyncFunctionArgs[0]))

	data, _ := json.Marshal(res.State) // store it, queue it, ...
	state, err := hogvm.UnmarshalState(data)
	if err != nil {
		panic(err)
	}
	if _, err := hogvm.Resume(state, hogvm.String("response body"), opts); err != nil {
		panic(err)
	}
	// Output:
	// fetch 'https://example.com'
	// response body
}
