package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestCLI builds the binary and checks stdout, stderr and the exit status.
func TestCLI(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "hogvm")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v: %s", err, out)
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ok := write("ok.hoge", `["_H", 1, 32, "name", 32, "event", 1, 2, 2, "print", 1, 35, 33, 1, 33, 2, 2, "print", 2, 35]`)
	globals := write("globals.json", `{"event": {"name": "pageview"}}`)
	bad := write("bad.hoge", `["_H", 1, 32, "boom", 2, "Error", 1, 49]`)

	cmd := exec.Command(bin, "run", ok, "--globals", globals)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("run ok: %v: %s", err, stderr.String())
	}
	if stdout.String() != "pageview\n1 2\n" {
		t.Fatalf("stdout = %q", stdout.String())
	}

	cmd = exec.Command(bin, "run", bad)
	stdout.Reset()
	stderr.Reset()
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ee, isExit := err.(*exec.ExitError); !isExit || ee.ExitCode() == 0 {
		t.Fatalf("bad program: err %v", err)
	}
	if stderr.String() != "Error('boom')\n" {
		t.Fatalf("stderr = %q", stderr.String())
	}
}
