// Package metrics serves the process's Prometheus metrics and records the
// HTTP request metrics every PostHog service exports.
//
// Metrics live in the Prometheus default registry (the only global state
// hoggo allows), so any package can register its own collectors with promauto
// and they show up on /metrics.
package metrics

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// DurationBuckets are seconds-oriented histogram buckets (those of the Rust
// common/serve_metrics crate). The Rust common/metrics crate applies
// millisecond buckets to second values, which puts every request in the
// first bucket; we keep its names and labels but not that mistake.
var DurationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 50, 100, 250}

// UnmatchedPath is the path label of requests no route matched. Using the raw
// URL path there (as the Rust middleware does) would let any scanner create
// unbounded label values.
const UnmatchedPath = "unmatched"

var (
	requestsTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "http_requests_total",
		Help: "HTTP requests served, by method, route template and status code.",
	}, []string{"method", "path", "status"})

	requestDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "http_requests_duration_seconds",
		Help:    "HTTP request duration in seconds, by method, route template and status code.",
		Buckets: DurationBuckets,
	}, []string{"method", "path", "status"})
)

// Handler serves the default registry in the Prometheus text format (GET /metrics).
func Handler() http.Handler {
	return promhttp.Handler()
}

// Middleware records http_requests_total and http_requests_duration_seconds
// for every request. Install it with chi's Router.Use so the path label can be
// the matched route template (e.g. "/api/projects/{id}"); requests that match
// no route are labelled UnmatchedPath.
func Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)

		status := ww.Status()
		if status == 0 {
			// The handler wrote nothing; net/http answers 200.
			status = http.StatusOK
		}
		method, path, code := methodLabel(r.Method), routePattern(r), strconv.Itoa(status)
		requestsTotal.WithLabelValues(method, path, code).Inc()
		requestDuration.WithLabelValues(method, path, code).Observe(time.Since(start).Seconds())
	})
}

// routePattern is read after the handler ran: chi fills the pattern in while
// routing, including sub-routers mounted below the middleware.
func routePattern(r *http.Request) string {
	rctx := chi.RouteContext(r.Context())
	if rctx == nil {
		return UnmatchedPath
	}
	p := rctx.RoutePattern()
	if p == "" {
		return UnmatchedPath
	}
	return p
}

// methodLabel bounds the method label: clients may send any token as a method.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return "OTHER"
}

// Register registers c with reg and returns it, or returns the collector
// already registered under the same description, so that a component built
// twice in one process (tests, the dev stack, one limiter per resource)
// shares its metrics instead of panicking. A nil reg leaves c unregistered.
// Any other registration error is a programming error and panics, as
// prometheus.MustRegister does.
func Register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(fmt.Sprintf("register %T: %v", c, err))
	}
	return c
}
