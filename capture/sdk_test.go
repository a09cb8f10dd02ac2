package capture_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/posthog/posthog-go"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/hoggo/capture"
	"github.com/hoggo/common/kafkatest"
)

// startCapture runs the whole service (Run) on a loopback port against an
// in-process Kafka cluster and returns its base URL.
func startCapture(t *testing.T, cluster *kafkatest.Cluster, mutate func(*capture.Config)) string {
	t.Helper()
	cfg := capture.DefaultConfig()
	cfg.Kafka = cluster.Config()
	cfg.ExportPrometheus = true
	if mutate != nil {
		mutate(&cfg)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- capture.RunWithOptions(ctx, cfg, capture.Options{Listener: ln}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

type captured struct {
	rec  *kgo.Record
	msg  map[string]any
	data map[string]any
}

func readEvents(t *testing.T, cluster *kafkatest.Cluster, topic string, n int) map[string]captured {
	t.Helper()
	out := map[string]captured{}
	for _, r := range cluster.Consume(t, topic, n, 15*time.Second) {
		var c captured
		c.rec = r
		if err := json.Unmarshal(r.Value, &c.msg); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(c.msg["data"].(string)), &c.data); err != nil {
			t.Fatal(err)
		}
		out[c.msg["event"].(string)] = c
	}
	return out
}

// TestPostHogGoSDK points the official Go SDK at a running capture, in its
// legacy /batch/ mode and its v1 analytics mode, and reads its events back
// from Kafka.
func TestPostHogGoSDK(t *testing.T) {
	for _, mode := range []struct {
		name        string
		capture     posthog.CaptureMode
		compression posthog.CompressionMode
	}{
		{"legacy plain", posthog.CaptureModeLegacy, posthog.CompressionNone},
		{"legacy gzip", posthog.CaptureModeLegacy, posthog.CompressionGzip},
		{"v1 plain", posthog.CaptureModeAnalyticsV1, posthog.CompressionNone},
		{"v1 zstd", posthog.CaptureModeAnalyticsV1, posthog.CompressionZstd},
	} {
		t.Run(mode.name, func(t *testing.T) {
			cluster := kafkatest.New(t, "events_plugin_ingestion", "events_plugin_ingestion_historical")
			url := startCapture(t, cluster, func(c *capture.Config) { c.CaptureV1Sinks = "msk" })
			client, err := posthog.NewWithConfig("phc_sdk_test", posthog.Config{
				Endpoint: url, BatchSize: 3, Interval: 50 * time.Millisecond, Compression: mode.compression,
				CaptureMode: mode.capture,
			})
			if err != nil {
				t.Fatal(err)
			}
			ts := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
			msgs := []posthog.Message{
				posthog.Capture{DistinctId: "user-1", Event: "signed up", Timestamp: ts,
					Properties: posthog.NewProperties().Set("plan", "pro").Set("seats", 3)},
				posthog.Identify{DistinctId: "user-1", Properties: posthog.NewProperties().Set("email", "u@example.com")},
				posthog.Alias{DistinctId: "user-1", Alias: "anon-42"},
				posthog.GroupIdentify{Type: "company", Key: "acme", Properties: posthog.NewProperties().Set("name", "Acme")},
				posthog.Capture{DistinctId: "user-2", Event: "second batch", Groups: posthog.NewGroups().Set("company", "acme")},
			}
			for _, m := range msgs {
				if err := client.Enqueue(m); err != nil {
					t.Fatal(err)
				}
			}
			if err := client.Close(); err != nil {
				t.Fatal(err)
			}
			got := readEvents(t, cluster, "events_plugin_ingestion", len(msgs))

			signup := got["signed up"]
			if signup.msg["token"] != "phc_sdk_test" || signup.msg["distinct_id"] != "user-1" || string(signup.rec.Key) != "phc_sdk_test:user-1" {
				t.Errorf("capture: %v key %q", signup.msg, signup.rec.Key)
			}
			props := signup.data["properties"].(map[string]any)
			if props["plan"] != "pro" || props["seats"] != float64(3) || props["$lib"] != "posthog-go" {
				t.Errorf("capture properties %v", props)
			}
			if signup.msg["timestamp"] != "2025-03-04T05:06:07Z" && !strings.HasPrefix(signup.msg["timestamp"].(string), "2025-03-04T05:06:0") {
				t.Errorf("capture timestamp %v", signup.msg["timestamp"])
			}
			if signup.msg["uuid"] != signup.data["uuid"] || signup.msg["uuid"] == nil {
				t.Errorf("uuid %v vs data %v", signup.msg["uuid"], signup.data["uuid"])
			}
			if _, ok := signup.data["type"]; ok {
				t.Error("SDK extra field `type` kept in data")
			}

			ident := got["$identify"]
			if ident.msg["distinct_id"] != "user-1" {
				t.Errorf("identify distinct_id %v", ident.msg["distinct_id"])
			}
			if set, _ := ident.data["$set"].(map[string]any); set["email"] != "u@example.com" {
				if p, _ := ident.data["properties"].(map[string]any); p["$set"].(map[string]any)["email"] != "u@example.com" {
					t.Errorf("identify $set missing: %v", ident.data)
				}
			}

			alias := got["$create_alias"]
			if alias.msg["distinct_id"] != "user-1" { // from properties.distinct_id
				t.Errorf("alias distinct_id %v", alias.msg["distinct_id"])
			}
			if p := alias.data["properties"].(map[string]any); p["alias"] != "anon-42" {
				t.Errorf("alias properties %v", p)
			}

			group := got["$groupidentify"]
			if group.msg["distinct_id"] != "$company_acme" {
				t.Errorf("group distinct_id %v", group.msg["distinct_id"])
			}
			if p := group.data["properties"].(map[string]any); p["$group_type"] != "company" || p["$group_key"] != "acme" {
				t.Errorf("group properties %v", p)
			}

			second := got["second batch"]
			if p := second.data["properties"].(map[string]any); p["$groups"].(map[string]any)["company"] != "acme" {
				t.Errorf("groups %v", p["$groups"])
			}
			for ev, c := range got {
				if h := headerValue(c.rec, "event"); h != ev {
					t.Errorf("%s: event header %q", ev, h)
				}
			}
		})
	}
}

func headerValue(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// TestRunServesProbesAndMetrics checks the status routes and that the
// reference's metric names are exported after traffic.
func TestRunServesProbesAndMetrics(t *testing.T) {
	cluster := kafkatest.New(t, "events_plugin_ingestion")
	url := startCapture(t, cluster, nil)
	resp, err := http.Post(url+"/i/v0/e/", "application/json", strings.NewReader(`{"token":"t","event":"e","distinct_id":"d"}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("capture: %v %v", err, resp)
	}
	resp.Body.Close()
	for path, want := range map[string]string{"/": "capture", "/_readiness": "capture", "/_liveness": ""} {
		r, err := http.Get(url + path)
		if err != nil || r.StatusCode != 200 {
			t.Fatalf("GET %s: %v %v", path, err, r)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if want != "" && string(b) != want {
			t.Errorf("GET %s = %q", path, b)
		}
	}
	r, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	for _, name := range []string{"capture_events_received_total", "capture_events_ingested_total",
		"capture_event_batch_size", "http_requests_total", "http_requests_duration_seconds"} {
		if !strings.Contains(string(b), name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}

// TestRunRecordingsMode serves /s through Run and writes the replay topic.
func TestRunRecordingsMode(t *testing.T) {
	cluster := kafkatest.New(t, "session_recording_snapshot_item_events", "session_recording_snapshot_item_overflow")
	url := startCapture(t, cluster, func(c *capture.Config) { c.CaptureMode = "recordings" })
	body := `[{"event":"$snapshot","properties":{"token":"phc_r","distinct_id":"u","$session_id":"s-42","$window_id":"w","$snapshot_data":[{"type":3}]}}]`
	resp, err := http.Post(url+"/s/?compression=none", "application/json", strings.NewReader(body))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/s: %v %v", err, resp)
	}
	resp.Body.Close()
	if r, _ := http.Post(url+"/e", "application/json", strings.NewReader(body)); r == nil || r.StatusCode != 404 {
		t.Errorf("/e in recordings mode should be 404")
	}
	got := readEvents(t, cluster, "session_recording_snapshot_item_events", 1)
	rec := got["$snapshot_items"]
	if string(rec.rec.Key) != "s-42" || rec.msg["distinct_id"] != "u" || headerValue(rec.rec, "session_id") != "s-42" {
		t.Errorf("replay message: key %q %v", rec.rec.Key, rec.msg)
	}
}

// TestRunPrintSink runs without Kafka: events are logged, liveness fails.
func TestRunPrintSink(t *testing.T) {
	cfg := capture.DefaultConfig()
	cfg.PrintSink = true
	cfg.Kafka.Hosts = "127.0.0.1:1" // never dialled
	var logs syncBuffer
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- capture.RunWithOptions(ctx, cfg, capture.Options{Listener: ln, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	}()
	defer func() { cancel(); <-done }()
	url := "http://" + ln.Addr().String()
	resp, err := http.Post(url+"/i/v0/e", "application/json", strings.NewReader(`{"token":"t","event":"printed","distinct_id":"d"}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %v", err, resp)
	}
	resp.Body.Close()
	if r, err := http.Get(url + "/_liveness"); err != nil || r.StatusCode != 500 {
		t.Errorf("liveness with the print sink: %v %v", err, r)
	}
	if !strings.Contains(logs.String(), `\"event\":\"printed\"`) || !strings.Contains(logs.String(), `"topic":"events_plugin_ingestion"`) {
		t.Errorf("print sink log: %s", logs.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
