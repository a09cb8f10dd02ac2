package kafka

import (
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// DefaultStartupTimeout bounds the metadata fetch a new client does to prove
// the cluster is reachable (the reference's 15 s fetch_metadata).
const DefaultStartupTimeout = 15 * time.Second

// Option tunes a Producer or a Consumer beyond what the env config holds.
// Options that only make sense for one role say so and are ignored by the other.
type Option func(*options)

type options struct {
	startupTimeout time.Duration
	healthInterval time.Duration
	onHealthy      func()
	kgoOpts        []kgo.Opt
	stats          *Stats

	// consumer only
	maxPollRecords int
	maxAttempts    int
	retryBackoff   time.Duration
	maxBackoff     time.Duration
	drainTimeout   time.Duration
}

func newOptions(opts []Option) options {
	o := options{
		startupTimeout: DefaultStartupTimeout,
		healthInterval: DefaultHealthInterval,
		maxPollRecords: 1000,
		maxAttempts:    5,
		retryBackoff:   100 * time.Millisecond,
		maxBackoff:     10 * time.Second,
		drainTimeout:   30 * time.Second,
	}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithStats feeds s (NewStats) from the producer's hooks and refreshes its
// gauges every health interval (10 s, the reference's
// statistics.interval.ms). Producer only.
func WithStats(s *Stats) Option {
	return func(o *options) { o.stats = s }
}

// WithStartupTimeout bounds the startup metadata fetch (default 15 s). The
// constructor fails when no broker answers within it.
func WithStartupTimeout(d time.Duration) Option {
	return func(o *options) { o.startupTimeout = d }
}

// WithLiveness registers fn, called every health interval while a broker
// has answered recently (within three intervals). Feed it to a lifecycle
// heartbeat, e.g. handle.ReportHealthy. For a Consumer, fn is also called
// after every poll and every handled batch, so a stuck handler stops it.
func WithLiveness(fn func()) Option {
	return func(o *options) { o.onHealthy = fn }
}

// WithHealthInterval sets how often the liveness callback fires and the
// idle ping runs (default 10 s).
func WithHealthInterval(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.healthInterval = d
		}
	}
}

// WithKgoOpts appends raw franz-go options after the ones derived from the
// config, so they win (e.g. kgo.SessionTimeout for a consumer group).
func WithKgoOpts(opts ...kgo.Opt) Option {
	return func(o *options) { o.kgoOpts = append(o.kgoOpts, opts...) }
}

// WithMaxPollRecords caps the batch handed to a Consumer's handler (default 1000).
func WithMaxPollRecords(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.maxPollRecords = n
		}
	}
}

// WithRetries sets how many times a Consumer calls its handler for one batch
// before Run gives up and returns the error (default 5 attempts; 0 retries
// forever). Between attempts it backs off exponentially from base to max.
func WithRetries(attempts int, base, max time.Duration) Option {
	return func(o *options) {
		o.maxAttempts = attempts
		if base > 0 {
			o.retryBackoff = base
		}
		if max > 0 {
			o.maxBackoff = max
		}
	}
}

// WithDrainTimeout bounds how long a Consumer's in-flight batch may keep
// running once Run's context is canceled (default 30 s, the shutdown budget).
func WithDrainTimeout(d time.Duration) Option {
	return func(o *options) { o.drainTimeout = d }
}
