package devstack

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestStackServesEveryService is what `make dev` promises: the stack comes
// up, every service answers /_liveness, and an event sent to capture with
// the demo token lands on Kafka.
func TestStackServesEveryService(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := pingPostgres(ctx, envOr("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/posthog?sslmode=disable")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Postgres is required under CI: %v", err)
		}
		t.Skipf("no Postgres: %v", err)
	}
	cfg := Config{
		DatabaseURL:    envOr("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/posthog?sslmode=disable"),
		RedisURL:       envOr("REDIS_URL", "redis://127.0.0.1:6379/0"),
		KafkaPort:      -1,
		CaptureAddress: "127.0.0.1:0",
		ReplayAddress:  "127.0.0.1:0",
		FlagsAddress:   "127.0.0.1:0",
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	stack, err := Start(ctx, cfg, Services(cfg), log)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := stack.Stop(stopCtx); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()

	if len(stack.Services) == 0 {
		t.Fatal("no services started")
	}
	for _, e := range stack.Services {
		waitLive(t, e)
	}
	select {
	case <-stack.Failed():
		t.Fatalf("a service stopped: %v", stack.Err())
	default:
	}

	body := []byte(`{"api_key":"` + DemoToken + `","event":"devstack-check","distinct_id":"dev-1","properties":{"a":1}}`)
	resp, err := http.Post(stack.endpoint(t, "capture")+"/i/v0/e", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("capture: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("capture answered %d", resp.StatusCode)
	}
	// feature-flags knows the demo team and answers with no flags.
	resp, err = http.Post(stack.endpoint(t, "feature-flags")+"/flags?v=2", "application/json",
		bytes.NewReader([]byte(`{"token":"`+DemoToken+`","distinct_id":"dev-1"}`)))
	if err != nil {
		t.Fatalf("flags: %v", err)
	}
	flagsBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(flagsBody, []byte(`"flags":{}`)) {
		t.Errorf("flags answered %d %s", resp.StatusCode, flagsBody)
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(stack.Kafka), kgo.ConsumeTopics("events_plugin_ingestion"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	fetches := cl.PollRecords(ctx, 1)
	if errs := fetches.Errors(); len(errs) > 0 {
		t.Fatalf("poll: %v", errs)
	}
	recs := fetches.Records()
	if len(recs) != 1 {
		t.Fatalf("got %d records, want 1", len(recs))
	}
	var got struct {
		Token      string `json:"token"`
		DistinctID string `json:"distinct_id"`
		Data       string `json:"data"`
	}
	if err := json.Unmarshal(recs[0].Value, &got); err != nil {
		t.Fatalf("decode %s: %v", recs[0].Value, err)
	}
	if got.Token != DemoToken || got.DistinctID != "dev-1" || !bytes.Contains([]byte(got.Data), []byte(`"devstack-check"`)) {
		t.Errorf("unexpected event on Kafka: %s", recs[0].Value)
	}
	if string(recs[0].Key) != DemoToken+":dev-1" {
		t.Errorf("key = %q, want %q", recs[0].Key, DemoToken+":dev-1")
	}
}

func (s *Stack) endpoint(t *testing.T, name string) string {
	for _, e := range s.Services {
		if e.Name == name {
			return e.URL
		}
	}
	t.Fatalf("service %s not started", name)
	return ""
}

func waitLive(t *testing.T, e Endpoint) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(e.URL + "/_liveness")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer /_liveness with 200 (last error %v)", e.Name, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
