// Package httpserver builds the HTTP front of a hoggo service: a chi router
// with the probe and metrics routes every PostHog service has, the
// permissive CORS of capture, a body-size limit, and a server that drains
// in-flight requests when its context is cancelled.
package httpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/hoggo/common/lifecycle"
	"github.com/hoggo/common/metrics"
)

// Options configures NewRouter.
type Options struct {
	// Lifecycle, when set, serves /_liveness and /_readiness from the
	// manager (readiness turns 503 once shutdown begins).
	Lifecycle *lifecycle.Manager
	// Liveness and Readiness override the probe handlers. Without them (and
	// without Lifecycle) both answer 200 "ok".
	Liveness  http.Handler
	Readiness http.Handler
	// DisableMetrics leaves out /metrics and the request-metrics middleware
	// (the Rust services' EXPORT_PROMETHEUS=false).
	DisableMetrics bool
	// Middlewares wrap every route, inside the metrics middleware (so their
	// early answers, like a CORS preflight, are counted). They must be given
	// here: chi accepts router-wide middlewares only before the first route,
	// and NewRouter adds the probe routes. Router-wide is also where CORS
	// belongs, so preflights reach it for routes without an OPTIONS handler.
	Middlewares []func(http.Handler) http.Handler
}

// NewRouter returns a chi router with the metrics middleware and the routes
// GET /_liveness, GET /_readiness and GET /metrics. Services add their own
// routes and middlewares (CORS, LimitBody) on it.
func NewRouter(opts Options) *chi.Mux {
	r := chi.NewRouter()
	if !opts.DisableMetrics {
		r.Use(metrics.Middleware)
	}
	r.Use(opts.Middlewares...)
	if !opts.DisableMetrics {
		r.Method(http.MethodGet, "/metrics", metrics.Handler())
	}
	live, ready := opts.Liveness, opts.Readiness
	if opts.Lifecycle != nil {
		if live == nil {
			live = opts.Lifecycle.LivenessHandler()
		}
		if ready == nil {
			ready = opts.Lifecycle.ReadinessHandler()
		}
	}
	if live == nil {
		live = okHandler
	}
	if ready == nil {
		ready = okHandler
	}
	r.Method(http.MethodGet, "/_liveness", live)
	r.Method(http.MethodGet, "/_readiness", ready)
	return r
}

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok"))
})

// CORS is capture's deliberately permissive CORS policy (old SDKs and
// reverse proxies depend on it): the request's Origin is reflected with
// credentials allowed, the requested headers are allowed, methods are GET,
// POST and OPTIONS. Preflight requests (OPTIONS with
// Access-Control-Request-Method) are answered 200 here without reaching the
// route.
func CORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Add("Vary", "Origin")
		h.Add("Vary", "Access-Control-Request-Method")
		h.Add("Vary", "Access-Control-Request-Headers")
		if origin := r.Header.Get("Origin"); origin != "" {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		if req := r.Header.Values("Access-Control-Request-Headers"); len(req) > 0 {
			h.Set("Access-Control-Allow-Headers", strings.Join(req, ", "))
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			w.WriteHeader(http.StatusOK)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// LimitBody rejects request bodies over n bytes with 413 and a JSON error
// ({"status":413,"code":"payload_too_large","error":...}, capture's error
// shape). A declared Content-Length over n is rejected before the handler
// runs; a chunked body is cut at n bytes by http.MaxBytesReader, whose
// *http.MaxBytesError the handler must turn into a 413 itself (see
// IsBodyTooLarge and WriteBodyTooLarge).
func LimitBody(n int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > n {
				WriteBodyTooLarge(w, n)
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, n)
			next.ServeHTTP(w, r)
		})
	}
}

// IsBodyTooLarge reports whether err comes from reading past a LimitBody limit.
func IsBodyTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// WriteBodyTooLarge writes the 413 answer of LimitBody.
func WriteBodyTooLarge(w http.ResponseWriter, limit int64) {
	WriteError(w, http.StatusRequestEntityTooLarge, "payload_too_large",
		"request body exceeds the limit of "+strconv.FormatInt(limit, 10)+" bytes")
}

// WriteError writes capture's JSON error shape {"status","code","error"}.
func WriteError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Status int    `json:"status"`
		Code   string `json:"code"`
		Error  string `json:"error"`
	}{status, code, msg})
}

// ReadHeaderTimeout is the header read timeout of the servers started by
// Serve and ServeListener, against slow-loris clients.
const ReadHeaderTimeout = 10 * time.Second

// Serve listens on addr and serves h until ctx is cancelled, then stops
// accepting and gives in-flight requests up to drain to finish. It returns
// nil after a complete drain.
func Serve(ctx context.Context, addr string, h http.Handler, drain time.Duration) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	return ServeListener(ctx, ln, h, drain)
}

// ServeListener is Serve on a listener the caller opened, e.g. on
// 127.0.0.1:0 in tests, where ln.Addr() tells the port.
func ServeListener(ctx context.Context, ln net.Listener, h http.Handler, drain time.Duration) error {
	return ServeServer(ctx, &http.Server{Handler: h, ReadHeaderTimeout: ReadHeaderTimeout}, ln, drain)
}

// ServeServer is ServeListener with a caller-configured server (timeouts,
// error log). It closes ln. When the drain budget runs out the remaining
// connections are closed and the error wraps context.DeadlineExceeded.
func ServeServer(ctx context.Context, srv *http.Server, ln net.Listener, drain time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}

	// The drain deadline must not inherit ctx's cancellation.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), drain)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		<-errc
		return fmt.Errorf("drain %s: %w", ln.Addr(), err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	}
	return nil
}
