// Package redis wraps go-redis with the behaviour of rust/common/redis: every
// command bounded by a short timeout (REDIS_TIMEOUT_MS, default 100 ms), an
// optional key prefix, values encoded as Python pickle (Django cache
// compatible), UTF-8 or raw bytes, and an empty or missing value reported as
// ErrNotFound.
package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	goredis "github.com/redis/go-redis/v9"
)

// DefaultTimeout is the per-command timeout of the reference client.
const DefaultTimeout = 100 * time.Millisecond

// ErrNotFound is returned for a missing key, a missing hash field or an empty value.
var ErrNotFound = errors.New("redis: not found")

// ErrTimeout is returned (wrapped) when a command exceeds the client timeout.
var ErrTimeout = errors.New("redis: timeout")

// Codec says how values are stored in Redis.
type Codec int

const (
	// Pickle stores values the way Django's Redis cache does: Python pickle,
	// except plain ints which Django stores as decimal text.
	Pickle Codec = iota
	// UTF8 stores the string bytes as they are and checks them on read.
	UTF8
	// Raw stores bytes as they are, no checks.
	Raw
)

func (c Codec) String() string {
	switch c {
	case Pickle:
		return "pickle"
	case UTF8:
		return "utf8"
	case Raw:
		return "raw"
	}
	return "codec(" + strconv.Itoa(int(c)) + ")"
}

// Options configures a Client.
type Options struct {
	// Timeout bounds each command (default DefaultTimeout). Negative disables it.
	Timeout time.Duration
	// KeyPrefix is prepended to every key this client touches.
	KeyPrefix string
}

// Client is a Redis client with the reference's timeouts, key prefix and codecs.
type Client struct {
	rdb     goredis.UniversalClient
	timeout time.Duration
	prefix  string
}

// New connects lazily to the Redis server at url (redis:// or rediss://).
// It does not ping: services start while Redis is down and fail open.
func New(ctx context.Context, url string, opts Options) (*Client, error) {
	o, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("parse redis url: %w", err)
	}
	// Without this go-redis ignores context deadlines on sockets and a
	// silent server blocks for its 3 s read timeout, times the retries.
	o.ContextTimeoutEnabled = true
	return NewFromClient(goredis.NewClient(o), opts), nil
}

// NewFromClient wraps an existing go-redis client. For the per-command
// timeout to hold, rdb must have been created with ContextTimeoutEnabled.
func NewFromClient(rdb goredis.UniversalClient, opts Options) *Client {
	t := opts.Timeout
	if t == 0 {
		t = DefaultTimeout
	}
	return &Client{rdb: rdb, timeout: t, prefix: opts.KeyPrefix}
}

// Raw returns the underlying go-redis client (no prefix, no timeout).
func (c *Client) Raw() goredis.UniversalClient { return c.rdb }

// Key returns key with the client's prefix.
func (c *Client) Key(key string) string { return c.prefix + key }

// Close closes the underlying connections.
func (c *Client) Close() error { return c.rdb.Close() }

// Ping checks the server answers within the timeout.
func (c *Client) Ping(ctx context.Context) error {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	return c.wrap(ctx, "ping", c.rdb.Ping(ctx).Err())
}

func (c *Client) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.timeout < 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, c.timeout)
}

// wrap maps go-redis errors: nil reply → ErrNotFound, deadline → ErrTimeout.
func (c *Client) wrap(ctx context.Context, op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, goredis.Nil):
		return ErrNotFound
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() == context.DeadlineExceeded:
		return fmt.Errorf("redis %s: %w: %w", op, ErrTimeout, err)
	}
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("redis %s: %w: %w", op, ErrTimeout, err)
	}
	return fmt.Errorf("redis %s: %w", op, err)
}

// GetBytes returns the raw bytes stored at key.
func (c *Client) GetBytes(ctx context.Context, key string) ([]byte, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	b, err := c.rdb.Get(ctx, c.Key(key)).Bytes()
	if err != nil {
		return nil, c.wrap(ctx, "get", err)
	}
	if len(b) == 0 {
		return nil, ErrNotFound
	}
	return b, nil
}

// Get returns the value at key decoded with codec as a string. With Pickle
// the stored value must be a str, bytes or int (Django stores ints as text).
func (c *Client) Get(ctx context.Context, key string, codec Codec) (string, error) {
	b, err := c.GetBytes(ctx, key)
	if err != nil {
		return "", err
	}
	return decodeString(b, codec)
}

// GetValue returns the pickled value at key decoded to Go values (see DecodePickle).
func (c *Client) GetValue(ctx context.Context, key string) (any, error) {
	b, err := c.GetBytes(ctx, key)
	if err != nil {
		return nil, err
	}
	return DecodeDjango(b)
}

// SetValue stores v as Django's cache would (EncodeDjango: ints as text,
// the rest pickled); ttl > 0 sets an expiry.
func (c *Client) SetValue(ctx context.Context, key string, v any, ttl time.Duration) error {
	b, err := EncodeDjango(v)
	if err != nil {
		return err
	}
	return c.SetBytes(ctx, key, b, ttl)
}

// Set stores value at key with codec; ttl > 0 sets an expiry.
func (c *Client) Set(ctx context.Context, key, value string, codec Codec, ttl time.Duration) error {
	b, err := encodeString(value, codec)
	if err != nil {
		return err
	}
	return c.SetBytes(ctx, key, b, ttl)
}

// SetBytes stores b at key as is; ttl > 0 sets an expiry.
func (c *Client) SetBytes(ctx context.Context, key string, b []byte, ttl time.Duration) error {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	return c.wrap(ctx, "set", c.rdb.Set(ctx, c.Key(key), b, ttl).Err())
}

// SetNXEX stores value at key only when key does not exist, with expiry ttl.
// It reports whether the value was stored.
func (c *Client) SetNXEX(ctx context.Context, key, value string, ttl time.Duration, codec Codec) (bool, error) {
	b, err := encodeString(value, codec)
	if err != nil {
		return false, err
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	err = c.rdb.SetArgs(ctx, c.Key(key), b, goredis.SetArgs{Mode: "NX", TTL: ttl}).Err()
	if errors.Is(err, goredis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, c.wrap(ctx, "set nx", err)
	}
	return true, nil
}

// Del deletes keys.
func (c *Client) Del(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = c.Key(k)
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	return c.wrap(ctx, "del", c.rdb.Del(ctx, full...).Err())
}

// HGet returns a hash field as a UTF-8 string; missing or empty → ErrNotFound.
func (c *Client) HGet(ctx context.Context, key, field string) (string, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	s, err := c.rdb.HGet(ctx, c.Key(key), field).Result()
	if err != nil {
		return "", c.wrap(ctx, "hget", err)
	}
	if s == "" {
		return "", ErrNotFound
	}
	return s, nil
}

// HIncrBy adds n to a hash field and returns the new value.
func (c *Client) HIncrBy(ctx context.Context, key, field string, n int64) (int64, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	v, err := c.rdb.HIncrBy(ctx, c.Key(key), field, n).Result()
	return v, c.wrap(ctx, "hincrby", err)
}

// ZRangeByScore returns the members of a sorted set with min <= score <= max
// (Redis score syntax: "-inf", "+inf", "(5").
func (c *Client) ZRangeByScore(ctx context.Context, key, min, max string) ([]string, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	v, err := c.rdb.ZRangeByScore(ctx, c.Key(key), &goredis.ZRangeBy{Min: min, Max: max}).Result()
	if err != nil {
		return nil, c.wrap(ctx, "zrangebyscore", err)
	}
	return v, nil
}

// SCard returns the size of a set.
func (c *Client) SCard(ctx context.Context, key string) (int64, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	v, err := c.rdb.SCard(ctx, c.Key(key)).Result()
	return v, c.wrap(ctx, "scard", err)
}

func decodeString(b []byte, codec Codec) (string, error) {
	switch codec {
	case Raw:
		return string(b), nil
	case UTF8:
		if !utf8.Valid(b) {
			return "", fmt.Errorf("redis: value is not valid UTF-8")
		}
		return string(b), nil
	case Pickle:
		v, err := DecodeDjango(b)
		if err != nil {
			return "", err
		}
		switch v := v.(type) {
		case string:
			return v, nil
		case []byte:
			return string(v), nil
		case int64:
			return strconv.FormatInt(v, 10), nil
		}
		return "", fmt.Errorf("redis: pickled value is %T, not a string", v)
	}
	return "", fmt.Errorf("redis: unknown codec %v", codec)
}

func encodeString(s string, codec Codec) ([]byte, error) {
	switch codec {
	case Raw, UTF8:
		return []byte(s), nil
	case Pickle:
		return EncodePickle(s)
	}
	return nil, fmt.Errorf("redis: unknown codec %v", codec)
}
