package capture_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hoggo/capture"
	"github.com/hoggo/common/kafkatest"
)

// Cancelling Run's context is a graceful shutdown: a request already being
// read completes (its event reaches Kafka) and Run returns nil.
func TestShutdownDrainsInFlightRequests(t *testing.T) {
	cluster := kafkatest.New(t, "events_plugin_ingestion")
	cfg := capture.DefaultConfig()
	cfg.Kafka = cluster.Config()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- capture.RunWithOptions(ctx, cfg, capture.Options{Listener: ln}) }()
	url := "http://" + ln.Addr().String()

	body := `{"token":"t","event":"drained","distinct_id":"d"}`
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, url+"/i/v0/e", pr)
	req.Header.Set("Content-Type", "application/json")
	req.ContentLength = int64(len(body))
	answered := make(chan *http.Response, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("in-flight request: %v", err)
			close(answered)
			return
		}
		answered <- resp
	}()
	if _, err := pw.Write([]byte(body[:10])); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the server is reading the body
	cancel()
	time.Sleep(100 * time.Millisecond) // shutdown has begun
	if _, err := pw.Write([]byte(body[10:])); err != nil {
		t.Fatal(err)
	}
	_ = pw.Close()
	resp, ok := <-answered
	if !ok {
		return
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != `{"status":"Ok"}` {
		t.Errorf("in-flight request answered %d %s", resp.StatusCode, b)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(35 * time.Second):
		t.Fatal("Run did not return within the shutdown budget")
	}
	recs := cluster.Consume(t, "events_plugin_ingestion", 1, 10*time.Second)
	if len(recs) != 1 || !strings.Contains(string(recs[0].Value), `drained`) {
		t.Errorf("drained event not produced: %d records", len(recs))
	}
}
