package analyticsv1

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/hoggo/capture/internal/limits"
	"github.com/hoggo/common/kafka"
	"github.com/hoggo/common/kafkatest"
	"github.com/hoggo/common/limiters"
	"github.com/hoggo/common/types"
)

var testTopics = Topics{
	Main:                   "events_main",
	Historical:             "events_plugin_ingestion_historical",
	Overflow:               "events_plugin_ingestion_overflow",
	DLQ:                    "events_plugin_ingestion_dlq",
	Exceptions:             "error_tracking_events",
	Heatmaps:               "heatmaps_ingestion",
	ClientIngestionWarning: "events_plugin_ingestion",
}

func allTopics() []string {
	t := testTopics
	return []string{t.Main, t.Historical, t.Overflow, t.DLQ, t.Exceptions, t.Heatmaps, t.ClientIngestionWarning}
}

type testEnv struct {
	cluster *kafkatest.Cluster
	h       *Handler
}

// newEnv starts a kfake cluster with the test topics and a handler whose
// clock is testNow; tweak edits the options first.
func newEnv(t *testing.T, tweak func(*Options, *kafka.Config)) *testEnv {
	t.Helper()
	c := kafkatest.New(t, allTopics()...)
	cfg := c.Config()
	o := Options{Topics: testTopics, Now: func() time.Time { return testNow }, ProduceTimeout: 5 * time.Second}
	if tweak != nil {
		tweak(&o, &cfg)
	}
	p, err := kafka.NewProducer(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	o.Producer = p
	return &testEnv{cluster: c, h: NewHandler(o)}
}

type response struct {
	status int
	header http.Header
	body   string
}

func (e *testEnv) post(t *testing.T, h http.Header, body []byte) response {
	t.Helper()
	return serve(t, e.h, http.MethodPost, h, body)
}

func serve(t *testing.T, h http.Handler, method string, hdr http.Header, body []byte) response {
	t.Helper()
	req := httptest.NewRequest(method, Path, bytes.NewReader(body))
	req.RemoteAddr = "203.0.113.7:5555"
	for k, v := range hdr {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return response{rec.Code, rec.Header(), rec.Body.String()}
}

func ev(uuid, name, distinctID, extra string) string {
	return fmt.Sprintf(`{"event":%q,"uuid":%q,"distinct_id":%q,"timestamp":"2026-03-19T14:29:58.123Z"%s}`, name, uuid, distinctID, extra)
}

func batchBody(events ...string) []byte {
	return []byte(`{"created_at":"2026-03-19T14:30:00.000Z","batch":[` + strings.Join(events, ",") + `]}`)
}

func uuidN(n int) string { return fmt.Sprintf("01890000-0000-4000-8000-%012d", n) }

type resultsBody struct {
	Results map[string]struct {
		Result  string  `json:"result"`
		Details *string `json:"details"`
	} `json:"results"`
}

func decodeResults(t *testing.T, r response) resultsBody {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var rb resultsBody
	if err := json.Unmarshal([]byte(r.body), &rb); err != nil {
		t.Fatalf("%s: %v", r.body, err)
	}
	return rb
}

func wantResult(t *testing.T, rb resultsBody, id, result, details string) {
	t.Helper()
	got, ok := rb.Results[id]
	if !ok {
		t.Fatalf("no result for %s in %+v", id, rb)
	}
	d := ""
	if got.Details != nil {
		d = *got.Details
	}
	if got.Result != result || d != details {
		t.Errorf("%s: got %s/%s, want %s/%s", id, got.Result, d, result, details)
	}
}

func wantError(t *testing.T, r response, status int, tag string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	var body map[string]string
	if err := json.Unmarshal([]byte(r.body), &body); err != nil {
		t.Fatalf("%s: %v", r.body, err)
	}
	if body["error"] != tag || body["error_description"] == "" || !strings.HasPrefix(body["error_uri"], "https://posthog.com/docs/") || len(body) != 3 {
		t.Errorf("body %s, want tag %s", r.body, tag)
	}
}

func (e *testEnv) consume(t *testing.T, topic string, n int) []*kgo.Record {
	t.Helper()
	return e.cluster.Consume(t, topic, n, 10*time.Second)
}

func TestHappySingleEvent(t *testing.T) {
	e := newEnv(t, nil)
	r := e.post(t, validHeaders(), batchBody(ev(uuidN(1), "$pageview", "user-42", "")))
	if r.body != `{"results":{"01890000-0000-4000-8000-000000000001":{"result":"ok"}}}` {
		t.Fatalf("body %s", r.body)
	}
	if r.header.Get("Content-Type") != "application/json" || r.header.Get("Retry-After") != "" ||
		r.header.Get("Date") != "Thu, 19 Mar 2026 14:30:00 +0000" || r.header.Get("PostHog-Request-Id") != testRequestID {
		t.Errorf("headers %v", r.header)
	}
	recs := e.consume(t, testTopics.Main, 1)
	var ce types.CapturedEvent
	if err := json.Unmarshal(recs[0].Value, &ce); err != nil {
		t.Fatal(err)
	}
	if ce.UUID.String() != uuidN(1) || ce.DistinctID != "user-42" || ce.Event != "$pageview" || ce.Token != testToken || ce.IP != "203.0.113.7" {
		t.Errorf("%+v", ce)
	}
	if string(recs[0].Key) != testToken+":user-42" {
		t.Errorf("key %q", recs[0].Key)
	}
}

func TestBatchOfThreeAllOK(t *testing.T) {
	e := newEnv(t, nil)
	r := e.post(t, validHeaders(), batchBody(ev(uuidN(1), "$pageview", "user-42", ""), ev(uuidN(2), "$identify", "user-42", ""), ev(uuidN(3), "button_clicked", "user-42", "")))
	rb := decodeResults(t, r)
	if len(rb.Results) != 3 {
		t.Fatalf("%s", r.body)
	}
	for i := 1; i <= 3; i++ {
		wantResult(t, rb, uuidN(i), "ok", "")
	}
	// Insertion order is kept in the JSON.
	if strings.Index(r.body, uuidN(1)) > strings.Index(r.body, uuidN(2)) || strings.Index(r.body, uuidN(2)) > strings.Index(r.body, uuidN(3)) {
		t.Errorf("order %s", r.body)
	}
	recs := e.consume(t, testTopics.Main, 3)
	for i, rec := range recs {
		var ce types.CapturedEvent
		if err := json.Unmarshal(rec.Value, &ce); err != nil || ce.UUID.String() != uuidN(i+1) {
			t.Errorf("record %d: %v %s", i, err, rec.Value)
		}
	}
}

func TestRequestErrors(t *testing.T) {
	e := newEnv(t, nil)
	onlyAuth := http.Header{}
	onlyAuth.Set("Authorization", "Bearer "+testToken)
	onlyAuth.Set("Content-Type", "application/json")
	noAuth := validHeaders()
	noAuth.Del("Authorization")
	lz4 := validHeaders()
	lz4.Set("Content-Encoding", "lz4")
	for _, c := range []struct {
		name   string
		h      http.Header
		body   string
		status int
		tag    string
	}{
		{"missing authorization", noAuth, string(batchBody(ev(uuidN(1), "e", "d", ""))), 401, TagInvalidAPIToken},
		{"only auth and content type", onlyAuth, string(batchBody(ev(uuidN(1), "e", "d", ""))), 400, TagMissingRequiredHeaders},
		{"empty body", validHeaders(), "", 400, TagEmptyBody},
		{"garbage", validHeaders(), "\x00\x01garbage", 400, TagRequestParsing},
		{"empty batch", validHeaders(), `{"created_at":"2026-03-19T14:30:00Z","batch":[]}`, 400, TagEmptyBatch},
		{"lz4", lz4, string(batchBody(ev(uuidN(1), "e", "d", ""))), 415, TagUnsupportedEncoding},
		{"bad created_at", validHeaders(), `{"created_at":"yesterday","batch":[` + ev(uuidN(1), "e", "d", "") + `]}`, 400, TagInvalidBatch},
		{"missing uuid", validHeaders(), string(batchBody(ev(" ", "e", "d", ""))), 400, TagMissingEventUUID},
		{"invalid uuid", validHeaders(), string(batchBody(ev("nope", "e", "d", ""))), 400, TagInvalidEventUUID},
		{"duplicate uuid", validHeaders(), string(batchBody(ev(uuidN(1), "e", "d", ""), ev(strings.ToUpper(uuidN(1)), "e", "d", ""))), 400, TagDuplicateEventUUID},
		{"wrong type", validHeaders(), string(batchBody(`{"event":5,"uuid":"` + uuidN(1) + `","distinct_id":"d","timestamp":"t"}`)), 400, TagRequestParsing},
		{"missing event key", validHeaders(), string(batchBody(`{"uuid":"` + uuidN(1) + `","distinct_id":"d","timestamp":"t"}`)), 400, TagRequestParsing},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.post(t, c.h, []byte(c.body))
			wantError(t, r, c.status, c.tag)
			if r.header.Get("Accept") != "application/json" || r.header.Get("Accept-Encoding") != "gzip, deflate, br, zstd" || r.header.Get("Retry-After") != "" {
				t.Errorf("headers %v", r.header)
			}
		})
	}
}

func TestNoSinkIs503(t *testing.T) {
	h := NewHandler(Options{})
	r := serve(t, h, http.MethodPost, validHeaders(), batchBody(ev(uuidN(1), "e", "d", "")))
	wantError(t, r, 503, TagServiceUnavailable)
	if r.header.Get("Retry-After") != "1" || !strings.Contains(r.body, `"error_description":"Service Unavailable"`) {
		t.Errorf("%v %s", r.header, r.body)
	}
}

func compressGzip(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

func compressZstd(b []byte) []byte {
	enc, _ := zstd.NewWriter(nil)
	defer enc.Close()
	return enc.EncodeAll(b, nil)
}

func TestCompressedBodies(t *testing.T) {
	e := newEnv(t, nil)
	n := 0
	for enc, compress := range map[string]func([]byte) []byte{
		"":        func(b []byte) []byte { return b },
		"gzip":    compressGzip,
		"zstd":    compressZstd,
		"deflate": compressZlib,
		"br":      compressBrotli,
	} {
		n++
		id := uuidN(n)
		h := validHeaders()
		if enc != "" {
			h.Set("Content-Encoding", enc)
		}
		r := e.post(t, h, compress(batchBody(ev(id, "e", "d", ""))))
		wantResult(t, decodeResults(t, r), id, "ok", "")
	}
	if recs := e.consume(t, testTopics.Main, n); len(recs) != n {
		t.Fatalf("%d records", len(recs))
	}
	h := validHeaders()
	h.Set("Content-Encoding", "gzip")
	wantError(t, e.post(t, h, []byte("not gzip at all")), 400, TagRequestDecoding)
}

func TestRouterBehaviour(t *testing.T) {
	e := newEnv(t, nil)
	// CORS preflight echoes the origin and allows POST, not GET.
	h := http.Header{}
	h.Set("Origin", "https://app.example.com")
	h.Set("Access-Control-Request-Method", "POST")
	h.Set("Access-Control-Request-Headers", "authorization,posthog-attempt")
	r := serve(t, e.h, http.MethodOptions, h, nil)
	if r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		r.header.Get("Access-Control-Allow-Credentials") != "true" || r.header.Get("Access-Control-Allow-Methods") != "POST, OPTIONS" ||
		r.header.Get("Access-Control-Allow-Headers") != "authorization,posthog-attempt" {
		t.Errorf("preflight %d %v", r.status, r.header)
	}
	if r := serve(t, e.h, http.MethodGet, validHeaders(), nil); r.status != 405 {
		t.Errorf("GET %d", r.status)
	}
	// CORS headers on a 4xx; request id absent when not sent; Date is RFC 2822 style.
	h = validHeaders()
	h.Set("Origin", "https://app.example.com")
	h.Del("PostHog-Request-Id")
	r = serve(t, e.h, http.MethodPost, h, batchBody(ev(uuidN(1), "e", "d", "")))
	if r.status != 400 || r.header.Get("Access-Control-Allow-Origin") != "https://app.example.com" || r.header.Get("PostHog-Request-Id") != "" {
		t.Errorf("4xx %d %v", r.status, r.header)
	}
	if _, err := time.Parse(time.RFC1123Z, r.header.Get("Date")); err != nil {
		t.Errorf("Date %q: %v", r.header.Get("Date"), err)
	}
	r = e.post(t, validHeaders(), batchBody(ev(uuidN(2), "e", "d", "")))
	if r.header.Get("Accept") != "" || r.header.Get("Accept-Encoding") != "" {
		t.Errorf("success response carries Accept hints: %v", r.header)
	}
}

func TestDestinations(t *testing.T) {
	e := newEnv(t, nil)
	cases := []struct{ name, topic string }{
		{"$pageview", testTopics.Main},
		{"$exception", testTopics.Exceptions},
		{"$$heatmap", testTopics.Heatmaps},
		{"$$client_ingestion_warning", testTopics.ClientIngestionWarning},
		{"my custom event", testTopics.Main},
	}
	var events []string
	for i, c := range cases {
		events = append(events, ev(uuidN(i+1), c.name, "d", ""))
	}
	rb := decodeResults(t, e.post(t, validHeaders(), batchBody(events...)))
	for i := range cases {
		wantResult(t, rb, uuidN(i+1), "ok", "")
	}
	counts := map[string]int{}
	for _, c := range cases {
		counts[c.topic]++
	}
	for topic, n := range counts {
		recs := e.consume(t, topic, n)
		for _, rec := range recs {
			var ce types.CapturedEvent
			if err := json.Unmarshal(rec.Value, &ce); err != nil {
				t.Fatal(err)
			}
			found := false
			for _, c := range cases {
				if c.name == ce.Event && c.topic == topic {
					found = true
				}
			}
			if !found {
				t.Errorf("%s landed on %s", ce.Event, topic)
			}
		}
	}
}

func TestPerEventDrops(t *testing.T) {
	e := newEnv(t, nil)
	long := strings.Repeat("x", 201)
	rb := decodeResults(t, e.post(t, validHeaders(), batchBody(
		ev(uuidN(1), "", "d", ""),
		ev(uuidN(2), "ok-event", "d", ""),
		ev(uuidN(3), long, "d", ""),
		ev(uuidN(4), "e", "   ", ""),
		ev(uuidN(5), "e", long, ""),
		`{"event":"e","uuid":"`+uuidN(6)+`","distinct_id":"d","timestamp":"2026-03-19 14:29:58"}`,
		ev(uuidN(7), "e", "d", `,"properties":[1,2,3]`),
		ev(uuidN(8), "$performance_event", "d", ""),
		ev(uuidN(9), "e", "d", `,"options":{"cookieless_mode":"maybe"}`),
		ev(uuidN(10), "e", "d", `,"options":[]`),
		ev(uuidN(11), "e", "anonymous", ""),
	)))
	wantResult(t, rb, uuidN(1), "drop", DetailMissingEventName)
	wantResult(t, rb, uuidN(2), "ok", "")
	wantResult(t, rb, uuidN(3), "drop", DetailEventNameTooLong)
	wantResult(t, rb, uuidN(4), "drop", DetailMissingDistinctID)
	wantResult(t, rb, uuidN(5), "drop", DetailDistinctIDTooLarge)
	wantResult(t, rb, uuidN(6), "drop", DetailInvalidEventTimestamp)
	wantResult(t, rb, uuidN(7), "drop", DetailMalformedEventProperties)
	wantResult(t, rb, uuidN(8), "drop", DetailDroppedPerformanceEvent)
	wantResult(t, rb, uuidN(9), "drop", DetailInvalidOptions)
	wantResult(t, rb, uuidN(10), "drop", DetailInvalidOptions)
	wantResult(t, rb, uuidN(11), "ok", DetailPersonProcessingDisabled)
	recs := e.consume(t, testTopics.Main, 2)
	got := map[string]*kgo.Record{}
	for _, rec := range recs {
		got[kafka.HeaderMap(rec.Headers)["uuid"]] = rec
	}
	if got[uuidN(2)] == nil || got[uuidN(11)] == nil {
		t.Fatalf("published %v", got)
	}
	illegal := got[uuidN(11)]
	if illegal.Key != nil || kafka.HeaderMap(illegal.Headers)["force_disable_person_processing"] != "true" {
		t.Errorf("illegal distinct id: key %q headers %v", illegal.Key, kafka.HeaderMap(illegal.Headers))
	}

	// All invalid: 200, all drop, nothing produced.
	rb = decodeResults(t, e.post(t, validHeaders(), batchBody(ev(uuidN(20), "", "d", ""))))
	wantResult(t, rb, uuidN(20), "drop", DetailMissingEventName)
}

func TestKafkaFailureIsRetry(t *testing.T) {
	e := newEnv(t, func(o *Options, _ *kafka.Config) {
		o.Topics.Main = "topic_that_does_not_exist"
		o.ProduceTimeout = 500 * time.Millisecond
	})
	r := e.post(t, validHeaders(), batchBody(ev(uuidN(1), "e", "d", ""), ev(uuidN(2), "e", "d", ""), ev(uuidN(3), "", "d", "")))
	rb := decodeResults(t, r)
	wantResult(t, rb, uuidN(1), "retry", DetailNotPersisted)
	wantResult(t, rb, uuidN(2), "retry", DetailNotPersisted)
	wantResult(t, rb, uuidN(3), "drop", DetailMissingEventName)
	if r.header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
	}
}

func TestKafkaMessageTooLargeIsDrop(t *testing.T) {
	e := newEnv(t, func(_ *Options, cfg *kafka.Config) { cfg.ProducerMessageMaxBytes = new(2000) })
	big := `,"properties":{"blob":"` + strings.Repeat("x", 5000) + `"}`
	rb := decodeResults(t, e.post(t, validHeaders(), batchBody(ev(uuidN(1), "e", "d", big), ev(uuidN(2), "e", "d", ""))))
	wantResult(t, rb, uuidN(1), "drop", DetailEventTooBig)
	wantResult(t, rb, uuidN(2), "ok", "")
}

type fakeSet map[string]bool

func (f fakeSet) IsLimited(token string) bool { return f[token] }

func TestQuota(t *testing.T) {
	limited := fakeSet{testToken: true}
	// Global limit → 402.
	e := newEnv(t, func(o *Options, _ *kafka.Config) {
		o.Policies = &limits.Policies{Quota: &limits.Quota{Resource: "events", Global: limited}}
	})
	r := e.post(t, validHeaders(), batchBody(ev(uuidN(1), "e", "d", "")))
	wantError(t, r, 402, TagBillingLimitExceeded)
	if !strings.Contains(r.body, `"error_uri":"https://posthog.com/docs/billing/limits"`) {
		t.Errorf("%s", r.body)
	}
	// Scoped limits drop only matching events.
	e = newEnv(t, func(o *Options, _ *kafka.Config) {
		o.Policies = &limits.Policies{Quota: &limits.Quota{Resource: "events", Global: fakeSet{},
			Scoped: limits.ScopedDefaults(limited, limited, limited)}}
	})
	rb := decodeResults(t, e.post(t, validHeaders(), batchBody(
		ev(uuidN(1), "$exception", "d", ""),
		ev(uuidN(2), "survey sent", "d", ""),
		ev(uuidN(3), "survey sent", "d", `,"options":{"product_tour_id":"tour"}`),
		ev(uuidN(4), "$ai_generation", "d", ""),
		ev(uuidN(5), "$pageview", "d", ""),
	)))
	wantResult(t, rb, uuidN(1), "drop", DetailExceptionsOverQuota)
	wantResult(t, rb, uuidN(2), "drop", DetailSurveyResponsesOverQuota)
	wantResult(t, rb, uuidN(3), "ok", "")
	wantResult(t, rb, uuidN(4), "drop", DetailLLMEventsOverQuota)
	wantResult(t, rb, uuidN(5), "ok", "")
	// Everything dropped by scoped quotas → 402.
	wantError(t, e.post(t, validHeaders(), batchBody(ev(uuidN(6), "$exception", "d", ""))), 402, TagBillingLimitExceeded)
}

func TestHistoricalRouting(t *testing.T) {
	e := newEnv(t, func(o *Options, _ *kafka.Config) {
		o.RerouteHistorical = true
		o.RerouteHistoricalAfter = 30 * 24 * time.Hour
	})
	old := `{"event":"e","uuid":"` + uuidN(1) + `","distinct_id":"d","timestamp":"2026-01-18T14:30:00Z"}`
	rb := decodeResults(t, e.post(t, validHeaders(), batchBody(old, ev(uuidN(2), "e", "d", ""))))
	wantResult(t, rb, uuidN(1), "ok", "")
	recs := e.consume(t, testTopics.Historical, 1)
	if h := kafka.HeaderMap(recs[0].Headers); h["uuid"] != uuidN(1) || h["historical_migration"] != "" {
		t.Errorf("historical headers %v", h)
	}
	if recs := e.consume(t, testTopics.Main, 1); kafka.HeaderMap(recs[0].Headers)["uuid"] != uuidN(2) {
		t.Errorf("main %v", recs[0].Headers)
	}
	// Batch flag: every event, header and payload flag set.
	body := []byte(`{"created_at":"2026-03-19T14:30:00Z","historical_migration":true,"batch":[` + ev(uuidN(3), "e", "d", "") + `]}`)
	decodeResults(t, e.post(t, validHeaders(), body))
	recs = e.consume(t, testTopics.Historical, 2)
	var ce types.CapturedEvent
	if err := json.Unmarshal(recs[1].Value, &ce); err != nil || !ce.HistoricalMigration || kafka.HeaderMap(recs[1].Headers)["historical_migration"] != "true" {
		t.Errorf("batch flag: %v %s %v", err, recs[1].Value, recs[1].Headers)
	}
}

func TestImportModeDropsNonHistorical(t *testing.T) {
	e := newEnv(t, func(o *Options, _ *kafka.Config) { o.ImportMode = true })
	rb := decodeResults(t, e.post(t, validHeaders(), batchBody(ev(uuidN(1), "e", "d", ""))))
	wantResult(t, rb, uuidN(1), "drop", DetailNonHistoricalImportDrop)
}

func TestOverflowLimiter(t *testing.T) {
	e := newEnv(t, func(o *Options, _ *kafka.Config) {
		o.Policies = &limits.Policies{Overflow: limiters.NewOverflowLimiter(1, 1, testToken+":forced", limiters.WithRegisterer(nil))}
	})
	decodeResults(t, e.post(t, validHeaders(), batchBody(ev(uuidN(1), "e", "forced", ""), ev(uuidN(2), "e", "hot", ""), ev(uuidN(3), "e", "hot", ""))))
	main := e.consume(t, testTopics.Main, 1)
	if kafka.HeaderMap(main[0].Headers)["uuid"] != uuidN(2) {
		t.Errorf("main got %v", kafka.HeaderMap(main[0].Headers))
	}
	over := e.consume(t, testTopics.Overflow, 2)
	for _, rec := range over {
		h := kafka.HeaderMap(rec.Headers)
		switch h["uuid"] {
		case uuidN(1): // forced: person processing off, no key
			if rec.Key != nil || h["force_disable_person_processing"] != "true" {
				t.Errorf("forced %q %v", rec.Key, h)
			}
		case uuidN(3): // rate limited: keyed, persons on
			if string(rec.Key) != testToken+":hot" || h["force_disable_person_processing"] != "" {
				t.Errorf("rate limited %q %v", rec.Key, h)
			}
		default:
			t.Errorf("unexpected %v", h)
		}
	}
}

// TestSerializedEvent is the realistic pageview round trip: payload decodes
// as CapturedEvent, data as RawEvent with injected properties.
func TestSerializedEvent(t *testing.T) {
	e := newEnv(t, nil)
	h := validHeaders()
	h.Set("PostHog-Request-Timestamp", "2026-03-19T14:30:10Z") // client clock 10 s ahead
	h.Set("X-Forwarded-For", "198.51.100.9, 10.0.0.1")
	body := batchBody(`{"event":"$pageview","uuid":"A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D","distinct_id":"  user-42 ","timestamp":"2026-03-19T14:29:58.123Z",
		"session_id":"01jq9abc-def0-1234-5678-9abcdef01234","window_id":"win-1",
		"options":{"process_person_profile":true,"product_tour_id":7,"disable_skew_correction":false},
		"properties":{"$browser":"Chrome","custom_prop":42,"$lib":"spoofed"}}`)
	r := e.post(t, h, body)
	if r.body != `{"results":{"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d":{"result":"ok"}}}` {
		t.Fatalf("%s", r.body)
	}
	rec := e.consume(t, testTopics.Main, 1)[0]
	wantValue := `{"uuid":"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d","distinct_id":"user-42","ip":"198.51.100.9",` +
		`"data":"{\"event\":\"$pageview\",\"distinct_id\":\"user-42\",\"uuid\":\"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d\",` +
		`\"properties\":{\"$browser\":\"Chrome\",\"custom_prop\":42,\"$lib\":\"spoofed\",\"$session_id\":\"01jq9abc-def0-1234-5678-9abcdef01234\",` +
		`\"$window_id\":\"win-1\",\"$ignore_sent_at\":false,\"$product_tour_id\":\"7\",\"$process_person_profile\":true,` +
		`\"$lib\":\"posthog-rs\",\"$lib_version\":\"1.0.0\"},\"timestamp\":\"2026-03-19T14:29:58.123Z\"}",` +
		`"now":"2026-03-19T14:30:00Z","sent_at":"2026-03-19T14:30:10Z","token":"phc_test_token","event":"$pageview",` +
		`"timestamp":"2026-03-19T14:29:48.123Z"}`
	if string(rec.Value) != wantValue {
		t.Errorf("value\n got %s\nwant %s", rec.Value, wantValue)
	}
	var ce types.CapturedEvent
	if err := json.Unmarshal(rec.Value, &ce); err != nil {
		t.Fatal(err)
	}
	raw, err := types.ParseRawEvent([]byte(ce.Data))
	if err != nil {
		t.Fatal(err)
	}
	if sid, _ := raw.PropertyString("$session_id"); sid != "01jq9abc-def0-1234-5678-9abcdef01234" {
		t.Errorf("$session_id %q", sid)
	}
	if lib, _ := raw.PropertyString("$lib"); lib != "posthog-rs" {
		t.Errorf("$lib %q (injected value must win)", lib)
	}
	if v, _ := raw.Property("$process_person_profile"); string(v) != "true" {
		t.Errorf("$process_person_profile %s", v)
	}
	if v, _ := raw.Property("custom_prop"); string(v) != "42" {
		t.Errorf("custom_prop %s", v)
	}
	hm := kafka.HeaderMap(rec.Headers)
	want := map[string]string{
		"token": testToken, "distinct_id": "user-42", "session_id": "01jq9abc-def0-1234-5678-9abcdef01234",
		"timestamp": "1773930588123", "event": "$pageview", "uuid": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
		"now": "2026-03-19T14:30:00Z",
	}
	for k, v := range want {
		if hm[k] != v {
			t.Errorf("header %s = %q, want %q", k, hm[k], v)
		}
	}
	if string(rec.Key) != testToken+":user-42" {
		t.Errorf("key %q", rec.Key)
	}
}

func TestCookielessAndCaptureInternal(t *testing.T) {
	e := newEnv(t, nil)
	h := validHeaders()
	h.Set("X-Forwarded-For", "198.51.100.9")
	decodeResults(t, e.post(t, h, batchBody(ev(uuidN(1), "e", "d", `,"options":{"cookieless_mode":true}`))))
	body := []byte(`{"created_at":"2026-03-19T14:30:00Z","capture_internal":true,"batch":[` + ev(uuidN(2), "e", "d", `,"options":{"cookieless_mode":"1"}`) + `,` + ev(uuidN(3), "e", "d", "") + `]}`)
	decodeResults(t, e.post(t, h, body))
	recs := e.consume(t, testTopics.Main, 3)
	wantKeys := []string{testToken + ":198.51.100.9", testToken + ":127.0.0.1", testToken + ":d"}
	wantIPs := []string{"198.51.100.9", "127.0.0.1", "127.0.0.1"}
	for i, rec := range recs {
		var ce types.CapturedEvent
		if err := json.Unmarshal(rec.Value, &ce); err != nil {
			t.Fatal(err)
		}
		if string(rec.Key) != wantKeys[i] || ce.IP != wantIPs[i] || ce.IsCookielessMode != (i < 2) {
			t.Errorf("record %d: key %q ip %q cookieless %v", i, rec.Key, ce.IP, ce.IsCookielessMode)
		}
	}
}

func TestTimestampNormalization(t *testing.T) {
	received := testNow
	ts := received.Add(-time.Minute)
	// Client clock 1 h behind: skew −1 h, events move forward 1 h.
	if got := normalizeTimestamp(ts, received, -time.Hour, false); !got.Equal(ts.Add(time.Hour)) {
		t.Errorf("skew: %v", got)
	}
	if got := normalizeTimestamp(ts, received, -time.Hour, true); !got.Equal(ts) {
		t.Errorf("disabled: %v", got)
	}
	future := received.Add(24 * time.Hour)
	if got := normalizeTimestamp(future, received, 0, false); !got.Equal(received) {
		t.Errorf("clamp: %v", got)
	}
	if got := normalizeTimestamp(future, received, 0, true); !got.Equal(future) {
		t.Errorf("disabled keeps future: %v", got)
	}
	within := received.Add(23 * time.Hour)
	if got := normalizeTimestamp(within, received, 0, false); !got.Equal(within) {
		t.Errorf("23 h: %v", got)
	}
}

func TestBodyLimits(t *testing.T) {
	e := newEnv(t, func(o *Options, _ *kafka.Config) {
		o.MaxCompressedBodyBytes = 1000
		o.MaxDecompressedBodyBytes = 5000
	})
	big := batchBody(ev(uuidN(1), "e", "d", `,"properties":{"x":"`+strings.Repeat("a", 2000)+`"}`))
	wantError(t, e.post(t, validHeaders(), big), 413, TagPayloadTooLarge)
	h := validHeaders()
	h.Set("Content-Encoding", "gzip")
	// Compressed fits, inflated is over the decompressed limit.
	bomb := batchBody(ev(uuidN(1), "e", "d", `,"properties":{"x":"`+strings.Repeat("a", 6000)+`"}`))
	wantError(t, e.post(t, h, compressGzip(bomb)), 413, TagPayloadTooLarge)
	// Both limits split: compressed under 1000, inflated under 5000.
	ok := batchBody(ev(uuidN(2), "e", "d", `,"properties":{"x":"`+strings.Repeat("a", 3000)+`"}`))
	wantResult(t, decodeResults(t, e.post(t, h, compressGzip(ok))), uuidN(2), "ok", "")
}

func TestBodyReadTimeout(t *testing.T) {
	e := newEnv(t, func(o *Options, _ *kafka.Config) { o.BodyChunkReadTimeout = 100 * time.Millisecond })
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+Path, pr)
	req.Header = validHeaders()
	go func() {
		_, _ = pw.Write([]byte(`{"created_at":`))
		time.Sleep(time.Second)
		_ = pw.Close()
	}()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	wantError(t, response{resp.StatusCode, resp.Header, string(b)}, 408, TagBodyReadTimeout)
	if resp.Header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
}

func TestErrorLogging(t *testing.T) {
	var buf bytes.Buffer
	e := newEnv(t, func(o *Options, _ *kafka.Config) {
		o.Logger = slog.New(slog.NewTextHandler(&buf, nil))
	})
	h := validHeaders()
	h.Set("Content-Type", "text/plain")
	e.post(t, h, batchBody(ev(uuidN(1), "e", "d", "")))
	line := buf.String()
	for _, want := range []string{"level=WARN", "error=unsupported_content_type", "status=415", "request_id=" + testRequestID, "sdk_info=posthog-rs/1.0.0", "content_type=text/plain"} {
		if !strings.Contains(line, want) {
			t.Errorf("log %q lacks %q", line, want)
		}
	}
	buf.Reset()
	e.post(t, validHeaders(), nil)
	for _, want := range []string{"level=WARN", "error=empty_body", "status=400", "token=" + testToken, "attempt=1", "client_ip=203.0.113.7"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log %q lacks %q", buf.String(), want)
		}
	}
	buf.Reset()
	NewHandler(Options{Logger: slog.New(slog.NewTextHandler(&buf, nil))}).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, Path, nil))
	if !strings.Contains(buf.String(), "level=ERROR") || !strings.Contains(buf.String(), "error=service_unavailable") {
		t.Errorf("503 log %q", buf.String())
	}
}

func TestSerializationPanicDropsOnlyThatEvent(t *testing.T) {
	h := NewHandler(Options{Topics: testTopics, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx := &requestContext{token: testToken, lib: "posthog-go", libVersion: "1.0.0", clientTimestamp: testNow, serverReceivedAt: testNow}
	b, err := DecodeBatch(batchBody(ev(uuidN(1), "e", "d", ""), ev(uuidN(2), "e", "d", "")))
	if err != nil {
		t.Fatal(err)
	}
	events, e := validateBatch(b, ctx)
	if e != nil {
		t.Fatal(e)
	}
	events[0].ev.Properties = nil // splicing an empty raw value panics
	recs, idx := h.serialize(events, b, ctx)
	if len(recs) != 1 || idx[0] != 1 || events[0].result != ResultDrop || events[0].details != DetailSerializationFailed {
		t.Fatalf("%d records, event 0 %s/%s", len(recs), events[0].result, events[0].details)
	}
}

// TestPartitionKeyMatrix: the key is dropped only on the main and overflow
// lanes when person processing is off; other lanes keep ordering.
func TestPartitionKeyMatrix(t *testing.T) {
	h := NewHandler(Options{Topics: testTopics})
	ctx := &requestContext{token: testToken, clientIP: "1.2.3.4", clientTimestamp: testNow, serverReceivedAt: testNow}
	b, err := DecodeBatch(batchBody(ev(uuidN(1), "e", "d", "")))
	if err != nil {
		t.Fatal(err)
	}
	events, _ := validateBatch(b, ctx)
	for _, dest := range []Destination{DestMain, DestHistorical, DestOverflow, DestDLQ, DestExceptions, DestHeatmaps, DestClientIngestionWarning} {
		for _, off := range []bool{false, true} {
			w := events[0]
			w.dest, w.forceDisablePersons = dest, off
			rec, _ := h.record(&w, b, ctx, "now", nil)
			wantNil := off && (dest == DestMain || dest == DestOverflow)
			if (rec.Key == nil) != wantNil || (!wantNil && string(rec.Key) != testToken+":d") {
				t.Errorf("%s persons-off=%v: key %q", dest, off, rec.Key)
			}
			hm := kafka.HeaderMap(rec.Headers)
			if (hm["force_disable_person_processing"] == "true") != off || rec.Topic != h.o.Topics.topic(dest) {
				t.Errorf("%s persons-off=%v: topic %s headers %v", dest, off, rec.Topic, hm)
			}
			if _, isDLQ := hm["dlq_reason"]; isDLQ != (dest == DestDLQ) {
				t.Errorf("%s: dlq headers %v", dest, hm)
			}
		}
	}
}
