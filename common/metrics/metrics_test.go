package metrics_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/hoggo/common/metrics"
)

func scrape(t *testing.T) string {
	t.Helper()
	rec := httptest.NewRecorder()
	metrics.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics status %d", rec.Code)
	}
	return rec.Body.String()
}

func get(t *testing.T, method, url string) int {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// sample returns the value of one series in the exposition text, 0 if absent.
// Tests compare samples before and after, since the registry is process-wide
// and survives -count=N.
func sample(text, series string) float64 {
	for _, l := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(l, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return -1
			}
			return f
		}
	}
	return 0
}

func TestMiddlewareRecordsRouteTemplateAndStatus(t *testing.T) {
	series := []string{
		`http_requests_total{method="GET",path="/mw/projects/{id}",status="418"}`,
		`http_requests_total{method="POST",path="/mw/implicit",status="200"}`,
		`http_requests_total{method="GET",path="/mw/api/items/{item}",status="200"}`,
		`http_requests_total{method="GET",path="unmatched",status="404"}`,
		`http_requests_duration_seconds_count{method="GET",path="/mw/projects/{id}",status="418"}`,
		`http_requests_duration_seconds_bucket{method="GET",path="/mw/projects/{id}",status="418",le="250"}`,
	}
	want := []float64{3, 1, 1, 1, 3, 3}
	before := scrape(t)

	r := chi.NewRouter()
	r.Use(metrics.Middleware)
	r.Get("/mw/projects/{id}", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	r.Post("/mw/implicit", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("x")) })
	r.Route("/mw/api", func(r chi.Router) {
		r.Get("/items/{item}", func(http.ResponseWriter, *http.Request) {})
	})
	srv := httptest.NewServer(r)
	defer srv.Close()

	for _, id := range []string{"1", "2", "3"} {
		if got := get(t, http.MethodGet, srv.URL+"/mw/projects/"+id); got != http.StatusTeapot {
			t.Fatalf("status %d", got)
		}
	}
	get(t, http.MethodPost, srv.URL+"/mw/implicit")
	get(t, http.MethodGet, srv.URL+"/mw/api/items/abc")
	if got := get(t, http.MethodGet, srv.URL+"/mw/no/such/route/42"); got != http.StatusNotFound {
		t.Fatalf("unmatched status %d", got)
	}

	text := scrape(t)
	for i, s := range series {
		if got := sample(text, s) - sample(before, s); got != want[i] {
			t.Errorf("%s grew by %v, want %v", s, got, want[i])
		}
	}
	if !strings.Contains(text, `http_requests_duration_seconds_bucket{method="GET",path="/mw/projects/{id}",status="418",le="0.005"}`) {
		t.Error("seconds buckets missing")
	}
	if strings.Contains(text, "/mw/projects/1") || strings.Contains(text, "/mw/no/such") {
		t.Error("raw paths leaked into labels")
	}
}

func TestMiddlewareBoundsMethodLabel(t *testing.T) {
	r := chi.NewRouter()
	r.Use(metrics.Middleware)
	r.HandleFunc("/mw/any", func(http.ResponseWriter, *http.Request) {})
	srv := httptest.NewServer(r)
	defer srv.Close()

	const series = `http_requests_total{method="OTHER",path="unmatched",status="405"}`
	before := sample(scrape(t), series)
	// chi answers 405 to methods it does not know, before any route matches.
	if got := get(t, "BREW", srv.URL+"/mw/any"); got != http.StatusMethodNotAllowed {
		t.Fatalf("status %d", got)
	}
	if text := scrape(t); sample(text, series)-before != 1 || strings.Contains(text, "BREW") {
		t.Errorf("custom method not folded into OTHER:\n%s", grep(text, "OTHER"))
	}
}

func grep(text, sub string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func BenchmarkMiddleware(b *testing.B) {
	r := chi.NewRouter()
	r.Use(metrics.Middleware)
	r.Get("/bench/{id}", func(http.ResponseWriter, *http.Request) {})
	req := httptest.NewRequest(http.MethodGet, "/bench/1", nil)
	b.ReportAllocs()
	for b.Loop() {
		r.ServeHTTP(httptest.NewRecorder(), req)
	}
}
