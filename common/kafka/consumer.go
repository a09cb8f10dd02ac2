package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Handler processes one batch of records. It must finish all of its output
// (produce and await acknowledgement, write to the database, ...) before it
// returns nil: the batch's offsets are committed right after. Returning an
// error leaves the offsets uncommitted. ctx is not canceled when the
// consumer starts shutting down, only when the drain timeout expires.
type Handler func(ctx context.Context, recs []*kgo.Record) error

// Consumer is an at-least-once consumer-group member on one topic. A record's
// offset is committed only after the handler returned nil for its batch, so
// a crash anywhere before that re-delivers the record to the group.
//
// Error policy: when the handler fails, the same batch is handed to it again
// with exponential backoff (WithRetries: 5 attempts from 100 ms to 10 s by
// default). When the attempts are used up, Run leaves the group without
// committing the batch and returns the handler's error; the service should
// exit, and the batch is re-delivered to the next member. Rebalances wait
// for the handler and the commit, so a batch is never split across members.
type Consumer struct {
	client    *kgo.Client
	cfg       ConsumerConfig
	handler   Handler
	o         options
	activity  *brokerActivity
	log       *slog.Logger
	lastBeat  time.Time
	runOnce   sync.Once
	closeOnce sync.Once
}

// NewConsumer joins no group yet: it builds the client and fetches cluster
// metadata to prove a broker answers within the startup timeout. Run starts
// consuming.
func NewConsumer(ctx context.Context, cfg Config, ccfg ConsumerConfig, h Handler, opts ...Option) (*Consumer, error) {
	if h == nil {
		return nil, errors.New("kafka consumer: nil handler")
	}
	o := newOptions(opts)
	kopts, err := cfg.clientOpts()
	if err != nil {
		return nil, fmt.Errorf("kafka consumer config: %w", err)
	}
	copts, err := ccfg.consumerOpts()
	if err != nil {
		return nil, fmt.Errorf("kafka consumer config: %w", err)
	}
	activity := new(brokerActivity)
	kopts = append(kopts, copts...)
	kopts = append(kopts, kgo.WithHooks(activity))
	kopts = append(kopts, o.kgoOpts...)
	cl, err := kgo.NewClient(kopts...)
	if err != nil {
		return nil, fmt.Errorf("kafka consumer: %w", err)
	}
	if err := ping(ctx, cl, o.startupTimeout); err != nil {
		cl.Close()
		return nil, fmt.Errorf("kafka consumer: fetch metadata from %s: %w", cfg.Hosts, err)
	}
	return &Consumer{
		client:   cl,
		cfg:      ccfg,
		handler:  h,
		o:        o,
		activity: activity,
		log:      slog.Default().With("component", "kafka_consumer", "topic", ccfg.Topic, "group", ccfg.Group),
	}, nil
}

// Client returns the underlying franz-go client.
func (c *Consumer) Client() *kgo.Client { return c.client }

// Healthy reports whether a broker answered within the last three health
// intervals (a group member heartbeats every few seconds).
func (c *Consumer) Healthy() bool {
	return c.activity.heardWithin(healthWindow(c.o.healthInterval))
}

// Run consumes until ctx is canceled or the handler fails for good. On
// cancellation it lets the batch in flight finish (bounded by the drain
// timeout), commits what was handled, leaves the group and returns nil.
// Run may be called once; the consumer is closed when it returns.
func (c *Consumer) Run(ctx context.Context) error {
	err := errors.New("kafka consumer: Run called twice")
	c.runOnce.Do(func() { err = c.run(ctx) })
	return err
}

func (c *Consumer) run(ctx context.Context) error {
	// The handler outlives ctx by up to the drain timeout so a shutdown
	// finishes the batch instead of abandoning produced-but-uncommitted work.
	hctx, hcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer hcancel()
	stopDrain := context.AfterFunc(ctx, func() { time.AfterFunc(c.o.drainTimeout, hcancel) })
	defer stopDrain()

	runErr := c.loop(ctx, hctx)
	c.shutdown()
	return runErr
}

func (c *Consumer) loop(ctx, hctx context.Context) error {
	for ctx.Err() == nil {
		// A bounded poll keeps the liveness beat going on an idle topic.
		pctx, cancel := context.WithTimeout(ctx, c.o.healthInterval)
		fetches := c.client.PollRecords(pctx, c.o.maxPollRecords)
		cancel()
		if fetches.IsClientClosed() {
			return errors.New("kafka consumer: client closed")
		}
		fetches.EachError(func(topic string, partition int32, err error) {
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
				return
			}
			// franz-go retries what is retryable itself; what reaches us is
			// logged and the partition is polled again.
			c.log.Warn("fetch error", "fetch_topic", topic, "partition", partition, "error", err)
		})
		recs := fetches.Records()
		if len(recs) > 0 {
			if err := c.handle(ctx, hctx, recs); err != nil {
				if ctx.Err() != nil {
					c.log.Info("shutdown before batch was handled; it will be re-delivered", "error", err)
					return nil
				}
				return err
			}
			c.commit(hctx, recs)
		}
		c.client.AllowRebalance()
		c.beat()
	}
	return nil
}

// handle calls the handler for one batch until it succeeds, the attempts
// are used up, or a shutdown interrupts the backoff.
func (c *Consumer) handle(ctx, hctx context.Context, recs []*kgo.Record) error {
	backoff := c.o.retryBackoff
	for attempt := 1; ; attempt++ {
		err := c.handler(hctx, recs)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("kafka consumer: handler failed during shutdown: %w", err)
		}
		if c.o.maxAttempts > 0 && attempt >= c.o.maxAttempts {
			return fmt.Errorf("kafka consumer: handler failed %d times, giving up: %w", attempt, err)
		}
		c.log.Warn("handler failed; retrying batch", "attempt", attempt, "records", len(recs), "backoff", backoff, "error", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("kafka consumer: handler failed: %w", err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, c.o.maxBackoff)
		c.beat()
	}
}

// commit records the batch as handled. A failed commit is not data loss:
// the records are re-delivered after a restart or rebalance, and the next
// successful commit covers them.
func (c *Consumer) commit(ctx context.Context, recs []*kgo.Record) {
	if c.cfg.AutoCommit {
		c.client.MarkCommitRecords(recs...)
		return
	}
	if err := c.client.CommitRecords(ctx, recs...); err != nil {
		c.log.Warn("offset commit failed; the batch may be re-delivered", "records", len(recs), "error", err)
	}
}

// beat calls the liveness callback, at most once a second, while a broker
// answers.
func (c *Consumer) beat() {
	if c.o.onHealthy == nil || time.Since(c.lastBeat) < time.Second || !c.Healthy() {
		return
	}
	c.lastBeat = time.Now()
	c.o.onHealthy()
}

// shutdown commits marked offsets (auto-commit mode) and leaves the group.
func (c *Consumer) shutdown() {
	if c.cfg.AutoCommit {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := c.client.CommitMarkedOffsets(ctx); err != nil {
			c.log.Warn("final offset commit failed", "error", err)
		}
		cancel()
	}
	c.Close()
}

// Close leaves the group and closes the client without committing anything
// further. Run calls it on return; call it directly only if Run never ran.
func (c *Consumer) Close() {
	c.closeOnce.Do(c.client.CloseAllowingRebalance)
}
