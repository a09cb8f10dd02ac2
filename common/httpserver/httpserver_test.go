package httpserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hoggo/common/httpserver"
	"github.com/hoggo/common/lifecycle"
)

type response struct {
	code   int
	header http.Header
	body   string
}

func do(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, string(b)}
}

func get(t *testing.T, url string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

func TestRouterProbesAndMetrics(t *testing.T) {
	srv := httptest.NewServer(httpserver.NewRouter(httpserver.Options{}))
	defer srv.Close()
	for _, p := range []string{"/_liveness", "/_readiness"} {
		if r := get(t, srv.URL+p); r.code != http.StatusOK || r.body != "ok" {
			t.Fatalf("%s: %d %q", p, r.code, r.body)
		}
	}
	r := get(t, srv.URL+"/metrics")
	if r.code != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", r.code, r.header.Get("Content-Type"))
	}
	if !strings.Contains(r.body, `http_requests_total{method="GET",path="/_liveness",status="200"}`) {
		t.Fatalf("probe request not in metrics:\n%s", r.body)
	}
}

func TestRouterWithLifecycle(t *testing.T) {
	m := lifecycle.NewManager(lifecycle.Options{Name: "httpserver-test"})
	srv := httptest.NewServer(httpserver.NewRouter(httpserver.Options{Lifecycle: m}))
	defer srv.Close()
	if r := get(t, srv.URL+"/_readiness"); r.code != http.StatusOK {
		t.Fatalf("readiness before shutdown: %d", r.code)
	}
	m.Shutdown()
	if r := get(t, srv.URL+"/_readiness"); r.code != http.StatusServiceUnavailable {
		t.Fatalf("readiness during shutdown: %d", r.code)
	}
	if r := get(t, srv.URL+"/_liveness"); r.code != http.StatusOK {
		t.Fatalf("liveness during shutdown: %d", r.code)
	}
}

func TestRouterCustomProbesNoMetrics(t *testing.T) {
	reg := lifecycle.NewHealthRegistry("liveness")
	srv := httptest.NewServer(httpserver.NewRouter(httpserver.Options{
		Liveness:       reg.Handler(),
		Readiness:      http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("capture")) }),
		DisableMetrics: true,
	}))
	defer srv.Close()
	if r := get(t, srv.URL+"/_liveness"); r.code != http.StatusInternalServerError {
		t.Fatalf("liveness of an empty registry: %d", r.code)
	}
	if r := get(t, srv.URL+"/_readiness"); r.code != http.StatusOK || r.body != "capture" {
		t.Fatalf("readiness: %d %q", r.code, r.body)
	}
	if r := get(t, srv.URL+"/metrics"); r.code != http.StatusNotFound {
		t.Fatalf("/metrics with metrics disabled: %d", r.code)
	}
}

func corsServer(t *testing.T) *httptest.Server {
	r := httpserver.NewRouter(httpserver.Options{})
	r.With(httpserver.CORS).MethodFunc(http.MethodPost, "/e", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"status":1}`))
	})
	r.With(httpserver.CORS).MethodFunc(http.MethodOptions, "/e", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv
}

func TestCORSPreflight(t *testing.T) {
	srv := corsServer(t)
	req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/e", nil)
	req.Header.Set("Origin", "https://app.example.com")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type, x-posthog-token")
	r := do(t, req)
	if r.code != http.StatusOK {
		t.Fatalf("preflight status %d", r.code)
	}
	want := map[string]string{
		"Access-Control-Allow-Origin":      "https://app.example.com",
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Methods":     "GET, POST, OPTIONS",
		"Access-Control-Allow-Headers":     "content-type, x-posthog-token",
	}
	for k, v := range want {
		if got := r.header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if !strings.Contains(strings.Join(r.header.Values("Vary"), ","), "Origin") {
		t.Errorf("Vary does not list Origin: %v", r.header.Values("Vary"))
	}
}

func TestCORSSimpleRequest(t *testing.T) {
	srv := corsServer(t)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/e", strings.NewReader("{}"))
	req.Header.Set("Origin", "http://localhost:8000")
	r := do(t, req)
	if r.code != http.StatusOK || r.body != `{"status":1}` {
		t.Fatalf("POST: %d %q", r.code, r.body)
	}
	if r.header.Get("Access-Control-Allow-Origin") != "http://localhost:8000" || r.header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("origin not reflected: %v", r.header)
	}

	// Without Origin there is nothing to reflect.
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/e", strings.NewReader("{}"))
	if r := do(t, req); r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("Allow-Origin set without Origin: %q", r.header.Get("Access-Control-Allow-Origin"))
	}

	// A plain OPTIONS (not a preflight) reaches the route.
	req, _ = http.NewRequest(http.MethodOptions, srv.URL+"/e", nil)
	if r := do(t, req); r.code != http.StatusNoContent {
		t.Fatalf("plain OPTIONS: %d", r.code)
	}
}

func TestRouterWideCORSAnswersPreflightForAnyRoute(t *testing.T) {
	r := httpserver.NewRouter(httpserver.Options{Middlewares: []func(http.Handler) http.Handler{httpserver.CORS}})
	r.Post("/flags", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("{}")) })
	srv := httptest.NewServer(r)
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/flags", nil)
	req.Header.Set("Origin", "https://eu.example.com")
	req.Header.Set("Access-Control-Request-Method", "POST")
	if r := do(t, req); r.code != http.StatusOK || r.header.Get("Access-Control-Allow-Origin") != "https://eu.example.com" {
		t.Fatalf("preflight: %d %v", r.code, r.header)
	}
	if r := get(t, srv.URL+"/_liveness"); r.code != http.StatusOK {
		t.Fatalf("liveness with middlewares: %d", r.code)
	}
}

func limitServer(t *testing.T, limit int64) *httptest.Server {
	r := httpserver.NewRouter(httpserver.Options{})
	r.With(httpserver.LimitBody(limit)).Post("/upload", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if httpserver.IsBodyTooLarge(err) {
			httpserver.WriteBodyTooLarge(w, limit)
			return
		}
		if err != nil {
			httpserver.WriteError(w, http.StatusBadRequest, "request_decoding_error", err.Error())
			return
		}
		_, _ = w.Write([]byte(strconv.Itoa(len(b))))
	})
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv
}

func checkTooLarge(t *testing.T, r response) {
	t.Helper()
	if r.code != http.StatusRequestEntityTooLarge || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("want 413 JSON, got %d %s %q", r.code, r.header.Get("Content-Type"), r.body)
	}
	var body struct {
		Status int    `json:"status"`
		Code   string `json:"code"`
		Error  string `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.body), &body); err != nil {
		t.Fatalf("body not JSON: %q", r.body)
	}
	if body.Status != 413 || body.Code != "payload_too_large" || !strings.Contains(body.Error, "16 bytes") {
		t.Fatalf("unexpected error body %+v", body)
	}
}

func TestLimitBody(t *testing.T) {
	srv := limitServer(t, 16)

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/upload", strings.NewReader(strings.Repeat("a", 16)))
	if r := do(t, req); r.code != http.StatusOK || r.body != "16" {
		t.Fatalf("body at the limit: %d %q", r.code, r.body)
	}

	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/upload", strings.NewReader(strings.Repeat("a", 17)))
	checkTooLarge(t, do(t, req))

	// Chunked: no Content-Length, so the limit bites while reading.
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/upload", io.MultiReader(strings.NewReader(strings.Repeat("b", 40))))
	req.ContentLength = -1
	checkTooLarge(t, do(t, req))
}

func TestServeDrainsInFlightRequests(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(entered)
		<-release
		_, _ = w.Write([]byte("done"))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- httpserver.ServeListener(ctx, ln, h, 5*time.Second) }()

	got := make(chan response, 1)
	go func() {
		// Not get(): t.Fatal must not run outside the test goroutine.
		resp, err := http.Get("http://" + addr + "/slow")
		if err != nil {
			got <- response{body: err.Error()}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- response{code: resp.StatusCode, body: string(b)}
	}()
	<-entered
	cancel()

	// The listener closes at once; the in-flight request still finishes.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		_ = c.Close()
		if time.Now().After(deadline) {
			t.Fatal("listener still accepting after cancellation")
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	if r := <-got; r.code != http.StatusOK || r.body != "done" {
		t.Fatalf("in-flight request: %d %q", r.code, r.body)
	}
	if err := <-served; err != nil {
		t.Fatalf("ServeListener: %v", err)
	}
}

func TestServeDrainBudget(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		close(entered)
		<-release
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- httpserver.ServeListener(ctx, ln, h, 20*time.Millisecond) }()
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String())
		if err == nil {
			_ = resp.Body.Close()
		}
	}()
	<-entered
	cancel()
	if err := <-served; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ServeListener = %v, want a drain deadline error", err)
	}
}

func TestServeBadAddress(t *testing.T) {
	err := httpserver.Serve(context.Background(), "256.0.0.1:http", http.NotFoundHandler(), time.Second)
	if err == nil || !strings.Contains(err.Error(), "listen") {
		t.Fatalf("Serve = %v", err)
	}
}

func BenchmarkCORS(b *testing.B) {
	h := httpserver.CORS(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	req := httptest.NewRequest(http.MethodPost, "/e", nil)
	req.Header.Set("Origin", "https://app.example.com")
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}
