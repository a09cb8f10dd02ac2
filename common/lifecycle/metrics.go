package lifecycle

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metric names and labels are those of the Rust crate, so its dashboards and
// alerts work unchanged.
var (
	shutdownInitiated = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "lifecycle_shutdown_initiated_total",
		Help: "Shutdowns started, by the component and reason that triggered them.",
	}, []string{"service_name", "trigger_component", "trigger_reason"})

	componentShutdownDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "lifecycle_component_shutdown_duration_seconds",
		Help:    "Time from shutdown start until a component finished, timed out or died.",
		Buckets: []float64{0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120},
	}, []string{"service_name", "component", "result"})

	componentShutdownResult = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "lifecycle_component_shutdown_result_total",
		Help: "Component shutdown outcomes (completed, timeout, died).",
	}, []string{"service_name", "component", "result"})

	shutdownCompleted = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "lifecycle_shutdown_completed_total",
		Help: "Shutdowns that finished within the global timeout; clean=true when every component completed.",
	}, []string{"service_name", "clean"})

	componentHealthy = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "lifecycle_component_healthy",
		Help: "1 while a monitored component's heartbeat is current, else 0.",
	}, []string{"service_name", "component"})
)

// Trigger reasons (label trigger_reason) and component results (label result).
const (
	ReasonSignal    = "signal"
	ReasonPrestop   = "prestop"
	ReasonFailure   = "failure"
	ReasonRequested = "requested"
	ReasonDied      = "died"

	ResultCompleted = "completed"
	ResultTimeout   = "timeout"
	ResultDied      = "died"
)
