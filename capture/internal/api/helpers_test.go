package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hoggo/common/conformance"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/hoggo/capture/internal/limits"
	"github.com/hoggo/capture/internal/sink"
	"github.com/hoggo/common/kafka"
	"github.com/hoggo/common/kafkatest"
)

var testTopics = sink.Topics{
	Main:           "events_plugin_ingestion",
	Overflow:       "events_plugin_ingestion_overflow",
	Historical:     "events_plugin_ingestion_historical",
	ClientWarnings: "ingestion-clientwarnings-main-1",
	Exceptions:     "error_tracking_events",
	Heatmaps:       "heatmaps_ingestion",
	DLQ:            "events_plugin_ingestion_dlq",
	Replay:         "session_recording_snapshot_item_events",
	ReplayOverflow: "session_recording_snapshot_item_overflow",
}

func allTopics() []string {
	t := testTopics
	return []string{t.Main, t.Overflow, t.Historical, t.ClientWarnings, t.Exceptions, t.Heatmaps, t.DLQ, t.Replay, t.ReplayOverflow}
}

// testEnv is a capture HTTP server writing to an in-process Kafka cluster.
type testEnv struct {
	t       *testing.T
	cluster *kafkatest.Cluster
	srv     *httptest.Server
	api     *Server
}

type envOpts struct {
	mode     Mode
	now      func() time.Time
	policies *limits.Policies
	mutate   func(*Options)
	kcfg     func(*kafka.Config)
}

func newEnv(t *testing.T, o envOpts) *testEnv {
	t.Helper()
	cluster := kafkatest.New(t, allTopics()...)
	kcfg := cluster.Config()
	if o.kcfg != nil {
		o.kcfg(&kcfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	prod, err := kafka.NewProducer(ctx, kcfg)
	if err != nil {
		t.Fatalf("producer: %v", err)
	}
	t.Cleanup(prod.Close)
	opts := Options{
		Mode:          o.mode,
		Sink:          sink.NewKafka(prod, testTopics),
		Policies:      o.policies,
		Now:           o.now,
		EventMaxBytes: 25 << 20,
	}
	if o.mutate != nil {
		o.mutate(&opts)
	}
	s := New(opts)
	srv := httptest.NewServer(s.Router(false))
	t.Cleanup(srv.Close)
	return &testEnv{t: t, cluster: cluster, srv: srv, api: s}
}

type response struct {
	status int
	body   string
	header http.Header
}

func (e *testEnv) do(method, path string, body []byte, headers map[string]string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, body: string(b), header: resp.Header}
}

func (e *testEnv) post(path string, body []byte, contentType string) response {
	e.t.Helper()
	h := map[string]string{}
	if contentType != "" {
		h["Content-Type"] = contentType
	}
	return e.do(http.MethodPost, path, body, h)
}

// consume reads n records from topic.
func (e *testEnv) consume(topic string, n int) []*kgo.Record {
	e.t.Helper()
	return e.cluster.Consume(e.t, topic, n, 10*time.Second)
}

// count returns how many records topic holds (waiting briefly).
func (e *testEnv) count(topic string) int {
	e.t.Helper()
	recs, _ := e.cluster.ConsumeN(context.Background(), topic, 1000, 300*time.Millisecond)
	return len(recs)
}

func decodeValue(t *testing.T, r *kgo.Record) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Value, &m); err != nil {
		t.Fatalf("record value is not JSON: %v\n%s", err, r.Value)
	}
	return m
}

func decodeData(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal([]byte(m["data"].(string)), &d); err != nil {
		t.Fatalf("data is not JSON: %v", err)
	}
	return d
}

func header(r *kgo.Record, key string) (string, bool) {
	for _, h := range r.Headers {
		if h.Key == key {
			if h.Value == nil {
				return "", false
			}
			return string(h.Value), true
		}
	}
	return "", false
}

// conformanceDir is the shared capture conformance folder.
func conformanceDir(t testing.TB) string {
	t.Helper()
	return conformance.Dir(t, "capture")
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(conformanceDir(t), "fixtures", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
