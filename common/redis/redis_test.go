package redis

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

func redisURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("REDIS_URL")
	if u == "" {
		u = "redis://127.0.0.1:6379/0"
	}
	c, err := New(context.Background(), u, Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Ping(context.Background()); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis not reachable (CI=true requires it): %v", err)
		}
		t.Skipf("Redis not reachable: %v", err)
	}
	return u
}

// testClient returns a client whose keys live under a prefix unique to the
// test, deleted at cleanup.
func testClient(t *testing.T) *Client {
	t.Helper()
	prefix := fmt.Sprintf("hoggo-test:%s:%d:", t.Name(), time.Now().UnixNano())
	c, err := New(context.Background(), redisURL(t), Options{KeyPrefix: prefix, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := c.Raw().Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			c.Raw().Del(ctx, keys...)
		}
		c.Close()
	})
	return c
}

func TestGetSetCodecs(t *testing.T) {
	c := testClient(t)
	ctx := context.Background()
	for _, codec := range []Codec{Pickle, UTF8, Raw} {
		key := "k-" + codec.String()
		if err := c.Set(ctx, key, "héllo", codec, 0); err != nil {
			t.Fatal(err)
		}
		got, err := c.Get(ctx, key, codec)
		if err != nil || got != "héllo" {
			t.Errorf("%v: Get = %q, %v", codec, got, err)
		}
	}
	// On the wire: pickle protocol 5 for Pickle, bare bytes for the others.
	raw, err := c.GetBytes(ctx, "k-pickle")
	if err != nil || hex.EncodeToString(raw) != "8005950a000000000000008c0668c3a96c6c6f942e" {
		t.Errorf("pickled bytes = %x, %v", raw, err)
	}
	raw, _ = c.GetBytes(ctx, "k-utf8")
	if string(raw) != "héllo" {
		t.Errorf("utf8 bytes = %q", raw)
	}
	// The prefix is applied on the wire.
	if n, _ := c.Raw().Exists(ctx, c.Key("k-raw")).Result(); n != 1 {
		t.Error("prefixed key missing")
	}
}

func TestGetReadsWhatPythonWrote(t *testing.T) {
	c := testClient(t)
	ctx := context.Background()
	// pickle.dumps('{"flags":[...]}', 5) as Django's cache writes it.
	b, _ := hex.DecodeString("80059538000000000000008c347b22666c616773223a5b7b226b6579223a2266222c22616374697665223a747275657d5d2c22636f686f727473223a6e756c6c7d942e")
	if err := c.SetBytes(ctx, "flags.json", b, 0); err != nil {
		t.Fatal(err)
	}
	got, err := c.Get(ctx, "flags.json", Pickle)
	if err != nil || got != `{"flags":[{"key":"f","active":true}],"cohorts":null}` {
		t.Fatalf("Get = %q, %v", got, err)
	}
	// Django stores plain ints as text.
	if err := c.SetBytes(ctx, "count", []byte("17"), 0); err != nil {
		t.Fatal(err)
	}
	if v, err := c.GetValue(ctx, "count"); err != nil || v != int64(17) {
		t.Fatalf("GetValue(count) = %#v, %v", v, err)
	}
	if s, err := c.Get(ctx, "count", Pickle); err != nil || s != "17" {
		t.Fatalf("Get(count) = %q, %v", s, err)
	}
	// A pickled list is not a string.
	lb, _ := EncodePickle([]any{"a"})
	_ = c.SetBytes(ctx, "list", lb, 0)
	if _, err := c.Get(ctx, "list", Pickle); err == nil {
		t.Fatal("list decoded as string")
	}
	if v, err := c.GetValue(ctx, "list"); err != nil || len(v.([]any)) != 1 {
		t.Fatalf("GetValue(list) = %#v, %v", v, err)
	}
}

func TestSetValueRoundTrip(t *testing.T) {
	c := testClient(t)
	ctx := context.Background()
	in := map[string]any{"flags": []any{"a", "b"}, "n": int64(3)}
	if err := c.SetValue(ctx, "v", in, 0); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetValue(ctx, "v")
	if err != nil || fmt.Sprint(got) != fmt.Sprint(in) {
		t.Fatalf("GetValue = %v, %v", got, err)
	}
	if err := c.SetValue(ctx, "i", 42, 0); err != nil {
		t.Fatal(err)
	}
	if raw, _ := c.GetBytes(ctx, "i"); string(raw) != "42" {
		t.Fatalf("int stored as %q, want Django's decimal text", raw)
	}
}

func TestNotFound(t *testing.T) {
	c := testClient(t)
	ctx := context.Background()
	if _, err := c.Get(ctx, "missing", Pickle); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
	_ = c.SetBytes(ctx, "empty", nil, 0)
	if _, err := c.Get(ctx, "empty", UTF8); !errors.Is(err, ErrNotFound) {
		t.Errorf("empty: %v", err)
	}
	if _, err := c.HGet(ctx, "nohash", "f"); !errors.Is(err, ErrNotFound) {
		t.Errorf("hget missing: %v", err)
	}
	_ = c.SetBytes(ctx, "bad", []byte{0xff, 0xfe}, 0)
	if _, err := c.Get(ctx, "bad", UTF8); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("invalid utf8: %v", err)
	}
}

func TestSetNXEXAndDel(t *testing.T) {
	c := testClient(t)
	ctx := context.Background()
	ok, err := c.SetNXEX(ctx, "lock", "a", time.Minute, UTF8)
	if err != nil || !ok {
		t.Fatalf("first SetNXEX = %v, %v", ok, err)
	}
	ok, err = c.SetNXEX(ctx, "lock", "b", time.Minute, UTF8)
	if err != nil || ok {
		t.Fatalf("second SetNXEX = %v, %v", ok, err)
	}
	if v, _ := c.Get(ctx, "lock", UTF8); v != "a" {
		t.Fatalf("value = %q", v)
	}
	ttl, _ := c.Raw().TTL(ctx, c.Key("lock")).Result()
	if ttl <= 0 || ttl > time.Minute {
		t.Fatalf("ttl = %v", ttl)
	}
	if err := c.Del(ctx, "lock"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, "lock", UTF8); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after Del: %v", err)
	}
	if err := c.Set(ctx, "ttl", "x", Raw, time.Minute); err != nil {
		t.Fatal(err)
	}
	if ttl, _ := c.Raw().TTL(ctx, c.Key("ttl")).Result(); ttl <= 0 {
		t.Fatalf("Set ttl = %v", ttl)
	}
}

func TestHashSortedSetAndSet(t *testing.T) {
	c := testClient(t)
	ctx := context.Background()
	if n, err := c.HIncrBy(ctx, "posthog:decide_requests:1", "171000", 1); err != nil || n != 1 {
		t.Fatalf("HIncrBy = %d, %v", n, err)
	}
	if n, _ := c.HIncrBy(ctx, "posthog:decide_requests:1", "171000", 2); n != 3 {
		t.Fatalf("HIncrBy = %d", n)
	}
	if v, err := c.HGet(ctx, "posthog:decide_requests:1", "171000"); err != nil || v != "3" {
		t.Fatalf("HGet = %q, %v", v, err)
	}
	c.Raw().ZAdd(ctx, c.Key("z"), redisZ(1, "old"), redisZ(100, "mid"), redisZ(1e12, "future"))
	got, err := c.ZRangeByScore(ctx, "z", "50", "+inf")
	if err != nil || fmt.Sprint(got) != "[mid future]" {
		t.Fatalf("ZRangeByScore = %v, %v", got, err)
	}
	c.Raw().SAdd(ctx, c.Key("s"), "a", "b", "c")
	if n, err := c.SCard(ctx, "s"); err != nil || n != 3 {
		t.Fatalf("SCard = %d, %v", n, err)
	}
}

// A server that accepts connections and never answers: every command must
// give up after the client timeout with ErrTimeout.
func TestTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()
	c, err := New(context.Background(), "redis://"+ln.Addr().String()+"/0", Options{Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	_, err = c.Get(context.Background(), "k", Pickle)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Get against a silent server: %v, want ErrTimeout", err)
	}
	if _, err := c.ZRangeByScore(context.Background(), "z", "0", "+inf"); !errors.Is(err, ErrTimeout) {
		t.Fatalf("ZRangeByScore: %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("timeouts took %v", time.Since(start))
	}
}

func TestDefaultOptions(t *testing.T) {
	c, err := New(context.Background(), "redis://127.0.0.1:6379/0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.timeout != DefaultTimeout || c.Key("k") != "k" {
		t.Fatalf("timeout %v key %q", c.timeout, c.Key("k"))
	}
	if _, err := New(context.Background(), "http://nope", Options{}); err == nil {
		t.Fatal("bad url accepted")
	}
}

func redisZ(score float64, member string) goredis.Z { return goredis.Z{Score: score, Member: member} }
