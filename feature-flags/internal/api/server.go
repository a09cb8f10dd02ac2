package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hoggo/common/httpserver"

	"github.com/hoggo/feature-flags/internal/matching"
)

// Routes returns the service's HTTP handler: the flag routes on the common
// router (probes, and /metrics with request metrics when withMetrics).
func (s *Server) Routes(withMetrics bool) http.Handler {
	r := httpserver.NewRouter(httpserver.Options{
		Lifecycle:      s.Lifecycle,
		Readiness:      http.HandlerFunc(s.readiness),
		DisableMetrics: !withMetrics,
		Middlewares:    []func(http.Handler) http.Handler{cors},
	})
	for _, p := range []string{"/flags", "/flags/", "/decide", "/decide/"} {
		r.HandleFunc(p, s.flags)
	}
	for _, p := range []string{"/flags/definitions", "/flags/definitions/", "/api/feature_flag/local_evaluation", "/api/feature_flag/local_evaluation/"} {
		r.HandleFunc(p, s.definitionsFeed)
	}
	r.Get("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("feature flags"))
	})
	return r
}

// readiness answers 503 once shutdown begins (so the load balancer stops
// sending traffic to a draining pod), and while a Postgres pool is down.
func (s *Server) readiness(w http.ResponseWriter, r *http.Request) {
	if s.Lifecycle != nil && s.Lifecycle.IsShuttingDown() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("shutting down"))
		return
	}
	p := s.Store.Pools()
	for _, pool := range []interface {
		Ping(context.Context) error
	}{p.NonPersonsReader, p.NonPersonsWriter, p.PersonsReader, p.PersonsWriter} {
		if err := pool.Ping(r.Context()); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("database not ready: " + err.Error()))
			return
		}
	}
	_, _ = w.Write([]byte("ready"))
}

// cors is permissive like the reference: origin and requested headers are
// mirrored, credentials allowed.
func cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if o := r.Header.Get("Origin"); o != "" {
			h.Set("Access-Control-Allow-Origin", o)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Add("Vary", "Origin")
		}
		h.Set("Access-Control-Allow-Methods", allowMethods)
		if rh := r.Header.Get("Access-Control-Request-Headers"); rh != "" {
			h.Set("Access-Control-Allow-Headers", rh)
		}
		next.ServeHTTP(w, r)
	})
}

// dbErrorCode classifies a database error into a per-flag failure code.
func dbErrorCode(err error) string {
	var pe *pgconn.PgError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout:client_timeout"
	case errors.As(err, &pe) && pe.Code == "57014":
		return "timeout:query_canceled"
	case errors.As(err, &pe) && pe.Code == "55P03":
		return "timeout:lock_not_available"
	case pgconn.Timeout(err):
		return "timeout:io_timeout"
	}
	return "database_error"
}

func jsonString(v any) string { return matching.String(v) }
