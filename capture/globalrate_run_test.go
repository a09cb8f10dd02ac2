package capture_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hoggo/capture"
	"github.com/hoggo/common/kafkatest"
	"github.com/hoggo/common/redis"
	"github.com/hoggo/common/redis/redistest"
)

// TestRunGlobalRateLimit runs the whole service with the limiter on against
// Redis: past its budget a token:distinct_id still gets 200 but goes to
// overflow unkeyed, and the counts are in Redis under the reference's key
// layout once Run has stopped.
func TestRunGlobalRateLimit(t *testing.T) {
	url := redistest.URL(t, -1)
	rdb := redistest.New(t, url, redis.Options{Timeout: time.Second})

	token := fmt.Sprintf("phc_grl_run_%d", time.Now().UnixNano())
	cluster := kafkatest.New(t, "events_plugin_ingestion", "events_plugin_ingestion_overflow")
	cfg := capture.DefaultConfig()
	cfg.Kafka = cluster.Config()
	cfg.RedisURL = url
	cfg.GlobalRateLimitEnabled = true
	cfg.GlobalRateLimitTokenDistinctIDThreshold = 2
	cfg.GlobalRateLimitMinSyncFloor = 0
	cfg.GlobalRateLimitTickIntervalMs = 50
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- capture.RunWithOptions(ctx, cfg, capture.Options{Listener: ln}) }()
	for range 4 {
		body := fmt.Sprintf(`{"token":%q,"event":"e","distinct_id":"hot"}`, token)
		resp, err := http.Post(base+"/i/v0/e/", "application/json", strings.NewReader(body))
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("capture: %v %v", err, resp)
		}
		resp.Body.Close()
	}
	if main := cluster.Consume(t, "events_plugin_ingestion", 1, 10*time.Second); string(main[0].Key) != token+":hot" {
		t.Errorf("main key %q", main[0].Key)
	}
	for _, r := range cluster.Consume(t, "events_plugin_ingestion_overflow", 3, 10*time.Second) {
		if r.Key != nil || headerValue(r, "force_disable_person_processing") != "true" {
			t.Errorf("overflow key %q disable=%q", r.Key, headerValue(r, "force_disable_person_processing"))
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}

	epoch := time.Now().Unix() / 60
	total := 0
	for _, e := range []int64{epoch - 1, epoch} {
		k := fmt.Sprintf("@ph/grl/capture/tok_distid/events:%s:hot:%d", token, e)
		n, _ := rdb.Raw().Get(context.Background(), k).Int()
		total += n
		rdb.Raw().Del(context.Background(), k)
	}
	if total != 4 {
		t.Errorf("Redis holds %d events for %s:hot, want 4", total, token)
	}
}
