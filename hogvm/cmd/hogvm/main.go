// Command hogvm runs compiled Hog bytecode (.hoge files) and prints what the
// program prints, one line per print() call.
//
//	hogvm run program.hoge [--globals globals.json]
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/hoggo/hogvm"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 1 || args[0] != "run" {
		return errors.New("usage: hogvm run FILE.hoge [--globals globals.json]")
	}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	globalsPath := fs.String("globals", "", "JSON file with the program's globals")
	rest := args[1:]
	var file string
	// accept the file before or after the flags
	if len(rest) > 0 && len(rest[0]) > 0 && rest[0][0] != '-' {
		file, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
	}
	if file == "" {
		return errors.New("usage: hogvm run FILE.hoge [--globals globals.json]")
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("read program: %w", err)
	}
	prog, err := hogvm.Load(data)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	opts := &hogvm.Options{Stdout: out}
	if *globalsPath != "" {
		g, err := os.ReadFile(*globalsPath)
		if err != nil {
			return fmt.Errorf("read globals: %w", err)
		}
		opts.Globals, err = hogvm.ParseJSON(g)
		if err != nil {
			return fmt.Errorf("decode globals: %w", err)
		}
	}
	_, err = hogvm.ExecAsync(context.Background(), prog, opts)
	return err
}
