// Command feature-flags runs the flag evaluation service configured from the
// environment (see the module README).
package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := flags.Run(ctx, cfg); err != nil {
		slog.Error("feature-flags stopped", "err", err)
		os.Exit(1)
	}
}
