package kafka

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Producer is a franz-go client configured like the reference's librdkafka
// producer: acks=all, idempotent writes, Java-compatible murmur2 placement
// of keyed records, sticky placement of unkeyed ones, linger and buffer
// limits from Config. It is safe for concurrent use.
type Producer struct {
	client         *kgo.Client
	activity       *brokerActivity
	healthInterval time.Duration
	flushTimeout   time.Duration
	stop           context.CancelFunc
	watcherDone    chan struct{}
	closeOnce      sync.Once
}

// NewProducer builds a producer and fetches cluster metadata to prove a
// broker answers; it fails when none does within the startup timeout
// (WithStartupTimeout, default 15 s), as the reference does.
func NewProducer(ctx context.Context, cfg Config, opts ...Option) (*Producer, error) {
	o := newOptions(opts)
	kopts, err := cfg.producerOpts()
	if err != nil {
		return nil, fmt.Errorf("kafka producer config: %w", err)
	}
	activity := new(brokerActivity)
	kopts = append(kopts, kgo.WithHooks(activity))
	if o.stats != nil {
		kopts = append(kopts, kgo.WithHooks(o.stats))
	}
	kopts = append(kopts, o.kgoOpts...)
	cl, err := kgo.NewClient(kopts...)
	if err != nil {
		return nil, fmt.Errorf("kafka producer: %w", err)
	}
	if err := ping(ctx, cl, o.startupTimeout); err != nil {
		cl.Close()
		return nil, fmt.Errorf("kafka producer: fetch metadata from %s: %w", cfg.Hosts, err)
	}

	wctx, stop := context.WithCancel(context.Background())
	p := &Producer{
		client:         cl,
		activity:       activity,
		healthInterval: o.healthInterval,
		flushTimeout:   time.Duration(cfg.MessageTimeoutMs) * time.Millisecond,
		stop:           stop,
		watcherDone:    make(chan struct{}),
	}
	go func() {
		defer close(p.watcherDone)
		var stats sync.WaitGroup
		if o.stats != nil {
			stats.Go(func() { o.stats.run(wctx, cl, cfg, o.healthInterval) })
		}
		activity.watch(wctx, cl, o.healthInterval, o.onHealthy)
		stats.Wait()
	}()
	return p, nil
}

// ping fetches cluster metadata (no topics) within timeout.
func ping(ctx context.Context, cl *kgo.Client, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return cl.Ping(ctx)
}

// Produce sends recs and waits until every one is acknowledged or failed.
// It returns one error per record, in input order; nil means the record is
// stored on all in-sync replicas. errors.Join(errs...) collapses the result
// when the caller only needs to know whether all succeeded. Canceling ctx
// fails records that were not yet sent. A record for a topic the cluster
// does not have fails with UNKNOWN_TOPIC_OR_PARTITION after a few metadata
// retries (about a second). When the buffer is full (KAFKA_PRODUCER_QUEUE_MIB,
// KAFKA_PRODUCER_QUEUE_MESSAGES) Produce blocks until there is room or ctx
// is done, where librdkafka fails at once with QueueFull: bound ctx.
func (p *Producer) Produce(ctx context.Context, recs ...*kgo.Record) []error {
	errs := make([]error, len(recs))
	var wg sync.WaitGroup
	wg.Add(len(recs))
	for i, r := range recs {
		p.client.Produce(ctx, r, func(r *kgo.Record, err error) {
			if err != nil {
				errs[i] = fmt.Errorf("produce to %s: %w", r.Topic, err)
			}
			wg.Done()
		})
	}
	wg.Wait()
	return errs
}

// Client returns the underlying franz-go client, for what this package does
// not wrap (transactions, admin requests via kadm).
func (p *Producer) Client() *kgo.Client { return p.client }

// Healthy reports whether a broker answered within the last three health
// intervals. An idle producer pings every interval, so this stays true
// while the cluster is reachable and turns false within ~30 s when it is not.
func (p *Producer) Healthy() bool {
	return p.activity.heardWithin(healthWindow(p.healthInterval))
}

// Close flushes buffered records (waiting at most the message timeout),
// then closes the client. Records still unacknowledged then fail.
func (p *Producer) Close() {
	p.closeOnce.Do(func() {
		p.stop()
		<-p.watcherDone
		ctx, cancel := context.WithTimeout(context.Background(), p.flushTimeout)
		defer cancel()
		_ = p.client.Flush(ctx) // what is left fails on Close; callers saw their errors in Produce
		p.client.Close()
	})
}
