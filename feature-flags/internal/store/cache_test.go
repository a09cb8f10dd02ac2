package store

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestTTLCache(t *testing.T) {
	c := newTTLCache[string, int]()
	var loads atomic.Int32
	load := func(ttl time.Duration) func(context.Context) (int, time.Duration, error) {
		return func(context.Context) (int, time.Duration, error) {
			loads.Add(1)
			time.Sleep(10 * time.Millisecond)
			return 7, ttl, nil
		}
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if v, err := c.get(context.Background(), "k", load(time.Minute)); v != 7 || err != nil {
				t.Errorf("get = %d %v", v, err)
			}
		})
	}
	wg.Wait()
	if n := loads.Load(); n != 1 {
		t.Errorf("concurrent cold gets loaded %d times, want 1", n)
	}
	// ttl 0 is not cached; errors are not cached.
	loads.Store(0)
	c.get(context.Background(), "z", load(0))
	c.get(context.Background(), "z", load(0))
	if n := loads.Load(); n != 2 {
		t.Errorf("uncached loads = %d, want 2", n)
	}
	boom := errors.New("boom")
	if _, err := c.get(context.Background(), "e", func(context.Context) (int, time.Duration, error) { return 0, time.Minute, boom }); !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
	if v, _ := c.get(context.Background(), "e", load(time.Minute)); v != 7 {
		t.Error("an error must not be cached")
	}
	c.invalidate("k")
	loads.Store(0)
	c.get(context.Background(), "k", load(time.Minute))
	if loads.Load() != 1 {
		t.Error("invalidate must force a reload")
	}
}

func TestDecodeHyperCache(t *testing.T) {
	b, err := DecodeHyperCache([]byte{0x80, 0x05, 0x95, 9, 0, 0, 0, 0, 0, 0, 0, 0x8c, 6, '{', '"', 'a', '"', ':', '1', 0x94, '.'})
	if err != nil || string(b) != `{"a":1` {
		t.Errorf("pickled str = %q %v", b, err)
	}
	if _, err := DecodeHyperCache([]byte("\x80\x05\x95\x0d\x00\x00\x00\x00\x00\x00\x00\x8c\x0b__missing__\x94.")); !errors.Is(err, errMissing) {
		t.Errorf("__missing__ = %v", err)
	}
	if b, err := DecodeHyperCache([]byte(`{"flags":[]}`)); err != nil || string(b) != `{"flags":[]}` {
		t.Errorf("plain JSON = %q %v", b, err)
	}
}
