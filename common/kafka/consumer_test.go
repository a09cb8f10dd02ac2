package kafka_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/hoggo/common/kafka"
	"github.com/hoggo/common/kafkatest"
)

// Short group timings so a vanished member is noticed in about a second.
var fastGroup = kafka.WithKgoOpts(
	kgo.SessionTimeout(time.Second),
	kgo.HeartbeatInterval(100*time.Millisecond),
	kgo.FetchMaxWait(100*time.Millisecond),
)

func produceInputs(t *testing.T, cluster *kafkatest.Cluster, topic string, n int) {
	t.Helper()
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: topic, Key: fmt.Appendf(nil, "k%d", i), Value: []byte(strconv.Itoa(i))}
	}
	cluster.ProduceRecords(t, recs...)
}

// forwarder is the handler shape the services use: produce the output for
// every input, wait for the acks, only then return nil.
func forwarder(p *kafka.Producer, out string) kafka.Handler {
	return func(ctx context.Context, recs []*kgo.Record) error {
		outs := make([]*kgo.Record, len(recs))
		for i, r := range recs {
			outs[i] = &kgo.Record{Topic: out, Key: r.Key, Value: r.Value}
		}
		return errors.Join(p.Produce(ctx, outs...)...)
	}
}

// committed returns the group's committed offsets on topic summed over
// partitions; partitions without a commit count 0.
func committed(t *testing.T, cluster *kafkatest.Cluster, group, topic string) int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	resp, err := kadm.NewClient(cl).FetchOffsets(context.Background(), group)
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	resp.Each(func(o kadm.OffsetResponse) {
		if o.Topic == topic && o.At > 0 {
			sum += o.At
		}
	})
	return sum
}

// endOffsets sums the end offsets of topic's partitions: the records it holds.
func endOffsets(t *testing.T, cluster *kafkatest.Cluster, topic string) int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	offs, err := kadm.NewClient(cl).ListEndOffsets(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	offs.Each(func(o kadm.ListedOffset) { sum += o.Offset })
	return sum
}

// countValues counts how often each value appears in topic (n records expected at least).
func countValues(t *testing.T, cluster *kafkatest.Cluster, topic string, n int) map[string]int {
	t.Helper()
	counts := make(map[string]int)
	for _, r := range cluster.Consume(t, topic, n, 10*time.Second) {
		counts[string(r.Value)]++
	}
	return counts
}

func TestConsumerCommitsAfterHandler(t *testing.T) {
	for _, autoCommit := range []bool{false, true} {
		t.Run(fmt.Sprintf("auto_commit=%v", autoCommit), func(t *testing.T) {
			cluster := kafkatest.NewWithOptions(t, kafkatest.Options{Topics: []string{"in", "out"}, Partitions: 3})
			produceInputs(t, cluster, "in", 100)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			p, err := kafka.NewProducer(ctx, cluster.Config())
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()

			var handled atomic.Int64
			fwd := forwarder(p, "out")
			h := func(ctx context.Context, recs []*kgo.Record) error {
				err := fwd(ctx, recs)
				if err == nil && handled.Add(int64(len(recs))) >= 100 {
					cancel() // graceful shutdown once everything was handled
				}
				return err
			}
			var beats atomic.Int32
			c, err := kafka.NewConsumer(ctx, cluster.Config(),
				kafka.ConsumerConfig{Group: "g", Topic: "in", OffsetReset: "earliest", AutoCommit: autoCommit, AutoCommitIntervalMs: 60_000},
				h, fastGroup, kafka.WithMaxPollRecords(7), kafka.WithLiveness(func() { beats.Add(1) }))
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Run(ctx); err != nil {
				t.Fatalf("Run: %v", err)
			}
			counts := countValues(t, cluster, "out", 100)
			for i := range 100 {
				if counts[strconv.Itoa(i)] != 1 {
					t.Errorf("input %d forwarded %d times", i, counts[strconv.Itoa(i)])
				}
			}
			// Everything handled is committed on shutdown (in auto-commit
			// mode the interval is a minute, so only the final commit can do it).
			if got := committed(t, cluster, "g", "in"); got != 100 {
				t.Errorf("committed offsets sum to %d, want 100", got)
			}
			if beats.Load() == 0 {
				t.Error("no liveness beat")
			}
			if c.Run(ctx) == nil {
				t.Error("a second Run must fail")
			}
		})
	}
}

func TestConsumerRetriesFailedBatch(t *testing.T) {
	cluster := kafkatest.New(t, "in")
	produceInputs(t, cluster, "in", 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var mu sync.Mutex
	seen := make(map[string]int)
	var failures atomic.Int32
	h := func(_ context.Context, recs []*kgo.Record) error {
		if failures.Add(1) <= 2 {
			return errors.New("downstream unavailable")
		}
		mu.Lock()
		defer mu.Unlock()
		for _, r := range recs {
			seen[string(r.Value)]++
		}
		if len(seen) == 10 {
			cancel()
		}
		return nil
	}
	c, err := kafka.NewConsumer(ctx, cluster.Config(), kafka.ConsumerConfig{Group: "g", Topic: "in"}, h,
		fastGroup, kafka.WithRetries(5, time.Millisecond, 10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(seen) != 10 {
		t.Errorf("handled %d distinct inputs, want 10", len(seen))
	}
	if got := committed(t, cluster, "g", "in"); got != 10 {
		t.Errorf("committed %d, want 10", got)
	}
}

func TestConsumerGivesUpWithoutCommitting(t *testing.T) {
	cluster := kafkatest.New(t, "in")
	produceInputs(t, cluster, "in", 5)
	ctx := context.Background()
	var calls atomic.Int32
	boom := errors.New("poison")
	h := func(context.Context, []*kgo.Record) error { calls.Add(1); return boom }
	c, err := kafka.NewConsumer(ctx, cluster.Config(), kafka.ConsumerConfig{Group: "g", Topic: "in"}, h,
		fastGroup, kafka.WithRetries(3, time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Run(ctx)
	if !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want the handler's error", err)
	}
	if calls.Load() != 3 {
		t.Errorf("handler called %d times, want 3", calls.Load())
	}
	if got := committed(t, cluster, "g", "in"); got != 0 {
		t.Errorf("committed %d, want nothing committed", got)
	}
}

// TestConsumerKilledBetweenProduceAndCommit kills a consumer process with
// SIGKILL right after its handler produced and got the acks, before the
// commit; a new member of the same group must re-deliver the batch, so
// every input reaches the output at least once.
func TestConsumerKilledBetweenProduceAndCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a subprocess")
	}
	const n = 50
	cluster := kafkatest.NewWithOptions(t, kafkatest.Options{Topics: []string{"in", "out"}, Partitions: 2})
	produceInputs(t, cluster, "in", n)

	cmd := exec.Command(os.Args[0], "-test.run=^TestConsumerKillHelper$")
	cmd.Env = append(os.Environ(), "HOGGO_KAFKA_KILL_HELPER="+cluster.Addr())
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("helper was not killed: %v\n%s", err, out)
	}
	// The killed member forwarded one batch and committed nothing.
	killed := int(endOffsets(t, cluster, "out"))
	if killed == 0 || killed > 5 {
		t.Fatalf("killed helper forwarded %d records, want one batch of 1..5\n%s", killed, out)
	}
	firstBatch := cluster.Consume(t, "out", killed, 5*time.Second)
	if got := committed(t, cluster, "g", "in"); got != 0 {
		t.Fatalf("committed %d before restart, want nothing", got)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, err := kafka.NewProducer(ctx, cluster.Config())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var handled atomic.Int64
	fwd := forwarder(p, "out")
	h := func(ctx context.Context, recs []*kgo.Record) error {
		err := fwd(ctx, recs)
		if err == nil && handled.Add(int64(len(recs))) >= n {
			cancel()
		}
		return err
	}
	c, err := kafka.NewConsumer(ctx, cluster.Config(), kafka.ConsumerConfig{Group: "g", Topic: "in"}, h, fastGroup)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}

	counts := countValues(t, cluster, "out", n+killed)
	if total := endOffsets(t, cluster, "out"); total != int64(n+killed) {
		t.Errorf("output holds %d records, want %d", total, n+killed)
	}
	for i := range n {
		if counts[strconv.Itoa(i)] < 1 {
			t.Errorf("input %d lost", i)
		}
	}
	for _, r := range firstBatch {
		if v := string(r.Value); counts[v] != 2 {
			t.Errorf("input %s from the killed batch forwarded %d times, want 2 (before the kill and after)", v, counts[v])
		}
	}
	if got := committed(t, cluster, "g", "in"); got != n {
		t.Errorf("committed %d after restart, want %d", got, n)
	}
}

// TestConsumerKillHelper is the process TestConsumerKilledBetweenProduceAndCommit
// kills; it does nothing unless started by that test.
func TestConsumerKillHelper(t *testing.T) {
	addr := os.Getenv("HOGGO_KAFKA_KILL_HELPER")
	if addr == "" {
		t.Skip("helper process only")
	}
	cfg := kafka.DefaultConfig()
	cfg.Hosts = addr
	cfg.ProducerLingerMs = 1
	ctx := context.Background()
	p, err := kafka.NewProducer(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	fwd := forwarder(p, "out")
	h := func(ctx context.Context, recs []*kgo.Record) error {
		if err := fwd(ctx, recs); err != nil {
			t.Fatal(err)
		}
		// Output produced and acknowledged; die before the commit.
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	c, err := kafka.NewConsumer(ctx, cfg, kafka.ConsumerConfig{Group: "g", Topic: "in"}, h, fastGroup, kafka.WithMaxPollRecords(5))
	if err != nil {
		t.Fatal(err)
	}
	t.Fatalf("Run returned: %v", c.Run(ctx))
}

// On shutdown the batch in flight finishes with a live context and is committed.
func TestConsumerShutdownDrainsBatch(t *testing.T) {
	cluster := kafkatest.New(t, "in")
	produceInputs(t, cluster, "in", 3)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{})
	var handlerCtxErr error
	h := func(hctx context.Context, recs []*kgo.Record) error {
		close(started)
		<-ctx.Done() // shutdown begins while the batch is in flight
		time.Sleep(20 * time.Millisecond)
		handlerCtxErr = hctx.Err()
		return nil
	}
	c, err := kafka.NewConsumer(ctx, cluster.Config(), kafka.ConsumerConfig{Group: "g", Topic: "in"}, h, fastGroup)
	if err != nil {
		t.Fatal(err)
	}
	go func() { <-started; cancel() }()
	if err := c.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if handlerCtxErr != nil {
		t.Errorf("handler context was canceled during the drain: %v", handlerCtxErr)
	}
	if got := committed(t, cluster, "g", "in"); got != 3 {
		t.Errorf("committed %d after drain, want 3", got)
	}
}

// A handler that outlives the drain timeout is canceled and its batch is
// left uncommitted for the next member.
func TestConsumerDrainTimeoutAbandonsBatch(t *testing.T) {
	cluster := kafkatest.New(t, "in")
	produceInputs(t, cluster, "in", 3)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := func(hctx context.Context, recs []*kgo.Record) error {
		cancel()
		<-hctx.Done()
		return hctx.Err()
	}
	c, err := kafka.NewConsumer(ctx, cluster.Config(), kafka.ConsumerConfig{Group: "g", Topic: "in"}, h,
		fastGroup, kafka.WithDrainTimeout(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := committed(t, cluster, "g", "in"); got != 0 {
		t.Errorf("committed %d, want nothing", got)
	}
}
