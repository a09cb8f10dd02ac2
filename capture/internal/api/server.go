// Package api is capture's HTTP face: routes, CORS, body limits and read
// timeouts, and the analytics and replay handlers that run the pipeline
// (payload → event → limits → sink) and answer like the reference.
package api

import (
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/hoggo/capture/internal/apierr"
	"github.com/hoggo/capture/internal/limits"
	"github.com/hoggo/capture/internal/sink"
	"github.com/hoggo/common/httpserver"
)

// Body limits per route (spec §2.1).
const (
	EventBodySize     = 2 << 20
	BatchBodySize     = 20 << 20
	RecordingBodySize = 25 << 20
)

// Mode is the deployment mode (CAPTURE_MODE).
type Mode string

// Modes served.
const (
	ModeEvents     Mode = "events"
	ModeRecordings Mode = "recordings"
)

// Options configure the handlers.
type Options struct {
	Mode     Mode
	Sink     sink.Sink
	Policies *limits.Policies
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// EventMaxBytes caps the decoded payload (events mode: BATCH_BODY_SIZE×5).
	EventMaxBytes int
	// BodyChunkReadTimeout, when > 0, answers 408 if the client stalls this
	// long between body chunks (BODY_CHUNK_READ_TIMEOUT_MS).
	BodyChunkReadTimeout time.Duration
	// Historical rerouting by age.
	RerouteHistorical      bool
	RerouteHistoricalAfter time.Duration
	// Liveness answers /_liveness (common/lifecycle's HealthRegistry in
	// Run); nil answers 200 "ok".
	Liveness http.Handler
	// ShuttingDown, when it reports true, makes /_readiness answer with
	// Draining (the lifecycle manager's 503) instead of 200 "capture", so
	// Kubernetes stops routing to a draining pod.
	ShuttingDown func() bool
	Draining     http.Handler
	// ConcurrencyLimit > 0 caps in-flight capture requests; the rest wait
	// for a slot (CONCURRENCY_LIMIT, tower's ConcurrencyLimit layer).
	ConcurrencyLimit int
	// V1, when set, serves /i/v1/analytics/events (capture-v1 spec) in
	// events mode; it handles its own methods and CORS.
	V1 http.Handler
}

// Server holds the handlers' dependencies.
type Server struct {
	opts Options
}

var receivedEvents = promauto.NewCounter(prometheus.CounterOpts{
	Name: "capture_events_received_total", Help: "Events received in valid requests.",
})

// New returns the capture HTTP handler: capture routes for the mode, `/`,
// `/_readiness`, `/_liveness`, with permissive CORS. The caller adds
// `/metrics` when EXPORT_PROMETHEUS is on (see Router).
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Mode == "" {
		opts.Mode = ModeEvents
	}
	if opts.EventMaxBytes == 0 {
		opts.EventMaxBytes = BatchBodySize * 5
	}
	return &Server{opts: opts}
}

// Router builds the chi router (common/httpserver: probes, /metrics and
// request metrics unless disabled, capture's permissive CORS) with the
// capture routes of the mode.
func (s *Server) Router(exportMetrics bool) http.Handler {
	live := s.opts.Liveness
	if live == nil {
		live = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	}
	index := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("capture"))
	})
	ready := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.opts.ShuttingDown != nil && s.opts.Draining != nil && s.opts.ShuttingDown() {
			s.opts.Draining.ServeHTTP(w, r)
			return
		}
		index(w, r)
	})
	r := httpserver.NewRouter(httpserver.Options{
		Liveness:       live,
		Readiness:      ready,
		DisableMetrics: !exportMetrics,
		Middlewares:    []func(http.Handler) http.Handler{httpserver.CORS},
	})
	r.Method(http.MethodGet, "/", index)
	var slots chan struct{}
	if s.opts.ConcurrencyLimit > 0 {
		slots = make(chan struct{}, s.opts.ConcurrencyLimit)
	}
	route := func(path string, limit int, h func(http.ResponseWriter, *http.Request, int)) {
		fn := func(w http.ResponseWriter, r *http.Request) {
			if slots != nil {
				select {
				case slots <- struct{}{}:
					defer func() { <-slots }()
				case <-r.Context().Done():
					return
				}
			}
			h(w, r, limit)
		}
		for _, p := range []string{path, path + "/"} {
			for _, m := range []string{http.MethodGet, http.MethodPost} {
				r.MethodFunc(m, p, fn)
			}
			r.MethodFunc(http.MethodOptions, p, ok)
		}
	}
	switch s.opts.Mode {
	case ModeRecordings:
		route("/s", RecordingBodySize, s.recordings)
	default:
		for _, p := range []string{"/e", "/i/v0/e", "/track", "/engage", "/capture"} {
			route(p, EventBodySize, s.analytics)
		}
		route("/batch", BatchBodySize, s.analytics)
		if s.opts.V1 != nil {
			r.Handle("/i/v1/analytics/events", s.opts.V1)
			r.Handle("/i/v1/analytics/events/", s.opts.V1)
		}
		route("/test/black_hole", BatchBodySize, func(w http.ResponseWriter, r *http.Request, limit int) {
			if _, err := s.readBody(w, r, limit); err != nil {
				apierr.Write(w, apierr.From(err))
				return
			}
			ok(w, r)
		})
	}
	r.MethodNotAllowed(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusMethodNotAllowed)
	})
	return r
}

var okBody = []byte(`{"status":"Ok"}`)

func ok(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(okBody)
}

// respondOK answers a successful capture: 204 for beacon=1, else 200 Ok.
func respondOK(w http.ResponseWriter, beacon bool) {
	if beacon {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(okBody)
}

// clientIP follows axum-client-ip's insecure extractor: left-most
// X-Forwarded-For entry, X-Real-IP, Forwarded for=, then the peer address.
func clientIP(r *http.Request) string {
	if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
		first, _, _ := strings.Cut(xff, ",")
		if ip := strings.TrimSpace(first); ip != "" {
			return ip
		}
	}
	if ip := strings.TrimSpace(r.Header.Get("X-Real-Ip")); ip != "" {
		return ip
	}
	if fwd := r.Header.Get("Forwarded"); fwd != "" {
		for _, part := range strings.Split(strings.Split(fwd, ",")[0], ";") {
			k, v, found := strings.Cut(strings.TrimSpace(part), "=")
			if found && strings.EqualFold(k, "for") {
				v = strings.Trim(v, `"`)
				v = strings.TrimPrefix(v, "[")
				if i := strings.LastIndex(v, "]"); i >= 0 {
					v = v[:i]
				} else if h, _, err := net.SplitHostPort(v); err == nil {
					v = h
				}
				return v
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

var errorsByStage = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "capture_error_by_stage_and_type", Help: "Capture request errors by type.",
}, []string{"error", "stage", "mode"})
