package lifecycle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Every manager has its own service_name, so the process-global metric
// vectors can be read per test.

func value(t *testing.T, c prometheus.Collector) float64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 1)
	c.Collect(ch)
	var m dto.Metric
	if err := (<-ch).Write(&m); err != nil {
		t.Fatal(err)
	}
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	t.Fatal("unsupported metric type")
	return 0
}

func initiated(t *testing.T, name, component, reason string) float64 {
	return value(t, shutdownInitiated.WithLabelValues(name, component, reason))
}

func result(t *testing.T, name, component, res string) float64 {
	return value(t, componentShutdownResult.WithLabelValues(name, component, res))
}

func completedTotal(t *testing.T, name string, clean bool) float64 {
	c := "false"
	if clean {
		c = "true"
	}
	return value(t, shutdownCompleted.WithLabelValues(name, c))
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var managerSeq atomic.Int64

// testManager returns a manager named after the test whose health ticker
// never fires on its own (tests call pollHealth) unless opts says otherwise.
func testManager(t *testing.T, opts Options) (*Manager, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	opts.Name = fmt.Sprintf("%s-%d", t.Name(), managerSeq.Add(1))
	if opts.HealthPollInterval == 0 {
		opts.HealthPollInterval = time.Hour
	}
	if opts.GlobalShutdownTimeout == 0 {
		opts.GlobalShutdownTimeout = 5 * time.Second
	}
	opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return NewManager(opts), logs
}

func start(m *Manager) <-chan error {
	errc := make(chan error, 1)
	go func() { errc <- m.Run(context.Background()) }()
	return errc
}

func wait(t *testing.T, errc <-chan error) error {
	t.Helper()
	select {
	case err := <-errc:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
		return nil
	}
}

func waitClosed(t *testing.T, c <-chan struct{}) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting")
	}
}

func status(t *testing.T, h http.Handler) int {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

func TestReadiness200UntilShutdownThen503(t *testing.T) {
	m, logs := testManager(t, Options{})
	h := m.Register("server", ComponentOptions{})
	release := make(chan struct{})
	h.Go(func(ctx context.Context) error {
		<-ctx.Done()
		<-release
		return nil
	})
	errc := start(m)

	if got := status(t, m.ReadinessHandler()); got != http.StatusOK {
		t.Fatalf("readiness before shutdown: %d", got)
	}
	if got := status(t, m.LivenessHandler()); got != http.StatusOK {
		t.Fatalf("liveness before shutdown: %d", got)
	}
	m.Shutdown()
	if got := status(t, m.ReadinessHandler()); got != http.StatusServiceUnavailable {
		t.Fatalf("readiness during shutdown: %d", got)
	}
	if got := status(t, m.LivenessHandler()); got != http.StatusOK {
		t.Fatalf("liveness during shutdown: %d", got)
	}
	close(release)
	if err := wait(t, errc); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := status(t, m.ReadinessHandler()); got != http.StatusServiceUnavailable {
		t.Fatalf("readiness after shutdown: %d", got)
	}
	if initiated(t, m.opts.Name, "system", ReasonRequested) != 1 || result(t, m.opts.Name, "server", ResultCompleted) != 1 ||
		completedTotal(t, m.opts.Name, true) != 1 {
		t.Fatal("shutdown metrics not recorded")
	}
	out := logs.String()
	if !strings.Contains(out, "Lifecycle: shutdown initiated") || !strings.Contains(out, "Lifecycle: shutdown complete") {
		t.Fatalf("missing lifecycle log lines:\n%s", out)
	}
}

func TestStallTriggersShutdown(t *testing.T) {
	// The real health ticker: a heartbeat that stops must end the service.
	m, _ := testManager(t, Options{HealthPollInterval: 10 * time.Millisecond})
	h := m.Register("worker", ComponentOptions{LivenessDeadline: 20 * time.Millisecond})
	h.Go(func(ctx context.Context) error {
		h.ReportHealthy()
		<-ctx.Done()
		return nil
	})
	err := wait(t, start(m))
	var ce *ComponentError
	if !errors.As(err, &ce) || ce.Component != "worker" || ce.Reason != ReasonFailure || !strings.Contains(err.Error(), "stalled") {
		t.Fatalf("Run error = %v, want a stall failure of worker", err)
	}
	if got := initiated(t, m.opts.Name, "worker", ReasonFailure); got != 1 {
		t.Fatalf("shutdown_initiated{worker,failure} = %v", got)
	}
	if got := value(t, componentHealthy.WithLabelValues(m.opts.Name, "worker")); got != 0 {
		t.Fatalf("component_healthy = %v, want 0", got)
	}
}

func TestStallThresholdExceededTriggersShutdown(t *testing.T) {
	m, _ := testManager(t, Options{})
	h := m.Register("worker", ComponentOptions{LivenessDeadline: time.Minute, StallThreshold: 3})
	h.ReportHealthy()
	now := time.Now()
	m.pollHealth(now)
	if got := value(t, componentHealthy.WithLabelValues(m.opts.Name, "worker")); got != 1 {
		t.Fatalf("component_healthy = %v, want 1", got)
	}
	h.ReportUnhealthy()
	m.pollHealth(now)
	m.pollHealth(now)
	if m.IsShuttingDown() {
		t.Fatal("shut down after 2 of 3 stalled polls")
	}
	m.pollHealth(now)
	if !m.IsShuttingDown() {
		t.Fatal("no shutdown after 3 stalled polls")
	}
	if got := initiated(t, m.opts.Name, "worker", ReasonFailure); got != 1 {
		t.Fatalf("shutdown_initiated = %v", got)
	}
	if err := wait(t, start(m)); err == nil || !strings.Contains(err.Error(), "unhealthy (stall count 3/3)") {
		t.Fatalf("Run error = %v", err)
	}
}

func TestStallThresholdAllowsRecovery(t *testing.T) {
	m, _ := testManager(t, Options{})
	h := m.Register("worker", ComponentOptions{LivenessDeadline: 50 * time.Millisecond, StallThreshold: 3})
	h.ReportHealthy()
	later := time.Now().Add(time.Second) // the heartbeat has expired by then
	m.pollHealth(later)
	m.pollHealth(later)
	h.ReportHealthy()
	m.pollHealth(time.Now()) // current again: the count resets
	m.pollHealth(later)
	m.pollHealth(later)
	if m.IsShuttingDown() {
		t.Fatal("recovery did not reset the stall count")
	}
	m.pollHealth(later)
	if !m.IsShuttingDown() {
		t.Fatal("3 consecutive stalls after recovery did not shut down")
	}
}

func TestStartingComponentDoesNotTriggerStall(t *testing.T) {
	m, _ := testManager(t, Options{})
	m.Register("slow-start", ComponentOptions{LivenessDeadline: time.Millisecond})
	m.Register("unmonitored", ComponentOptions{})
	for i := 0; i < 10; i++ {
		m.pollHealth(time.Now().Add(time.Hour))
	}
	if m.IsShuttingDown() {
		t.Fatal("a component that never reported healthy triggered a stall")
	}
	if got := value(t, componentHealthy.WithLabelValues(m.opts.Name, "slow-start")); got != 0 {
		t.Fatalf("component_healthy = %v, want 0 while starting", got)
	}
}

func TestComponentTimeoutThenLateCloseKeepsTimeout(t *testing.T) {
	m, _ := testManager(t, Options{})
	slow := m.Register("slow", ComponentOptions{GracefulShutdown: 20 * time.Millisecond})
	fast := m.Register("fast", ComponentOptions{})
	release, closed := make(chan struct{}), make(chan struct{})
	go func() {
		<-slow.Done()
		<-release
		slow.Close()
		close(closed)
	}()
	fast.Go(func(ctx context.Context) error { <-ctx.Done(); return nil })
	errc := start(m)
	m.Shutdown()
	if err := wait(t, errc); err != nil {
		t.Fatalf("Run: %v", err)
	}
	close(release)
	waitClosed(t, closed)

	if result(t, m.opts.Name, "slow", ResultTimeout) != 1 || result(t, m.opts.Name, "slow", ResultCompleted) != 0 {
		t.Fatal("late close changed the timeout result")
	}
	if result(t, m.opts.Name, "fast", ResultCompleted) != 1 {
		t.Fatal("fast component not completed")
	}
	if completedTotal(t, m.opts.Name, false) != 1 || completedTotal(t, m.opts.Name, true) != 0 {
		t.Fatal("a shutdown with a timeout must be clean=false")
	}
}

// consumer is a struct-held component, the Go form of the reference's
// "component A/B" tests: process is its run method, doWork a child method.
type consumer struct {
	h       *Handle
	failAt  int
	workErr error
}

func (c *consumer) process() {
	defer c.h.Close()
	for i := 1; ; i++ {
		select {
		case <-c.h.Done():
			return
		default:
		}
		if err := c.doWork(i); err != nil {
			c.h.SignalFailure(err)
			return
		}
		c.h.ReportHealthy()
	}
}

func (c *consumer) doWork(i int) error {
	if c.failAt == i {
		return c.workErr
	}
	select {
	case <-c.h.Done():
	case <-time.After(time.Millisecond):
	}
	return nil
}

func TestCleanShutdownOfStructHeldComponents(t *testing.T) {
	m, _ := testManager(t, Options{})
	a := &consumer{h: m.Register("a", ComponentOptions{GracefulShutdown: 5 * time.Second})}
	b := &consumer{h: m.Register("b", ComponentOptions{GracefulShutdown: 5 * time.Second, LivenessDeadline: time.Minute})}
	go a.process()
	go b.process()
	errc := start(m)
	m.Shutdown()
	if err := wait(t, errc); err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, c := range []string{"a", "b"} {
		if result(t, m.opts.Name, c, ResultCompleted) != 1 {
			t.Errorf("component %s not completed", c)
		}
	}
	if completedTotal(t, m.opts.Name, true) != 1 {
		t.Fatal("shutdown not clean")
	}
}

func TestChildMethodSignalsFailure(t *testing.T) {
	m, _ := testManager(t, Options{})
	errBroker := errors.New("broker gone")
	b := &consumer{h: m.Register("b", ComponentOptions{}), failAt: 3, workErr: errBroker}
	other := m.Register("other", ComponentOptions{})
	other.Go(func(ctx context.Context) error { <-ctx.Done(); return nil })
	go b.process()
	err := wait(t, start(m))
	var ce *ComponentError
	if !errors.As(err, &ce) || ce.Component != "b" || ce.Reason != ReasonFailure || !errors.Is(err, errBroker) {
		t.Fatalf("Run error = %v", err)
	}
	// The deferred Close after SignalFailure must not count as a death.
	if initiated(t, m.opts.Name, "b", ReasonFailure) != 1 || initiated(t, m.opts.Name, "b", ReasonDied) != 0 {
		t.Fatal("want exactly one failure trigger")
	}
	if result(t, m.opts.Name, "other", ResultCompleted) != 1 || result(t, m.opts.Name, "b", ResultDied) != 1 {
		t.Fatal("unexpected component results")
	}
}

func TestProcessScopePreventsDoubleSignal(t *testing.T) {
	m, _ := testManager(t, Options{})
	a := &consumer{h: m.Register("a", ComponentOptions{})}
	done := make(chan struct{})
	go func() { a.process(); close(done) }()
	errc := start(m)
	m.Shutdown()
	if err := wait(t, errc); err != nil {
		t.Fatalf("Run: %v", err)
	}
	waitClosed(t, done)
	a.h.Close() // the struct is torn down later: nothing more is recorded
	a.h.WorkCompleted()
	if result(t, m.opts.Name, "a", ResultCompleted) != 1 || result(t, m.opts.Name, "a", ResultDied) != 0 {
		t.Fatal("second close recorded a second result")
	}
}

func TestGoErrorSignalsOnce(t *testing.T) {
	m, _ := testManager(t, Options{})
	h := m.Register("w", ComponentOptions{})
	errBad := errors.New("bad")
	h.Go(func(context.Context) error {
		h.SignalFailure(errBad)
		return errBad // the same failure reported twice counts once
	})
	err := wait(t, start(m))
	if !errors.Is(err, errBad) {
		t.Fatalf("Run error = %v", err)
	}
	if initiated(t, m.opts.Name, "w", ReasonFailure) != 1 || result(t, m.opts.Name, "w", ResultDied) != 1 {
		t.Fatal("failure recorded more than once")
	}
}

func TestDirectHandleCloseDuringShutdownIsCompletion(t *testing.T) {
	m, _ := testManager(t, Options{})
	h := m.Register("loop", ComponentOptions{})
	h.Go(func(ctx context.Context) error { <-ctx.Done(); return nil })
	errc := start(m)
	m.Shutdown()
	if err := wait(t, errc); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if result(t, m.opts.Name, "loop", ResultCompleted) != 1 || completedTotal(t, m.opts.Name, true) != 1 {
		t.Fatal("close during shutdown was not a completion")
	}
}

func TestReturningCtxErrDuringShutdownIsCompletion(t *testing.T) {
	m, _ := testManager(t, Options{})
	m.Register("w", ComponentOptions{}).Go(func(ctx context.Context) error {
		<-ctx.Done()
		return fmt.Errorf("consume: %w", ctx.Err())
	})
	errc := start(m)
	m.Shutdown()
	if err := wait(t, errc); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if result(t, m.opts.Name, "w", ResultCompleted) != 1 || completedTotal(t, m.opts.Name, true) != 1 {
		t.Fatal("return ctx.Err() during shutdown was not a completion")
	}
}

func TestReturnBeforeShutdownIsDied(t *testing.T) {
	m, _ := testManager(t, Options{})
	m.Register("early", ComponentOptions{}).Go(func(context.Context) error { return nil })
	err := wait(t, start(m))
	var ce *ComponentError
	if !errors.As(err, &ce) || ce.Component != "early" || ce.Reason != ReasonDied {
		t.Fatalf("Run error = %v", err)
	}
	if initiated(t, m.opts.Name, "early", ReasonDied) != 1 || completedTotal(t, m.opts.Name, false) != 1 {
		t.Fatal("died shutdown not recorded")
	}
}

func TestWorkCompletedPreventsDiedOnClose(t *testing.T) {
	m, _ := testManager(t, Options{})
	oneshot := m.Register("migrate", ComponentOptions{})
	server := m.Register("server", ComponentOptions{})
	server.Go(func(ctx context.Context) error { <-ctx.Done(); return nil })
	errc := start(m)
	done := make(chan struct{})
	go func() {
		oneshot.WorkCompleted()
		oneshot.Close()
		close(done)
	}()
	waitClosed(t, done)
	if m.IsShuttingDown() {
		t.Fatal("finished one-shot work triggered a shutdown")
	}
	m.Shutdown()
	if err := wait(t, errc); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if initiated(t, m.opts.Name, "migrate", ReasonDied) != 0 || completedTotal(t, m.opts.Name, true) != 1 {
		t.Fatal("one-shot work was taken for a death")
	}
}

func TestAllWorkCompletedEndsRun(t *testing.T) {
	m, _ := testManager(t, Options{})
	for _, tag := range []string{"a", "b"} {
		h := m.Register(tag, ComponentOptions{})
		h.Go(func(context.Context) error { h.WorkCompleted(); return nil })
	}
	if err := wait(t, start(m)); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if initiated(t, m.opts.Name, "system", ReasonRequested) != 0 || completedTotal(t, m.opts.Name, true) != 1 {
		t.Fatal("finite components should end Run without a shutdown trigger")
	}
}

func TestPanicInTaskSignalsDied(t *testing.T) {
	m, logs := testManager(t, Options{})
	m.Register("boom", ComponentOptions{}).Go(func(context.Context) error { panic("kaboom") })
	other := m.Register("other", ComponentOptions{})
	other.Go(func(ctx context.Context) error { <-ctx.Done(); return nil })
	err := wait(t, start(m))
	var ce *ComponentError
	if !errors.As(err, &ce) || ce.Component != "boom" || ce.Reason != ReasonDied || !strings.Contains(err.Error(), "kaboom") {
		t.Fatalf("Run error = %v", err)
	}
	if initiated(t, m.opts.Name, "boom", ReasonDied) != 1 || result(t, m.opts.Name, "other", ResultCompleted) != 1 {
		t.Fatal("died shutdown not recorded")
	}
	if !strings.Contains(logs.String(), "component panicked") {
		t.Fatal("panic not logged")
	}
}

func TestPanicDuringShutdownIsDiedResult(t *testing.T) {
	m, _ := testManager(t, Options{})
	m.Register("w", ComponentOptions{}).Go(func(ctx context.Context) error {
		<-ctx.Done()
		panic("cleanup failed")
	})
	errc := start(m)
	m.Shutdown()
	if err := wait(t, errc); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if result(t, m.opts.Name, "w", ResultDied) != 1 || completedTotal(t, m.opts.Name, false) != 1 {
		t.Fatal("panic during shutdown not recorded as died")
	}
}

func TestGlobalShutdownTimeout(t *testing.T) {
	m, logs := testManager(t, Options{GlobalShutdownTimeout: 30 * time.Millisecond})
	m.Register("stuck", ComponentOptions{})
	errc := start(m)
	m.Shutdown()
	err := wait(t, errc)
	if !errors.Is(err, ErrShutdownTimeout) || !strings.Contains(err.Error(), "stuck") {
		t.Fatalf("Run error = %v", err)
	}
	if result(t, m.opts.Name, "stuck", ResultTimeout) != 1 {
		t.Fatal("timeout result not recorded")
	}
	// Like the reference: no completion metric or log line, so incomplete
	// shutdowns show as initiated without completed.
	if completedTotal(t, m.opts.Name, true)+completedTotal(t, m.opts.Name, false) != 0 {
		t.Fatal("shutdown_completed emitted on global timeout")
	}
	if strings.Contains(logs.String(), "Lifecycle: shutdown complete") {
		t.Fatal("completion logged on global timeout")
	}
}

func TestRequestShutdownByComponent(t *testing.T) {
	m, _ := testManager(t, Options{})
	h := m.Register("admin", ComponentOptions{})
	h.Go(func(ctx context.Context) error {
		h.RequestShutdown()
		<-ctx.Done()
		return nil
	})
	if err := wait(t, start(m)); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if initiated(t, m.opts.Name, "admin", ReasonRequested) != 1 || result(t, m.opts.Name, "admin", ResultCompleted) != 1 {
		t.Fatal("requested shutdown not recorded")
	}
}

func TestContextCancellationIsSignal(t *testing.T) {
	m, _ := testManager(t, Options{})
	m.Register("w", ComponentOptions{}).Go(func(ctx context.Context) error { <-ctx.Done(); return nil })
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- m.Run(ctx) }()
	cancel()
	if err := wait(t, errc); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if initiated(t, m.opts.Name, "system", ReasonSignal) != 1 {
		t.Fatal("context cancellation not recorded as a signal")
	}
}

func TestSIGTERMTriggersShutdown(t *testing.T) {
	// Our own subscription keeps SIGTERM from killing the test binary should
	// it arrive before Run subscribes or after it unsubscribes. It is never
	// stopped: a signal sent by the last tick can land after the test ends.
	guard := make(chan os.Signal, 1)
	signal.Notify(guard, syscall.SIGTERM)

	m, _ := testManager(t, Options{TrapSignals: true})
	m.Register("w", ComponentOptions{}).Go(func(ctx context.Context) error { <-ctx.Done(); return nil })
	errc := start(m)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-errc:
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if initiated(t, m.opts.Name, "system", ReasonSignal) != 1 {
				t.Fatal("signal shutdown not recorded")
			}
			return
		case <-tick.C:
			if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("SIGTERM did not stop Run")
		}
	}
}

func TestPrestopFileTriggersShutdown(t *testing.T) {
	file := filepath.Join(t.TempDir(), "shutdown")
	m, _ := testManager(t, Options{PrestopFile: file, PrestopPollInterval: 10 * time.Millisecond})
	m.Register("w", ComponentOptions{}).Go(func(ctx context.Context) error { <-ctx.Done(); return nil })
	errc := start(m)
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, errc); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if initiated(t, m.opts.Name, "system", ReasonPrestop) != 1 {
		t.Fatal("prestop shutdown not recorded")
	}
}

func TestRegisterTwicePanics(t *testing.T) {
	m, _ := testManager(t, Options{})
	m.Register("x", ComponentOptions{})
	defer func() {
		if recover() == nil {
			t.Fatal("duplicate tag did not panic")
		}
	}()
	m.Register("x", ComponentOptions{})
}

func TestRunTwice(t *testing.T) {
	m, _ := testManager(t, Options{})
	errc := start(m)
	m.Shutdown()
	if err := wait(t, errc); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if err := m.Run(context.Background()); err == nil {
		t.Fatal("second Run did not fail")
	}
}

func BenchmarkHandleReportHealthy(b *testing.B) {
	m := NewManager(Options{Name: "bench"})
	h := m.Register("consumer", ComponentOptions{LivenessDeadline: 30 * time.Second})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			h.ReportHealthy()
		}
	})
}
