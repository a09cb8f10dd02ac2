package store

import (
	"context"
	"sync"
	"time"
)

// ttlCache is a small in-process cache with per-entry expiry and one loader
// per key at a time, so a burst of requests for a cold team does one load.
type ttlCache[K comparable, V any] struct {
	mu      sync.Mutex
	entries map[K]*ttlEntry[V]
}

type ttlEntry[V any] struct {
	value   V
	err     error
	expires time.Time
	ready   chan struct{}
}

func newTTLCache[K comparable, V any]() *ttlCache[K, V] {
	return &ttlCache[K, V]{entries: map[K]*ttlEntry[V]{}}
}

// get returns the cached value for k or runs load. load returns the value,
// how long to keep it (0 = do not cache) and an error (never cached).
// Concurrent callers for the same cold key wait for the one load.
func (c *ttlCache[K, V]) get(ctx context.Context, k K, load func(context.Context) (V, time.Duration, error)) (V, error) {
	c.mu.Lock()
	if e, ok := c.entries[k]; ok {
		select {
		case <-e.ready:
			if time.Now().Before(e.expires) {
				c.mu.Unlock()
				return e.value, nil
			}
			delete(c.entries, k) // expired: reload below
		default:
			// Another caller is loading: wait for its result.
			c.mu.Unlock()
			select {
			case <-e.ready:
				return e.value, e.err
			case <-ctx.Done():
				var zero V
				return zero, ctx.Err()
			}
		}
	}
	e := &ttlEntry[V]{ready: make(chan struct{})}
	c.entries[k] = e
	c.mu.Unlock()

	v, ttl, err := load(ctx)
	c.mu.Lock()
	e.value, e.err = v, err
	if err != nil || ttl <= 0 {
		if c.entries[k] == e {
			delete(c.entries, k)
		}
	} else {
		e.expires = time.Now().Add(ttl)
	}
	close(e.ready)
	c.mu.Unlock()
	return v, err
}

// invalidate drops k.
func (c *ttlCache[K, V]) invalidate(k K) {
	c.mu.Lock()
	delete(c.entries, k)
	c.mu.Unlock()
}
