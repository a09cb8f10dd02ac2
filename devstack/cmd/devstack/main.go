// Command devstack runs every hoggo service in one process on embedded
// defaults (`make dev`). Ctrl-C stops everything cleanly.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hoggo/common/config"
	"github.com/hoggo/devstack"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	slog.SetDefault(log)
	if err := run(log); err != nil {
		log.Error("devstack failed", "error", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	cfg, err := config.Parse[devstack.Config]()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	stack, err := devstack.Start(ctx, cfg, devstack.Services(cfg), log)
	if err != nil {
		return err
	}
	fmt.Printf("\nhoggo dev stack is up (Ctrl-C to stop)\n")
	fmt.Printf("  %-16s %s\n", "kafka", stack.Kafka)
	fmt.Printf("  %-16s %s\n", "postgres", stack.DatabaseURL)
	fmt.Printf("  %-16s %s\n", "redis", stack.RedisURL)
	for _, e := range stack.Services {
		fmt.Printf("  %-16s %s\n", e.Name, e.URL)
	}
	fmt.Printf("  %-16s %s\n\n", "demo token", devstack.DemoToken)

	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case <-stack.Failed():
		log.Error("a service failed, shutting down", "error", stack.Err())
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := stack.Stop(stopCtx); err != nil {
		return err
	}
	return stack.Err()
}
