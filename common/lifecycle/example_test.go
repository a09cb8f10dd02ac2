package lifecycle_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/hoggo/common/lifecycle"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// A long-running consumer with a heartbeat and a shutdown budget. In a
// binary the manager comes from DefaultOptions (SIGTERM and the pre-stop
// file end it); here a context deadline plays the signal.
func Example() {
	m := lifecycle.NewManager(lifecycle.Options{Name: "example-worker", Logger: quiet})
	h := m.Register("consumer", lifecycle.ComponentOptions{
		GracefulShutdown: 5 * time.Second,
		LivenessDeadline: 30 * time.Second,
		StallThreshold:   2,
	})
	h.Go(func(ctx context.Context) error {
		for {
			select {
			case <-ctx.Done():
				fmt.Println("consumer: committing offsets and leaving")
				return nil // returning during shutdown is completion
			case <-time.After(time.Millisecond):
				h.ReportHealthy() // one batch processed
			}
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	fmt.Println("run:", m.Run(ctx))
	// Output:
	// consumer: committing offsets and leaving
	// run: <nil>
}

// A component that fails takes the service down gracefully, and Run reports
// which one and why.
func ExampleHandle_Go() {
	m := lifecycle.NewManager(lifecycle.Options{Name: "example-failure", Logger: quiet})
	m.Register("sink", lifecycle.ComponentOptions{}).Go(func(ctx context.Context) error {
		return errors.New("kafka: broker unreachable")
	})
	m.Register("http", lifecycle.ComponentOptions{}).Go(func(ctx context.Context) error {
		<-ctx.Done()
		return nil
	})

	err := m.Run(context.Background())
	var ce *lifecycle.ComponentError
	if errors.As(err, &ce) {
		fmt.Println(ce.Component, ce.Reason, ce.Err)
	}
	// Output:
	// sink failure kafka: broker unreachable
}

// One-shot work (a migration, a backfill) calls WorkCompleted so that its
// end is not taken for a crash; when every component is done, Run returns.
func ExampleHandle_WorkCompleted() {
	m := lifecycle.NewManager(lifecycle.Options{Name: "example-oneshot", Logger: quiet})
	h := m.Register("backfill", lifecycle.ComponentOptions{})
	h.Go(func(ctx context.Context) error {
		fmt.Println("backfill: 42 rows")
		h.WorkCompleted()
		return nil
	})
	fmt.Println("run:", m.Run(context.Background()))
	// Output:
	// backfill: 42 rows
	// run: <nil>
}

// The v1 model: /_liveness turns 500 when a component misses its deadline.
func ExampleHealthRegistry() {
	reg := lifecycle.NewHealthRegistry("liveness")
	kafka := reg.Register("rdkafka", 30*time.Second)
	fmt.Println(reg.Status().Healthy)
	kafka.ReportHealthy()
	fmt.Println(reg.Status().Healthy)
	// Output:
	// false
	// true
}
