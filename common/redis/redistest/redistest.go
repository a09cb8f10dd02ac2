// Package redistest connects tests to the real Redis at REDIS_URL (default
// redis://127.0.0.1:6379/0). Under CI=true a Redis that does not answer
// fails the test; elsewhere the test is skipped.
package redistest

import (
	"context"
	"net/url"
	"os"
	"strconv"
	"testing"

	"github.com/hoggo/common/redis"
)

// DefaultURL is used when REDIS_URL is unset.
const DefaultURL = "redis://127.0.0.1:6379/0"

// URL returns REDIS_URL (or DefaultURL), switched to database db when db >= 0
// so a package's unprefixed keys do not meet other packages'.
func URL(t testing.TB, db int) string {
	t.Helper()
	u := os.Getenv("REDIS_URL")
	if u == "" {
		u = DefaultURL
	}
	if db < 0 {
		return u
	}
	p, err := url.Parse(u)
	if err != nil {
		t.Fatalf("REDIS_URL: %v", err)
	}
	p.Path = "/" + strconv.Itoa(db)
	return p.String()
}

// New connects to rawURL with opts, pings, and closes the client when the
// test ends.
func New(t testing.TB, rawURL string, opts redis.Options) *redis.Client {
	t.Helper()
	c, err := redis.New(context.Background(), rawURL, opts)
	if err == nil {
		if err = c.Ping(context.Background()); err != nil {
			c.Close()
		}
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis at %s is required under CI=true: %v", rawURL, err)
		}
		t.Skipf("redis unavailable: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
