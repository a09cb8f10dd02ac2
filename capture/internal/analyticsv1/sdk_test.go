package analyticsv1

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/posthog/posthog-go"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/hoggo/common/kafka"
	"github.com/hoggo/common/kafkatest"
	"github.com/hoggo/common/types"
)

// recorder is a posthog-go Callback counting outcomes.
type recorder struct {
	mu       sync.Mutex
	success  int
	failures []error
}

func (r *recorder) Success(posthog.APIMessage) { r.mu.Lock(); r.success++; r.mu.Unlock() }
func (r *recorder) Failure(_ posthog.APIMessage, err error) {
	r.mu.Lock()
	r.failures = append(r.failures, err)
	r.mu.Unlock()
}

// TestPosthogGoSDK points the official Go SDK in CaptureModeAnalyticsV1 at
// the handler and reads the events back from Kafka (spec §11.6), once per
// compression the SDK offers.
func TestPosthogGoSDK(t *testing.T) {
	c := kafkatest.New(t, allTopics()...)
	p, err := kafka.NewProducer(context.Background(), c.Config())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	srv := httptest.NewServer(NewHandler(Options{Producer: p, Topics: testTopics}))
	defer srv.Close()

	modes := []posthog.CompressionMode{posthog.CompressionNone, posthog.CompressionGzip, posthog.CompressionZstd,
		posthog.CompressionDeflate, posthog.CompressionBrotli}
	for i, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			cb := &recorder{}
			client, err := posthog.NewWithConfig("phc_sdk_token", posthog.Config{
				Endpoint:    srv.URL,
				CaptureMode: posthog.CaptureModeAnalyticsV1,
				Compression: mode,
				BatchSize:   10,
				Interval:    50 * time.Millisecond,
				Callback:    cb,
			})
			if err != nil {
				t.Fatal(err)
			}
			msgs := []posthog.Message{
				posthog.Capture{DistinctId: "user-1", Event: "signed_up",
					Properties: posthog.NewProperties().Set("plan", "pro").Set("$session_id", "sess-1").Set("$process_person_profile", false)},
				posthog.Capture{DistinctId: "user-1", Event: "clicked", Properties: posthog.NewProperties().Set("n", 1)},
				posthog.Capture{DistinctId: "user-1", Event: "clicked", Properties: posthog.NewProperties().Set("n", 2)},
				posthog.Identify{DistinctId: "user-1", Properties: posthog.NewProperties().Set("email", "a@example.com")},
				posthog.Alias{DistinctId: "user-1", Alias: "anon-1"},
				posthog.GroupIdentify{Type: "company", Key: "acme", Properties: posthog.NewProperties().Set("name", "Acme")},
			}
			for _, m := range msgs {
				if err := client.Enqueue(m); err != nil {
					t.Fatal(err)
				}
			}
			if err := client.Close(); err != nil {
				t.Fatal(err)
			}
			if cb.success != len(msgs) || len(cb.failures) != 0 {
				t.Fatalf("success %d failures %v", cb.success, cb.failures)
			}
			recs := c.Consume(t, testTopics.Main, len(msgs)*(i+1), 10*time.Second)[len(msgs)*i:]
			checkSDKRecords(t, recs)
		})
	}
}

func checkSDKRecords(t *testing.T, recs []*kgo.Record) {
	t.Helper()
	byEvent := map[string][]map[string]json.RawMessage{}
	for _, rec := range recs {
		var ce types.CapturedEvent
		if err := json.Unmarshal(rec.Value, &ce); err != nil {
			t.Fatal(err)
		}
		var data struct {
			Event      string                     `json:"event"`
			DistinctID string                     `json:"distinct_id"`
			UUID       string                     `json:"uuid"`
			Properties map[string]json.RawMessage `json:"properties"`
			Timestamp  string                     `json:"timestamp"`
		}
		if err := json.Unmarshal([]byte(ce.Data), &data); err != nil {
			t.Fatal(err)
		}
		if ce.Token != "phc_sdk_token" || data.Event != ce.Event || data.DistinctID != ce.DistinctID || data.UUID != ce.UUID.String() {
			t.Errorf("envelope/data mismatch: %s", rec.Value)
		}
		if ce.SentAt == nil || time.Since(ce.Timestamp) > time.Minute || data.Timestamp == "" {
			t.Errorf("times: %s", rec.Value)
		}
		h := kafka.HeaderMap(rec.Headers)
		if h["token"] != "phc_sdk_token" || h["uuid"] != ce.UUID.String() || h["event"] != ce.Event || h["distinct_id"] != ce.DistinctID {
			t.Errorf("headers %v", h)
		}
		if string(data.Properties["$lib"]) != `"posthog-go"` || string(data.Properties["$lib_version"]) != `"1.0.0"` {
			t.Errorf("$lib %s %s", data.Properties["$lib"], data.Properties["$lib_version"])
		}
		data.Properties["_distinct_id"], _ = json.Marshal(ce.DistinctID)
		data.Properties["_session_header"], _ = json.Marshal(h["session_id"])
		byEvent[ce.Event] = append(byEvent[ce.Event], data.Properties)
	}
	str := func(raw json.RawMessage) string {
		var s string
		_ = json.Unmarshal(raw, &s)
		return s
	}
	if p := byEvent["signed_up"]; len(p) != 1 || str(p[0]["plan"]) != "pro" || str(p[0]["$session_id"]) != "sess-1" ||
		str(p[0]["_session_header"]) != "sess-1" || string(p[0]["$process_person_profile"]) != "false" {
		t.Errorf("signed_up %v", p)
	}
	if p := byEvent["clicked"]; len(p) != 2 {
		t.Errorf("clicked %v", p)
	}
	if p := byEvent["$identify"]; len(p) != 1 || str(p[0]["_distinct_id"]) != "user-1" || string(p[0]["$set"]) != `{"email":"a@example.com"}` {
		t.Errorf("$identify %v", p)
	}
	if p := byEvent["$create_alias"]; len(p) != 1 || str(p[0]["alias"]) != "anon-1" || str(p[0]["_distinct_id"]) != "user-1" {
		t.Errorf("$create_alias %v", p)
	}
	if p := byEvent["$groupidentify"]; len(p) != 1 || str(p[0]["_distinct_id"]) != "$company_acme" || str(p[0]["$group_type"]) != "company" ||
		str(p[0]["$group_key"]) != "acme" || string(p[0]["$group_set"]) != `{"name":"Acme"}` {
		t.Errorf("$groupidentify %v", p)
	}
}

// TestPosthogGoSDKPartialRetry: while Kafka rejects the main topic the
// server answers "retry" for those events only; the SDK resends just them
// with the same request id and a higher PostHog-Attempt, and they land once
// the topic exists.
func TestPosthogGoSDKPartialRetry(t *testing.T) {
	c := kafkatest.New(t, testTopics.Exceptions)
	p, err := kafka.NewProducer(context.Background(), c.Config())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	topics := testTopics
	topics.Main = "created_later"
	h := NewHandler(Options{Producer: p, Topics: topics, ProduceTimeout: 300 * time.Millisecond})
	var (
		mu       sync.Mutex
		attempts []string
		ids      = map[string]bool{}
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		attempts = append(attempts, r.Header.Get("PostHog-Attempt"))
		ids[r.Header.Get("PostHog-Request-Id")] = true
		first := len(attempts) == 1
		mu.Unlock()
		h.ServeHTTP(w, r)
		if first {
			if err := c.CreateTopic(context.Background(), topics.Main, 1); err != nil {
				t.Error(err)
			}
		}
	}))
	defer srv.Close()
	cb := &recorder{}
	client, err := posthog.NewWithConfig("phc_sdk_token", posthog.Config{
		Endpoint: srv.URL, CaptureMode: posthog.CaptureModeAnalyticsV1, Interval: 50 * time.Millisecond,
		BatchSize: 10, Callback: cb,
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = client.Enqueue(posthog.Capture{DistinctId: "u", Event: "retried"})
	_ = client.Enqueue(posthog.Capture{DistinctId: "u", Event: "$exception"})
	// Close would abort the backoff (Retry-After: 1): wait for both callbacks.
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		cb.mu.Lock()
		n := cb.success + len(cb.failures)
		cb.mu.Unlock()
		if n == 2 {
			break
		}
	}
	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
	if cb.success != 2 || len(cb.failures) != 0 {
		t.Fatalf("success %d failures %v", cb.success, cb.failures)
	}
	if len(attempts) != 2 || attempts[0] != "1" || attempts[1] != "2" || len(ids) != 1 {
		t.Fatalf("attempts %v request ids %v", attempts, ids)
	}
	if recs := c.Consume(t, topics.Main, 1, 10*time.Second); kafka.HeaderMap(recs[0].Headers)["event"] != "retried" {
		t.Errorf("main %v", recs[0].Headers)
	}
	// The exception was accepted on the first attempt and not resent.
	recs := c.Consume(t, topics.Exceptions, 1, 10*time.Second)
	if kafka.HeaderMap(recs[0].Headers)["event"] != "$exception" {
		t.Errorf("exceptions %v", recs[0].Headers)
	}
}
