package lifecycle

import (
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Status is a component's state in a HealthRegistry (health model v1).
type Status int

const (
	// StatusStarting is set at registration, before the first heartbeat.
	StatusStarting Status = iota
	// StatusHealthyUntil means healthy until ComponentStatus.Until.
	StatusHealthyUntil
	// StatusUnhealthy is reported explicitly by the component.
	StatusUnhealthy
	// StatusStalled is computed, never stored: a HealthyUntil in the past.
	StatusStalled
)

func (s Status) String() string {
	switch s {
	case StatusStarting:
		return "Starting"
	case StatusHealthyUntil:
		return "HealthyUntil"
	case StatusUnhealthy:
		return "Unhealthy"
	case StatusStalled:
		return "Stalled"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// ComponentStatus is one component's entry; Until is set for StatusHealthyUntil.
type ComponentStatus struct {
	Status Status
	Until  time.Time
}

func (c ComponentStatus) String() string {
	if c.Status == StatusHealthyUntil {
		return fmt.Sprintf("HealthyUntil(%s)", c.Until.UTC().Format(time.RFC3339Nano))
	}
	return c.Status.String()
}

// HealthRegistry is the v1 liveness model of rust/common/health: components
// register with a deadline and must report healthy more often than that.
// The registry is healthy only when at least one component is registered and
// every one holds a current heartbeat. Services on this model serve
// /_liveness from Handler (a 500 makes Kubernetes restart the pod) and a
// static /_readiness.
type HealthRegistry struct {
	name string
	log  *slog.Logger

	mu         sync.RWMutex
	components map[string]ComponentStatus
}

// NewHealthRegistry returns an empty (hence unhealthy) registry; name is
// used in logs and the status dump, e.g. "liveness".
func NewHealthRegistry(name string) *HealthRegistry {
	return &HealthRegistry{name: name, log: slog.Default(), components: map[string]ComponentStatus{}}
}

// SetLogger replaces slog.Default() for the registry's failure logs.
func (r *HealthRegistry) SetLogger(l *slog.Logger) {
	r.mu.Lock()
	r.log = l
	r.mu.Unlock()
}

// Register adds (or resets) a component in StatusStarting and returns its
// reporting handle. deadline is how long one ReportHealthy counts.
func (r *HealthRegistry) Register(component string, deadline time.Duration) *HealthHandle {
	r.set(component, ComponentStatus{Status: StatusStarting})
	return &HealthHandle{r: r, component: component, deadline: deadline}
}

func (r *HealthRegistry) set(component string, s ComponentStatus) {
	r.mu.Lock()
	r.components[component] = s
	r.mu.Unlock()
}

// HealthStatus is a snapshot of a registry.
type HealthStatus struct {
	Name       string
	Healthy    bool
	Components map[string]ComponentStatus
}

// String is the text body of the health endpoint: a debug dump in the
// spirit of the Rust service's, components sorted by name.
func (s HealthStatus) String() string {
	names := make([]string, 0, len(s.Components))
	for n := range s.Components {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "HealthStatus { name: %q, healthy: %t, components: {", s.Name, s.Healthy)
	for i, n := range names {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, " %q: %s", n, s.Components[n])
	}
	if len(names) > 0 {
		b.WriteString(" ")
	}
	b.WriteString("} }")
	return b.String()
}

// Status computes the registry's health now; expired heartbeats show as
// StatusStalled.
func (r *HealthRegistry) Status() HealthStatus {
	now := time.Now()
	r.mu.RLock()
	defer r.mu.RUnlock()
	st := HealthStatus{Name: r.name, Healthy: len(r.components) > 0, Components: make(map[string]ComponentStatus, len(r.components))}
	for n, c := range r.components {
		if c.Status == StatusHealthyUntil && !c.Until.After(now) {
			c = ComponentStatus{Status: StatusStalled}
		}
		if c.Status != StatusHealthyUntil {
			st.Healthy = false
		}
		st.Components[n] = c
	}
	return st
}

// Handler answers 200 when healthy and 500 otherwise, with the status dump
// as a plain-text body (not JSON, as in the reference).
func (r *HealthRegistry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		st := r.Status()
		r.mu.RLock()
		log := r.log
		r.mu.RUnlock()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !st.Healthy {
			// The Rust check also logs successes at info; on a probe hit every
			// few seconds that is noise, so only failures are logged here.
			log.Warn("health check failed", "registry", r.name, "status", st.String())
			w.WriteHeader(http.StatusInternalServerError)
		}
		_, _ = w.Write([]byte(st.String()))
	})
}

// HealthHandle reports one component's status to its registry. Safe for
// concurrent use, including from client-library callbacks.
type HealthHandle struct {
	r         *HealthRegistry
	component string
	deadline  time.Duration
}

// ReportHealthy marks the component healthy until now + its deadline.
func (h *HealthHandle) ReportHealthy() {
	h.r.set(h.component, ComponentStatus{Status: StatusHealthyUntil, Until: time.Now().Add(h.deadline)})
}

// ReportStatus sets the component's status directly, e.g.
// ComponentStatus{Status: StatusUnhealthy}.
func (h *HealthHandle) ReportStatus(s ComponentStatus) {
	h.r.set(h.component, s)
}
