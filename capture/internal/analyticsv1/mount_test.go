package analyticsv1_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/posthog/posthog-go"

	"github.com/hoggo/capture/internal/analyticsv1"
	"github.com/hoggo/capture/internal/api"
	"github.com/hoggo/common/kafka"
	"github.com/hoggo/common/kafkatest"
)

// TestMountedInCaptureRouter runs the v1 endpoint through capture's real
// router: routes absent without a v1 handler, present with and without the
// trailing slash, v1 CORS and 405, and posthog-go in v1 mode end to end.
func TestMountedInCaptureRouter(t *testing.T) {
	off := httptest.NewServer(api.New(api.Options{}).Router(false))
	defer off.Close()
	resp, err := http.Post(off.URL+analyticsv1.Path, "application/json", bytes.NewReader([]byte(`{}`)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("without a v1 sink: %d, want 404", resp.StatusCode)
	}

	c := kafkatest.New(t, "events_main")
	p, err := kafka.NewProducer(context.Background(), c.Config())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	v1 := analyticsv1.NewHandler(analyticsv1.Options{Producer: p, Topics: analyticsv1.Topics{Main: "events_main"}})
	srv := httptest.NewServer(api.New(api.Options{V1: v1}).Router(false))
	defer srv.Close()

	for _, path := range []string{analyticsv1.Path, analyticsv1.PathSlash} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("GET %s: %d", path, resp.StatusCode)
		}
		req, _ = http.NewRequest(http.MethodOptions, srv.URL+path, nil)
		req.Header.Set("Origin", "https://app.example.com")
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
			t.Errorf("OPTIONS %s: %d %v", path, resp.StatusCode, resp.Header)
		}
	}

	client, err := posthog.NewWithConfig("phc_router_token", posthog.Config{
		Endpoint: srv.URL, CaptureMode: posthog.CaptureModeAnalyticsV1, Interval: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []posthog.Message{
		posthog.Capture{DistinctId: "u", Event: "e1"},
		posthog.Identify{DistinctId: "u", Properties: posthog.NewProperties().Set("email", "u@example.com")},
	} {
		if err := client.Enqueue(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
	recs := c.Consume(t, "events_main", 2, 10*time.Second)
	got := map[string]bool{}
	for _, r := range recs {
		got[kafka.HeaderMap(r.Headers)["event"]] = true
		if string(r.Key) != "phc_router_token:u" {
			t.Errorf("key %q", r.Key)
		}
	}
	if !got["e1"] || !got["$identify"] {
		t.Errorf("events %v", got)
	}
}
