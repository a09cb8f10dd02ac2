package lifecycle

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHealthNoComponentsIsUnhealthy(t *testing.T) {
	r := NewHealthRegistry("liveness")
	if st := r.Status(); st.Healthy || len(st.Components) != 0 {
		t.Fatalf("empty registry: %v", st)
	}
}

func TestHealthOneComponent(t *testing.T) {
	r := NewHealthRegistry("liveness")
	h := r.Register("one", 30*time.Second)
	st := r.Status()
	if st.Healthy || st.Components["one"].Status != StatusStarting {
		t.Fatalf("registered component: %v", st)
	}
	h.ReportHealthy()
	st = r.Status()
	if !st.Healthy || st.Components["one"].Status != StatusHealthyUntil {
		t.Fatalf("after ReportHealthy: %v", st)
	}
	h.ReportStatus(ComponentStatus{Status: StatusUnhealthy})
	st = r.Status()
	if st.Healthy || st.Components["one"].Status != StatusUnhealthy {
		t.Fatalf("after Unhealthy: %v", st)
	}
	if !strings.Contains(st.String(), `"one": Unhealthy`) {
		t.Fatalf("dump does not show Unhealthy: %s", st)
	}
}

func TestHealthStaleComponentIsStalled(t *testing.T) {
	r := NewHealthRegistry("liveness")
	h := r.Register("one", 30*time.Second)
	h.ReportStatus(ComponentStatus{Status: StatusHealthyUntil, Until: time.Now().Add(-time.Second)})
	st := r.Status()
	if st.Healthy || st.Components["one"].Status != StatusStalled {
		t.Fatalf("expired heartbeat: %v", st)
	}
	if !strings.Contains(st.String(), `"one": Stalled`) {
		t.Fatalf("dump does not show Stalled: %s", st)
	}
}

func TestHealthTwoComponents(t *testing.T) {
	r := NewHealthRegistry("liveness")
	one := r.Register("one", 30*time.Second)
	two := r.Register("two", 30*time.Second)
	one.ReportHealthy()
	if r.Status().Healthy {
		t.Fatal("one healthy component of two is not enough")
	}
	two.ReportHealthy()
	if !r.Status().Healthy {
		t.Fatal("both healthy should be healthy")
	}
	for _, h := range []*HealthHandle{one, two} {
		h.ReportStatus(ComponentStatus{Status: StatusUnhealthy})
		if r.Status().Healthy {
			t.Fatal("one unhealthy component must make the registry unhealthy")
		}
		h.ReportHealthy()
		if !r.Status().Healthy {
			t.Fatal("recovery did not restore health")
		}
	}
}

func TestHealthHTTP(t *testing.T) {
	r := NewHealthRegistry("liveness")
	logs := &syncBuffer{}
	r.SetLogger(slog.New(slog.NewTextHandler(logs, nil)))
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	get := func() (int, string) {
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(); code != http.StatusInternalServerError || !strings.Contains(body, "healthy: false") {
		t.Fatalf("empty registry: %d %q", code, body)
	}
	h := r.Register("kafka", 30*time.Second)
	if code, body := get(); code != http.StatusInternalServerError || !strings.Contains(body, `"kafka": Starting`) {
		t.Fatalf("starting: %d %q", code, body)
	}
	h.ReportHealthy()
	if code, body := get(); code != http.StatusOK || !strings.Contains(body, `"kafka": HealthyUntil(`) {
		t.Fatalf("healthy: %d %q", code, body)
	}
	if n := strings.Count(logs.String(), "health check failed"); n != 2 {
		t.Fatalf("want 2 failure logs, got %d:\n%s", n, logs)
	}
}

func BenchmarkHealthHandleReportHealthy(b *testing.B) {
	h := NewHealthRegistry("liveness").Register("rdkafka", 30*time.Second)
	b.ReportAllocs()
	for b.Loop() {
		h.ReportHealthy()
	}
}
