package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hoggo/common/lifecycle"
)

// /_readiness answers "capture" until shutdown begins, then the lifecycle
// manager's 503; /_liveness is the injected health registry.
func TestProbesFollowLifecycle(t *testing.T) {
	mgr := lifecycle.NewManager(lifecycle.Options{})
	reg := lifecycle.NewHealthRegistry("liveness")
	srv := New(Options{
		ShuttingDown: mgr.IsShuttingDown,
		Draining:     mgr.ReadinessHandler(),
		Liveness:     reg.Handler(),
	})
	h := srv.Router(false)
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		b, _ := io.ReadAll(rec.Body)
		return rec.Code, string(b)
	}
	if code, body := get("/_readiness"); code != 200 || body != "capture" {
		t.Errorf("readiness before shutdown: %d %q", code, body)
	}
	// An empty registry is unhealthy (the print sink's deliberate 500).
	if code, _ := get("/_liveness"); code != 500 {
		t.Errorf("liveness with nothing registered: %d", code)
	}
	reg.Register("rdkafka", 1<<62).ReportHealthy()
	if code, _ := get("/_liveness"); code != 200 {
		t.Errorf("liveness with a current heartbeat: %d", code)
	}
	mgr.Shutdown()
	if code, _ := get("/_readiness"); code != http.StatusServiceUnavailable {
		t.Errorf("readiness during shutdown: %d", code)
	}
	if code, body := get("/"); code != 200 || body != "capture" {
		t.Errorf("index during shutdown: %d %q", code, body)
	}
}
