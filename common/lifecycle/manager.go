package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// DefaultPrestopFile is the file a Kubernetes pre-stop hook touches to ask
// the pod to shut down (`touch /tmp/shutdown`).
const DefaultPrestopFile = "/tmp/shutdown"

// Options configures a Manager. The zero value is usable in tests: no signal
// trap, no pre-stop polling, Rust defaults for everything else.
type Options struct {
	// Name is the service_name label of every lifecycle metric. Default "app".
	Name string
	// GlobalShutdownTimeout bounds the whole shutdown; Run returns an error
	// wrapping ErrShutdownTimeout past it. Default 60s.
	GlobalShutdownTimeout time.Duration
	// TrapSignals makes SIGINT and SIGTERM start a shutdown.
	TrapSignals bool
	// PrestopFile, when set, is polled every PrestopPollInterval; its
	// existence starts a shutdown. Production uses DefaultPrestopFile.
	PrestopFile string
	// PrestopPollInterval defaults to 1s.
	PrestopPollInterval time.Duration
	// HealthPollInterval is how often component heartbeats are checked for
	// stalls. Default 5s.
	HealthPollInterval time.Duration
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// DefaultOptions are the options of a production binary: signals trapped and
// the pre-stop file polled, as the Rust manager does by default.
func DefaultOptions(name string) Options {
	return Options{Name: name, TrapSignals: true, PrestopFile: DefaultPrestopFile}
}

func (o Options) withDefaults() Options {
	if o.Name == "" {
		o.Name = "app"
	}
	if o.GlobalShutdownTimeout <= 0 {
		o.GlobalShutdownTimeout = 60 * time.Second
	}
	if o.PrestopPollInterval <= 0 {
		o.PrestopPollInterval = time.Second
	}
	if o.HealthPollInterval <= 0 {
		o.HealthPollInterval = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// ComponentOptions configures one registered component. The zero value means:
// wait for it up to the global shutdown timeout, do not monitor heartbeats.
type ComponentOptions struct {
	// GracefulShutdown is the component's budget from shutdown start; past
	// it the component's result is "timeout" and the manager stops waiting.
	GracefulShutdown time.Duration
	// LivenessDeadline, when set, enables stall detection: the component
	// must call ReportHealthy at least this often.
	LivenessDeadline time.Duration
	// StallThreshold is how many consecutive stalled health polls start a
	// shutdown. Values below 1 mean 1.
	StallThreshold int
}

// ErrShutdownTimeout is wrapped by Run's error when components were still
// running at the global shutdown timeout.
var ErrShutdownTimeout = errors.New("lifecycle: global shutdown timeout")

// ComponentError is Run's error when the shutdown was caused by a component
// failing (Reason "failure": SignalFailure, an error from Handle.Go, or a
// health stall) or dying (Reason "died": returning or panicking while the
// service was running).
type ComponentError struct {
	Component string
	Reason    string
	Err       error
}

func (e *ComponentError) Error() string {
	return fmt.Sprintf("lifecycle: component %q %s: %v", e.Component, e.Reason, e.Err)
}

func (e *ComponentError) Unwrap() error { return e.Err }

type phase int

const (
	phaseRunning phase = iota
	phaseShuttingDown
	phaseCompleted
	phaseTimedOut
	phaseDied
)

func (p phase) terminal() bool { return p >= phaseCompleted }

// Heartbeat sentinels stored in component.healthyUntil; real values are Unix
// nanoseconds.
const (
	heartbeatStarting  = 0
	heartbeatUnhealthy = -1
)

type component struct {
	tag  string
	opts ComponentOptions
	// healthyUntil is written by heartbeats on hot paths, hence atomic.
	healthyUntil atomic.Int64

	// Guarded by Manager.mu.
	phase  phase
	closed bool // its end (completion, failure, death) has been accounted for
	stalls int
}

// Manager coordinates the components of one process. Create it with
// NewManager, Register every component, then call Run.
type Manager struct {
	opts   Options
	log    *slog.Logger
	ctx    context.Context // cancelled when shutdown begins
	cancel context.CancelFunc
	wake   chan struct{}

	mu            sync.Mutex
	comps         []*component
	byTag         map[string]*component
	started       bool
	shutdownStart time.Time
	firstErr      error
}

// NewManager returns a Manager with opts (zero fields take their defaults).
func NewManager(opts Options) *Manager {
	opts = opts.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	return &Manager{
		opts:   opts,
		log:    opts.Logger.With("service_name", opts.Name),
		ctx:    ctx,
		cancel: cancel,
		wake:   make(chan struct{}, 1),
		byTag:  map[string]*component{},
	}
}

// Register adds a component and returns its Handle. It panics when called
// after Run or with a tag already registered: both are wiring mistakes.
func (m *Manager) Register(tag string, opts ComponentOptions) *Handle {
	if opts.StallThreshold < 1 {
		opts.StallThreshold = 1
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started {
		panic(fmt.Sprintf("lifecycle: Register(%q) after Run", tag))
	}
	if _, dup := m.byTag[tag]; dup {
		panic(fmt.Sprintf("lifecycle: component %q registered twice", tag))
	}
	c := &component{tag: tag, opts: opts}
	if m.IsShuttingDown() {
		// An earlier component already failed; this one is still owed its
		// shutdown budget.
		c.phase = phaseShuttingDown
	}
	m.comps = append(m.comps, c)
	m.byTag[tag] = c
	m.log.Debug("Lifecycle: component registered", "component", tag,
		"graceful_shutdown", opts.GracefulShutdown, "liveness_deadline", opts.LivenessDeadline,
		"stall_threshold", opts.StallThreshold)
	return &Handle{m: m, c: c}
}

// Context is cancelled when shutdown begins (and when Run returns).
// Servers outside the component model drain on it.
func (m *Manager) Context() context.Context { return m.ctx }

// Done is closed when shutdown begins.
func (m *Manager) Done() <-chan struct{} { return m.ctx.Done() }

// IsShuttingDown reports whether shutdown has begun.
func (m *Manager) IsShuttingDown() bool { return m.ctx.Err() != nil }

// Shutdown starts a clean shutdown on behalf of the process (trigger
// component "system", reason "requested"); Run then drains as usual.
func (m *Manager) Shutdown() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.triggerLocked("system", ReasonRequested, nil)
}

// LivenessHandler answers 200 "ok" always: liveness only says the process is
// reachable; stalls are handled by the manager's graceful shutdown.
func (m *Manager) LivenessHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok"))
	})
}

// ReadinessHandler answers 200 "ok" until shutdown begins and 503 after, so
// Kubernetes stops routing traffic to a draining pod.
func (m *Manager) ReadinessHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if m.IsShuttingDown() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("shutting down"))
			return
		}
		_, _ = w.Write([]byte("ok"))
	})
}

// Run monitors signals, the pre-stop file and component health until a
// shutdown is triggered (or ctx is cancelled, which counts as a signal), then
// waits for the components within their budgets. It also returns, without a
// shutdown, once every component has called WorkCompleted.
//
// It returns nil after a shutdown that no component caused, a *ComponentError
// when a component failed or died, and an error wrapping ErrShutdownTimeout
// when the global timeout passed first. Run may be called once.
func (m *Manager) Run(ctx context.Context) error {
	m.mu.Lock()
	if m.started {
		m.mu.Unlock()
		return errors.New("lifecycle: Run called twice")
	}
	m.started = true
	m.mu.Unlock()
	defer m.cancel()

	var sigs chan os.Signal
	if m.opts.TrapSignals {
		sigs = make(chan os.Signal, 1)
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(sigs)
	}
	var prestop <-chan time.Time
	if m.opts.PrestopFile != "" {
		t := time.NewTicker(m.opts.PrestopPollInterval)
		defer t.Stop()
		prestop = t.C
	}
	health := time.NewTicker(m.opts.HealthPollInterval)
	defer health.Stop()

	for !m.IsShuttingDown() {
		if m.allWorkCompleted() {
			return m.finalize(time.Now())
		}
		select {
		case <-ctx.Done():
			m.trigger("system", ReasonSignal, context.Cause(ctx))
		case s := <-sigs:
			m.trigger("system", ReasonSignal, fmt.Errorf("received %v", s))
		case <-prestop:
			if _, err := os.Stat(m.opts.PrestopFile); err == nil {
				m.trigger("system", ReasonPrestop, fmt.Errorf("found %s", m.opts.PrestopFile))
			}
		case <-health.C:
			m.pollHealth(time.Now())
		case <-m.wake:
		case <-m.ctx.Done():
		}
	}
	return m.awaitComponents()
}

// allWorkCompleted reports whether every component finished its finite work
// before any shutdown (with no components, Run waits for a trigger).
func (m *Manager) allWorkCompleted() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.comps) == 0 {
		return false
	}
	for _, c := range m.comps {
		if !c.phase.terminal() {
			return false
		}
	}
	return true
}

func (m *Manager) awaitComponents() error {
	m.mu.Lock()
	start := m.shutdownStart
	m.mu.Unlock()
	globalDeadline := start.Add(m.opts.GlobalShutdownTimeout)

	for {
		m.mu.Lock()
		now := time.Now()
		waiting := false
		next := globalDeadline
		for _, c := range m.comps {
			if c.phase != phaseShuttingDown {
				continue
			}
			if c.opts.GracefulShutdown > 0 {
				d := start.Add(c.opts.GracefulShutdown)
				if !now.Before(d) {
					m.finishLocked(c, phaseTimedOut, c.opts.GracefulShutdown)
					continue
				}
				if d.Before(next) {
					next = d
				}
			}
			waiting = true
		}
		if !waiting {
			m.mu.Unlock()
			return m.finalize(start)
		}
		if !now.Before(globalDeadline) {
			var remaining []string
			for _, c := range m.comps {
				if c.phase == phaseShuttingDown {
					c.phase = phaseTimedOut
					componentShutdownResult.WithLabelValues(m.opts.Name, c.tag, ResultTimeout).Inc()
					remaining = append(remaining, c.tag)
				}
			}
			m.mu.Unlock()
			m.log.Warn("Lifecycle: global shutdown timeout reached",
				"timeout", m.opts.GlobalShutdownTimeout, "remaining", remaining)
			return fmt.Errorf("%w after %s, still running: %s",
				ErrShutdownTimeout, m.opts.GlobalShutdownTimeout, strings.Join(remaining, ", "))
		}
		m.mu.Unlock()

		t := time.NewTimer(next.Sub(now))
		select {
		case <-m.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

func (m *Manager) finalize(start time.Time) error {
	m.mu.Lock()
	clean := true
	for _, c := range m.comps {
		if c.phase != phaseCompleted {
			clean = false
		}
	}
	err := m.firstErr
	m.mu.Unlock()

	shutdownCompleted.WithLabelValues(m.opts.Name, fmt.Sprint(clean)).Inc()
	level := slog.LevelInfo
	if !clean {
		level = slog.LevelWarn
	}
	m.log.Log(context.Background(), level, "Lifecycle: shutdown complete",
		"clean", clean, "total_duration_secs", time.Since(start).Seconds())
	return err
}

func (m *Manager) trigger(tag, reason string, cause error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.triggerLocked(tag, reason, cause)
}

// triggerLocked starts the shutdown; only the first trigger counts.
func (m *Manager) triggerLocked(tag, reason string, cause error) {
	if m.IsShuttingDown() {
		return
	}
	m.shutdownStart = time.Now()
	for _, c := range m.comps {
		if c.phase == phaseRunning {
			c.phase = phaseShuttingDown
		}
	}
	shutdownInitiated.WithLabelValues(m.opts.Name, tag, reason).Inc()
	attrs := []any{"trigger_component", tag, "trigger_reason", reason}
	level := slog.LevelInfo
	if cause != nil {
		attrs = append(attrs, "cause", cause.Error())
	}
	if reason == ReasonFailure || reason == ReasonDied {
		level = slog.LevelWarn
	}
	m.log.Log(context.Background(), level, "Lifecycle: shutdown initiated", attrs...)
	m.cancel()
	m.poke()
}

// How a component ended, as told by its Handle.
type ending int

const (
	endWorkCompleted ending = iota // WorkCompleted: finite work done
	endClosed                      // Close or Go's fn returned nil
	endFailed                      // SignalFailure, Go's fn returned an error, or a health stall
	endPanicked                    // Go's fn panicked
)

// endLocked accounts for a component's end exactly once. Before shutdown,
// completed work just marks it done while anything else starts the shutdown;
// during shutdown it is the component's result, unless it already timed out.
func (m *Manager) endLocked(c *component, how ending, cause error) {
	if c.closed {
		return
	}
	c.closed = true
	if m.IsShuttingDown() {
		if c.phase != phaseShuttingDown {
			return
		}
		result := phaseCompleted
		if how == endFailed || how == endPanicked {
			result = phaseDied
			m.log.Warn("Lifecycle: component failed during shutdown", "component", c.tag, "error", cause.Error())
		}
		m.finishLocked(c, result, time.Since(m.shutdownStart))
		return
	}
	if how == endWorkCompleted {
		c.phase = phaseCompleted
		m.log.Debug("Lifecycle: component work completed", "component", c.tag)
		m.poke()
		return
	}
	reason := ReasonDied
	if how == endFailed {
		reason = ReasonFailure
	}
	c.phase = phaseDied
	if m.firstErr == nil {
		m.firstErr = &ComponentError{Component: c.tag, Reason: reason, Err: cause}
	}
	m.triggerLocked(c.tag, reason, cause)
	m.recordResult(c, ResultDied, 0)
}

// finishLocked moves a shutting-down component to its result.
func (m *Manager) finishLocked(c *component, result phase, elapsed time.Duration) {
	c.phase = result
	label := ResultCompleted
	level := slog.LevelInfo
	switch result {
	case phaseTimedOut:
		label, level = ResultTimeout, slog.LevelWarn
	case phaseDied:
		label, level = ResultDied, slog.LevelWarn
	}
	m.recordResult(c, label, elapsed)
	m.log.Log(context.Background(), level, "Lifecycle: component finished shutdown",
		"component", c.tag, "result", label, "duration_secs", elapsed.Seconds())
	m.poke()
}

func (m *Manager) recordResult(c *component, result string, elapsed time.Duration) {
	componentShutdownDuration.WithLabelValues(m.opts.Name, c.tag, result).Observe(elapsed.Seconds())
	componentShutdownResult.WithLabelValues(m.opts.Name, c.tag, result).Inc()
}

// pollHealth is one health check: monitored components whose heartbeat
// expired (or that reported unhealthy) add a stall; a current heartbeat
// clears the count; reaching the threshold fails the component. Components
// that never reported healthy are still starting and are skipped.
func (m *Manager) pollHealth(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range m.comps {
		if c.opts.LivenessDeadline <= 0 || c.phase != phaseRunning {
			continue
		}
		gauge := componentHealthy.WithLabelValues(m.opts.Name, c.tag)
		until := c.healthyUntil.Load()
		var status string
		switch {
		case until == heartbeatStarting:
			gauge.Set(0)
			continue
		case until == heartbeatUnhealthy:
			status = "unhealthy"
		case until > now.UnixNano():
			gauge.Set(1)
			c.stalls = 0
			continue
		default:
			status = "stalled"
		}
		gauge.Set(0)
		c.stalls++
		if c.stalls < c.opts.StallThreshold {
			continue
		}
		m.log.Warn("Lifecycle: health stall threshold reached", "component", c.tag,
			"status", status, "stall_count", c.stalls, "stall_threshold", c.opts.StallThreshold)
		m.endLocked(c, endFailed,
			fmt.Errorf("health check %s (stall count %d/%d)", status, c.stalls, c.opts.StallThreshold))
		if m.IsShuttingDown() {
			return
		}
	}
}

func (m *Manager) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Handle is a component's connection to its Manager. It is safe for
// concurrent use; copy the pointer into child methods freely.
type Handle struct {
	m *Manager
	c *component
}

// Tag is the component's registered name.
func (h *Handle) Tag() string { return h.c.tag }

// Context is cancelled when shutdown begins; pass it to the component's work.
func (h *Handle) Context() context.Context { return h.m.ctx }

// Done is closed when shutdown begins.
func (h *Handle) Done() <-chan struct{} { return h.m.ctx.Done() }

// IsShuttingDown reports whether shutdown has begun (for hot loops).
func (h *Handle) IsShuttingDown() bool { return h.m.IsShuttingDown() }

// ReportHealthy is the liveness heartbeat: the component counts as healthy
// for its LivenessDeadline from now. Cheap enough for every loop iteration
// and safe from any goroutine (e.g. Kafka client callbacks).
func (h *Handle) ReportHealthy() {
	h.c.healthyUntil.Store(time.Now().Add(h.c.opts.LivenessDeadline).UnixNano())
}

// ReportUnhealthy marks the component unhealthy; the health monitor treats
// it like a missed heartbeat. For an immediate shutdown use SignalFailure.
func (h *Handle) ReportUnhealthy() {
	h.c.healthyUntil.Store(heartbeatUnhealthy)
}

// SignalFailure reports a fatal error: shutdown starts (reason "failure")
// and Run will return it. The component is not waited for afterwards, and a
// later Close is ignored; just return.
func (h *Handle) SignalFailure(err error) {
	if err == nil {
		err = errors.New("failure signalled")
	}
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	h.m.endLocked(h.c, endFailed, err)
}

// RequestShutdown starts a clean shutdown (reason "requested"). The component
// keeps running until it returns or calls Close like every other one.
func (h *Handle) RequestShutdown() {
	h.m.trigger(h.c.tag, ReasonRequested, nil)
}

// WorkCompleted marks finite work as finished normally, so the component's
// end is not taken for a death. Long-running components need not call it:
// ending during shutdown is completion.
func (h *Handle) WorkCompleted() {
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	h.m.endLocked(h.c, endWorkCompleted, nil)
}

// Close tells the manager the component has stopped, the Go counterpart of
// dropping the Rust handle: during shutdown it is the component's completion;
// before shutdown, unless WorkCompleted or SignalFailure came first, the
// component died and shutdown starts (reason "died"). Only the first of
// Close, WorkCompleted and SignalFailure counts, so `defer h.Close()` is safe
// after either of the others.
func (h *Handle) Close() {
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	h.m.endLocked(h.c, endClosed, errors.New("component stopped before shutdown"))
}

// Go runs fn in a new goroutine as the component's body, with the shutdown
// context. When fn returns nil it is Close, and so is returning an error
// wrapping context.Canceled once shutdown has begun (the usual `return
// ctx.Err()`); any other error is SignalFailure (or a "died" result if
// shutdown had already begun); when it
// panics the component died, whether or not shutdown had begun, and the panic
// is logged with its stack instead of crashing the process.
func (h *Handle) Go(fn func(ctx context.Context) error) {
	go func() {
		defer func() {
			if r := recover(); r != nil {
				h.m.log.Error("Lifecycle: component panicked", "component", h.c.tag,
					"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				h.m.mu.Lock()
				defer h.m.mu.Unlock()
				h.m.endLocked(h.c, endPanicked, fmt.Errorf("panic: %v", r))
			}
		}()
		err := fn(h.m.ctx)
		if err != nil && !(h.IsShuttingDown() && errors.Is(err, context.Canceled)) {
			h.SignalFailure(err)
			return
		}
		h.Close()
	}()
}
