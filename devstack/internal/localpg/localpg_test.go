package localpg

import (
	"context"
	"os/exec"
	"testing"
	"time"
)

func TestStartServesQueries(t *testing.T) {
	if _, err := findBin(); err != nil {
		t.Skip(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := Start(ctx)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	defer s.Stop(context.Background())
	out, err := exec.CommandContext(ctx, "psql", s.URL("postgres"), "-XAtc", "select 40+2").CombinedOutput()
	if err != nil {
		t.Fatalf("psql: %v: %s", err, out)
	}
	if got := string(out); got != "42\n" {
		t.Fatalf("query answered %q, want 42", got)
	}
}
