package redistest

import (
	"context"
	"testing"
	"time"

	"github.com/hoggo/common/redis"
)

func TestURLSwitchesDatabase(t *testing.T) {
	t.Setenv("REDIS_URL", "redis://example:6380/2")
	if got := URL(t, 11); got != "redis://example:6380/11" {
		t.Errorf("URL(11) = %s", got)
	}
	if got := URL(t, -1); got != "redis://example:6380/2" {
		t.Errorf("URL(-1) = %s", got)
	}
}

func TestNewConnects(t *testing.T) {
	c := New(t, URL(t, 12), redis.Options{Timeout: time.Second})
	ctx := context.Background()
	if err := c.Raw().Set(ctx, "redistest:k", "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Raw().Get(ctx, "redistest:k").Result(); err != nil || v != "v" {
		t.Fatalf("get = %q, %v", v, err)
	}
}
