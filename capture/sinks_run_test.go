package capture_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pierrec/lz4/v4"

	"github.com/hoggo/capture"
	"github.com/hoggo/common/kafkatest"
)

// With KAFKA_REPLAY_ENVELOPE_COMPRESSION=lz4 the replay record is the
// reference's block envelope with content-encoding: lz4, and /metrics
// carries the producer gauges and the payload metrics of the request.
func TestRunReplayEnvelopeAndMetrics(t *testing.T) {
	cluster := kafkatest.New(t, "session_recording_snapshot_item_events", "session_recording_snapshot_item_overflow")
	url := startCapture(t, cluster, func(c *capture.Config) {
		c.CaptureMode = "recordings"
		c.KafkaReplayEnvelopeCompression = "LZ4"
	})
	body := `[{"event":"$snapshot","properties":{"token":"phc_r","distinct_id":"u","$session_id":"s-7","$window_id":"w","$snapshot_data":[{"type":3}]}}]`
	resp, err := http.Post(url+"/s/?compression=none", "application/json", strings.NewReader(body))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/s: %v %v", err, resp)
	}
	resp.Body.Close()

	rec := cluster.Consume(t, "session_recording_snapshot_item_events", 1, 10*time.Second)[0]
	if headerValue(rec, "content-encoding") != "lz4" {
		t.Errorf("headers %v lack content-encoding: lz4", rec.Headers)
	}
	size := binary.LittleEndian.Uint32(rec.Value)
	plain := make([]byte, size)
	n, err := lz4.UncompressBlock(rec.Value[4:], plain)
	if err != nil || n != int(size) {
		t.Fatalf("unwrap %d bytes: %v", n, err)
	}
	var msg map[string]any
	if err := json.Unmarshal(plain, &msg); err != nil || msg["distinct_id"] != "u" || !strings.Contains(msg["data"].(string), "$snapshot_items") {
		t.Errorf("unwrapped value %s (%v)", plain, err)
	}

	mresp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	for _, want := range []string{"capture_kafka_producer_queue_depth_limit", "capture_kafka_any_brokers_down",
		"capture_raw_payload_size_count", `capture_full_payload_size_count{oversize="false"}`,
		`capture_kafka_produce_bytes_total{topic="session_recording_snapshot_item_events"}`} {
		if !bytes.Contains(metrics, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestRunRejectsUnknownEnvelope(t *testing.T) {
	cfg := capture.DefaultConfig()
	cfg.KafkaReplayEnvelopeCompression = "zstd"
	err := capture.Run(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "KAFKA_REPLAY_ENVELOPE_COMPRESSION") {
		t.Fatalf("err = %v, want one naming KAFKA_REPLAY_ENVELOPE_COMPRESSION", err)
	}
}

// TestRunNoopSink runs without Kafka: events are accepted and dropped, and
// counted as ingested.
func TestRunNoopSink(t *testing.T) {
	cfg := capture.DefaultConfig()
	cfg.NoopSink = true
	cfg.ExportPrometheus = true
	cfg.Kafka.Hosts = "127.0.0.1:1" // never dialled
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- capture.RunWithOptions(ctx, cfg, capture.Options{Listener: ln}) }()
	defer func() { cancel(); <-done }()
	url := "http://" + ln.Addr().String()
	ingested := func() float64 {
		resp, err := http.Get(url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "capture_events_ingested_total "); ok {
				f, _ := strconv.ParseFloat(v, 64)
				return f
			}
		}
		return 0
	}
	before := ingested()
	resp, err := http.Post(url+"/batch", "application/json",
		strings.NewReader(`{"api_key":"t","batch":[{"event":"a","distinct_id":"d"},{"event":"b","distinct_id":"d"}]}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %v", err, resp)
	}
	resp.Body.Close()
	if got := ingested() - before; got != 2 {
		t.Errorf("capture_events_ingested_total +%v, want 2", got)
	}
}
