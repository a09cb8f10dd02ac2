package loadgen

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunPacesAndCounts(t *testing.T) {
	var mu sync.Mutex
	bodies := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.RequestURI() != "/e/?v=1" || r.Header.Get("Content-Type") != "text/plain" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		bodies[string(b)] = true
		mu.Unlock()
		_, _ = w.Write([]byte(`{"status":1}`))
	}))
	defer srv.Close()

	res, err := Run(context.Background(), Options{
		URL: srv.URL + "/e/?v=1", ContentType: "text/plain", Workers: 4, Rate: 200, Duration: 500 * time.Millisecond,
		Body: func(i int) []byte { return []byte("body-" + string(rune('a'+i%26))) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 0 {
		t.Fatalf("errors %d: %v", res.Errors, res.FirstError)
	}
	// 200 req/s for 0.5 s is 100 requests due; none is started after the end.
	if res.OK < 80 || res.OK > 101 {
		t.Errorf("OK = %d, want about 100", res.OK)
	}
	if len(res.Latencies) != res.OK || res.Percentile(0) > res.Percentile(100) {
		t.Errorf("latencies not one per OK request, sorted")
	}
	if len(bodies) != 26 {
		t.Errorf("server saw %d distinct bodies, want 26", len(bodies))
	}
}

func TestRunCountsFailuresAndReconnects(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) % 3 {
		case 0:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 1:
			w.Header().Set("Connection", "close")
		}
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	res, err := Run(context.Background(), Options{URL: srv.URL, Workers: 2, Duration: 200 * time.Millisecond,
		Body: func(int) []byte { return []byte("{}") }})
	if err != nil {
		t.Fatal(err)
	}
	total := res.OK + res.Errors
	if total < 30 || res.Errors < total/4 || res.Errors > total/2 {
		t.Fatalf("ok %d errors %d, want about a third failing", res.OK, res.Errors)
	}
	if res.FirstError == nil || !strings.Contains(res.FirstError.Error(), "status 503") {
		t.Errorf("first error %v, want status 503", res.FirstError)
	}
}

func TestRunRejectsHTTPS(t *testing.T) {
	if _, err := Run(context.Background(), Options{URL: "https://example.com/"}); err == nil {
		t.Fatal("https accepted")
	}
}

func TestProcessCPU(t *testing.T) {
	before, err := ProcessCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(100 * time.Millisecond)
	for x := 0; time.Now().Before(deadline); x++ {
		_ = x * x
	}
	after, err := ProcessCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if d := after - before; d < 50*time.Millisecond {
		t.Errorf("spinning 100 ms used %v of CPU", d)
	}
	if _, err := ProcessCPU(-1); err == nil {
		t.Error("no error for a missing process")
	}
}

func TestRunCountsLateRequests(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
	}))
	defer srv.Close()
	// One worker and a request every 5 ms against a 20 ms server: most
	// requests wait for the worker.
	res, err := Run(context.Background(), Options{URL: srv.URL, Workers: 1, Rate: 200, Duration: 300 * time.Millisecond,
		Body: func(int) []byte { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK == 0 || res.Late < res.OK/2 {
		t.Fatalf("ok %d late %d, want most requests late", res.OK, res.Late)
	}
}
