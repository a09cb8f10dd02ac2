// Command feature-flags runs the flag evaluation service configured from the
// environment (see the module README).
package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	flags "github.com/hoggo/feature-flags"
)

func main() {
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
