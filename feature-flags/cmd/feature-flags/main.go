// Command feature-flags runs the flag evaluation service configured from the
// environment (see the module README).
package main

import (
	"context"
	"log/slog"
	"os"
	"runtime/debug"

	"github.com/hoggo/common/lifecycle"

	flags "github.com/hoggo/feature-flags"
)

// gcPercent is the GC target when GOGC is unset: the live heap (flag sets,
// caches) is small and every request allocates a few tens of KB, so the
// default 100 % collects very often.
const gcPercent = 400

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stderr, nil)))
	cfg, err := flags.LoadConfig()
	if err != nil {
		slog.Error("config", "err", err)
		os.Exit(1)
	}
	// The lifecycle manager traps SIGTERM/SIGINT and polls the pre-stop
	// file: readiness turns 503 and in-flight requests drain.
	opts := flags.Options{Lifecycle: lifecycle.DefaultOptions("feature-flags")}
	if err := flags.RunWithOptions(context.Background(), cfg, opts); err != nil {
		slog.Error("feature-flags stopped", "err", err)
		os.Exit(1)
	}
}
