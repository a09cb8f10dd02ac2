package devstack

import (
	"context"

	"github.com/hoggo/capture"
	"github.com/hoggo/common/config"
	flags "github.com/hoggo/feature-flags"
)

// Services lists every implemented service with the address it listens on
// in the dev stack. A service joins this list when its issue lands.
func Services(cfg Config) []Service {
	return []Service{
		{Name: "capture", Address: cfg.CaptureAddress, Run: runCapture("events")},
		{Name: "replay-capture", Address: cfg.ReplayAddress, Run: runCapture("recordings")},
		{Name: "feature-flags", Address: cfg.FlagsAddress, Run: runFlags},
	}
}

func runCapture(mode string) func(context.Context, Deps) error {
	return func(ctx context.Context, d Deps) error {
		c := capture.DefaultConfig()
		c.CaptureMode = mode
		c.Kafka.Hosts = d.KafkaHosts
		c.RedisURL = d.RedisURL
		if mode == "recordings" {
			c.KafkaTopic = "session_recording_snapshot_item_events"
		}
		return capture.RunWithOptions(ctx, c, capture.Options{Listener: d.Listener})
	}
}

func runFlags(ctx context.Context, d Deps) error {
	c, err := config.ParseFrom[flags.Config](map[string]string{})
	if err != nil {
		return err
	}
	c.ReadDatabaseURL = d.DatabaseURL
	c.WriteDatabaseURL = d.DatabaseURL
	c.RedisURL = d.RedisURL
	return flags.Serve(ctx, c, d.Listener)
}
