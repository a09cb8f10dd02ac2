// Command capture runs PostHog's event capture service, configured by env.
package main

import (
	"context"
	"log/slog"
	"os"
	"runtime/debug"

	"github.com/hoggo/capture"
)

// gcPercent is the GC target when GOGC is unset: capture's live heap is a
// few MB, so the default 100 % makes the collector run every few requests;
// 400 % trades a few MB of RSS for about twice the decode throughput
// (BENCHMARKS.md).
const gcPercent = 400

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	cfg, err := capture.LoadConfig()
	if err != nil {
		slog.Error("config", "error", err)
		os.Exit(1)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
	// SIGINT/SIGTERM and the pre-stop file start a graceful shutdown
	// (common/lifecycle): readiness turns 503, requests drain, the producer
	// flushes, all within 30 s.
	if err := capture.RunWithOptions(context.Background(), cfg, capture.Options{Production: true}); err != nil {
		slog.Error("capture stopped", "error", err)
		os.Exit(1)
	}
}
