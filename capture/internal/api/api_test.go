package api

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hoggo/capture/internal/limits"
	"github.com/hoggo/common/kafka"
	"github.com/hoggo/common/limiters"
)

var fixedNow = time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return fixedNow }

func gzipBytes(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return buf.Bytes()
}

func TestCapturesOneEvent(t *testing.T) {
	env := newEnv(t, envOpts{now: fixedClock})
	body := `{"token":"phc_tok","event":"$pageview","distinct_id":"user1","timestamp":"2025-07-01T11:00:00Z","properties":{"$session_id":"s1"}}`
	resp := env.post("/i/v0/e", []byte(body), "application/json")
	if resp.status != 200 || resp.body != `{"status":"Ok"}` {
		t.Fatalf("response %d %s", resp.status, resp.body)
	}
	r := env.consume(testTopics.Main, 1)[0]
	if string(r.Key) != "phc_tok:user1" {
		t.Errorf("key = %q", r.Key)
	}
	v := decodeValue(t, r)
	if v["token"] != "phc_tok" || v["distinct_id"] != "user1" || v["event"] != "$pageview" {
		t.Errorf("value %v", v)
	}
	if v["now"] != "2025-07-01T12:00:00Z" || v["timestamp"] != "2025-07-01T11:00:00Z" {
		t.Errorf("now %v timestamp %v", v["now"], v["timestamp"])
	}
	if _, ok := v["sent_at"]; ok {
		t.Error("sent_at should be omitted")
	}
	wantHeaders := map[string]string{
		"token": "phc_tok", "distinct_id": "user1", "event": "$pageview",
		"timestamp": strconv.FormatInt(time.Date(2025, 7, 1, 11, 0, 0, 0, time.UTC).UnixMilli(), 10),
		"uuid":      v["uuid"].(string), "now": "2025-07-01T12:00:00Z",
	}
	for k, want := range wantHeaders {
		if got, ok := header(r, k); !ok || got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	// Like the reference's to_headers: null unless set (session_id is only
	// filled for replay).
	for _, k := range []string{"force_disable_person_processing", "historical_migration", "session_id"} {
		if v, ok := header(r, k); ok {
			t.Errorf("header %s = %q, want null", k, v)
		}
	}
	data := decodeData(t, v)
	if data["uuid"] != nil {
		t.Errorf("data.uuid = %v, want null (generated uuid stays out of data)", data["uuid"])
	}
}

func TestTimestampHeaderDefaultsToNow(t *testing.T) {
	env := newEnv(t, envOpts{now: fixedClock})
	env.post("/e", []byte(`{"token":"t","event":"e","distinct_id":"d"}`), "")
	r := env.consume(testTopics.Main, 1)[0]
	if got, _ := header(r, "timestamp"); got != strconv.FormatInt(fixedNow.UnixMilli(), 10) {
		t.Errorf("timestamp header %s", got)
	}
	// Clock skew: sent_at via `_` shifts the event timestamp.
	sent := fixedNow.Add(10 * time.Second)
	env.post("/e?_="+strconv.FormatInt(sent.UnixMilli(), 10), []byte(`{"token":"t","event":"e2","distinct_id":"d","timestamp":"2025-07-01T12:00:05Z"}`), "")
	r = env.consume(testTopics.Main, 2)[1]
	if got, _ := header(r, "timestamp"); got != strconv.FormatInt(fixedNow.Add(-5*time.Second).UnixMilli(), 10) {
		t.Errorf("skew-corrected timestamp header %s", got)
	}
}

func TestRoutesMethodsAndCORS(t *testing.T) {
	env := newEnv(t, envOpts{now: fixedClock})
	ev := `{"token":"t","event":"e","distinct_id":"d"}`
	paths := []string{"/e", "/i/v0/e", "/batch", "/capture", "/track", "/engage"}
	n := 0
	for _, p := range paths {
		for _, path := range []string{p, p + "/"} {
			if r := env.post(path, []byte(ev), "application/json"); r.status != 200 {
				t.Errorf("POST %s: %d %s", path, r.status, r.body)
			}
			n++
			q := "?data=" + url.QueryEscape(base64.StdEncoding.EncodeToString([]byte(ev)))
			if r := env.do("GET", path+q, nil, nil); r.status != 200 {
				t.Errorf("GET %s: %d %s", path, r.status, r.body)
			}
			n++
			// A CORS preflight is answered by the CORS layer, like tower-http's.
			r := env.do("OPTIONS", path, nil, map[string]string{
				"Origin": "https://app.example", "Access-Control-Request-Method": "POST",
				"Access-Control-Request-Headers": "content-type,x-custom",
			})
			if r.status != 200 {
				t.Errorf("preflight %s: %d %s", path, r.status, r.body)
			}
			if r.header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
				r.header.Get("Access-Control-Allow-Credentials") != "true" ||
				r.header.Get("Access-Control-Allow-Headers") != "content-type,x-custom" ||
				!strings.Contains(r.header.Get("Access-Control-Allow-Methods"), "POST") {
				t.Errorf("preflight %s CORS headers: %v", path, r.header)
			}
			// A plain OPTIONS reaches the route: 200 {"status":"Ok"}.
			if r := env.do("OPTIONS", path, nil, nil); r.status != 200 || r.body != `{"status":"Ok"}` {
				t.Errorf("OPTIONS %s: %d %s", path, r.status, r.body)
			}
			if r := env.do("PUT", path, []byte(ev), nil); r.status != http.StatusMethodNotAllowed {
				t.Errorf("PUT %s: %d", path, r.status)
			}
		}
	}
	if got := len(env.consume(testTopics.Main, n)); got != n {
		t.Errorf("%d events produced, want %d", got, n)
	}
	for _, p := range []string{"/", "/_readiness", "/_liveness"} {
		if r := env.do("GET", p, nil, nil); r.status != 200 {
			t.Errorf("GET %s: %d", p, r.status)
		}
	}
	if r := env.do("POST", "/s", []byte(ev), nil); r.status != 404 {
		t.Errorf("/s in events mode: %d", r.status)
	}
}

func TestBeaconAnswers204(t *testing.T) {
	env := newEnv(t, envOpts{now: fixedClock})
	r := env.post("/e/?beacon=1", []byte(`{"token":"t","event":"e","distinct_id":"d"}`), "text/plain")
	if r.status != 204 || r.body != "" {
		t.Fatalf("beacon: %d %q", r.status, r.body)
	}
	env.consume(testTopics.Main, 1)
	r = env.post("/e/?beacon=0", []byte(`{"token":"t","event":"e","distinct_id":"d"}`), "text/plain")
	if r.status != 200 {
		t.Fatalf("beacon=0: %d", r.status)
	}
}

func TestBodyLimits(t *testing.T) {
	env := newEnv(t, envOpts{now: fixedClock})
	big := func(n int) []byte {
		pad := strings.Repeat("x", n)
		return []byte(`{"token":"t","event":"e","distinct_id":"d","properties":{"pad":"` + pad + `"}}`)
	}
	if r := env.post("/e", big(EventBodySize), "application/json"); r.status != 413 || !strings.Contains(r.body, `"code":"payload_too_large"`) {
		t.Errorf("/e over 2 MiB: %d %s", r.status, r.body)
	}
	// /batch takes up to 20 MiB, but a single Kafka message caps at 1 MB.
	if r := env.post("/batch", big(3<<20), "application/json"); r.status != 413 {
		t.Errorf("/batch 3 MiB single event: %d %s", r.status, r.body)
	}
	if r := env.post("/batch", big(900_000), "application/json"); r.status != 200 {
		t.Errorf("/batch 900 KB: %d %s", r.status, r.body)
	}
	if r := env.post("/batch", big(BatchBodySize), "application/json"); r.status != 413 {
		t.Errorf("/batch over 20 MiB: %d", r.status)
	}
}

func TestBodyReadTimeout(t *testing.T) {
	env := newEnv(t, envOpts{now: fixedClock, mutate: func(o *Options) { o.BodyChunkReadTimeout = 100 * time.Millisecond }})
	conn, err := net.Dial("tcp", strings.TrimPrefix(env.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = conn.Write([]byte("POST /e HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"tok"))
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	n, _ := conn.Read(buf)
	resp := string(buf[:n])
	if !strings.HasPrefix(resp, "HTTP/1.1 408") || !strings.Contains(resp, `"code":"body_read_timeout"`) {
		t.Fatalf("stalled body: %q", resp)
	}
}

func TestErrorResponses(t *testing.T) {
	env := newEnv(t, envOpts{now: fixedClock})
	cases := []struct {
		path, body string
		status     int
		code       string
	}{
		{"/e", `{"event":"e","distinct_id":"d"}`, 401, "ingest_key_required"},
		{"/e", `[{"event":"e","distinct_id":"d","token":"a"},{"event":"e","distinct_id":"d","token":"b"}]`, 400, "unroutable_events"},
		{"/e", `{"event":"e","distinct_id":"d","token":"phx_personal"}`, 403, "ingest_key_unknown"},
		{"/e", `{"event":"e","token":"t"}`, 400, "missing_distinct_id"},
		{"/e", `{"event":"","token":"t","distinct_id":"d"}`, 400, "missing_event_name"},
		{"/e", `[]`, 400, "empty_batch"},
		{"/e", ``, 400, "empty_payload"},
		{"/e", `{not json`, 400, "request_parsing_error"},
		{"/i/v0/e", `{"distinct_id":"d","token":"t"}`, 400, "request_hydration_error"},
	}
	for _, c := range cases {
		r := env.post(c.path, []byte(c.body), "application/json")
		want := `"status":` + strconv.Itoa(c.status) + `,"code":"` + c.code + `"`
		if r.status != c.status || !strings.Contains(r.body, want) || !strings.Contains(r.body, `"error":"`) {
			t.Errorf("%s %s: %d %s (want %s)", c.path, c.body, r.status, r.body, want)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("content type %q", ct)
		}
	}
	if n := env.count(testTopics.Main); n != 0 {
		t.Errorf("%d events produced by failed requests", n)
	}
}

func TestEngageBecomesIdentify(t *testing.T) {
	env := newEnv(t, envOpts{now: fixedClock})
	r := env.post("/engage/", fixture(t, "single_engage_event_payload.json"), "application/json")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	v := decodeValue(t, env.consume(testTopics.Main, 1)[0])
	if v["event"] != "$identify" || decodeData(t, v)["event"] != "$identify" {
		t.Errorf("event %v", v["event"])
	}
}

func TestDropsPerformanceEvents(t *testing.T) {
	env := newEnv(t, envOpts{now: fixedClock})
	r := env.post("/e", []byte(`[{"token":"t","event":"$performance_event","distinct_id":"d"}]`), "")
	if r.status != 200 {
		t.Fatalf("only perf events: %d %s", r.status, r.body)
	}
	r = env.post("/e", []byte(`[{"token":"t","event":"$performance_event","distinct_id":"d"},{"token":"t","event":"keep","distinct_id":"d"}]`), "")
	if r.status != 200 {
		t.Fatalf("%d", r.status)
	}
	recs := env.consume(testTopics.Main, 1)
	if decodeValue(t, recs[0])["event"] != "keep" || env.count(testTopics.Main) != 1 {
		t.Error("performance event was produced")
	}
}

func TestRedactsCaptureInternalIP(t *testing.T) {
	env := newEnv(t, envOpts{now: fixedClock})
	env.do("POST", "/e", []byte(`[{"token":"t","event":"a","distinct_id":"d","properties":{"capture_internal":true}},{"token":"t","event":"b","distinct_id":"d"}]`),
		map[string]string{"X-Forwarded-For": "203.0.113.9, 10.0.0.1"})
	recs := env.consume(testTopics.Main, 2)
	if ip := decodeValue(t, recs[0])["ip"]; ip != "127.0.0.1" {
		t.Errorf("capture_internal ip = %v", ip)
	}
	if ip := decodeValue(t, recs[1])["ip"]; ip != "203.0.113.9" {
		t.Errorf("ip = %v", ip)
	}
}

func TestTopicRouting(t *testing.T) {
	env := newEnv(t, envOpts{now: fixedClock})
	body := `[{"token":"t","event":"$exception","distinct_id":"d"},{"token":"t","event":"$$heatmap","distinct_id":"d"},
		{"token":"t","event":"$$client_ingestion_warning","distinct_id":"d"},{"token":"t","event":"e","distinct_id":"d"}]`
	if r := env.post("/e", []byte(body), ""); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	for topic, event := range map[string]string{
		testTopics.Exceptions: "$exception", testTopics.Heatmaps: "$$heatmap",
		testTopics.ClientWarnings: "$$client_ingestion_warning", testTopics.Main: "e",
	} {
		r := env.consume(topic, 1)[0]
		if v := decodeValue(t, r); v["event"] != event {
			t.Errorf("%s: %v", topic, v["event"])
		}
		if string(r.Key) != "t:d" {
			t.Errorf("%s key %q", topic, r.Key)
		}
	}
	// A historical batch goes to the historical topic, flagged.
	hist := `{"api_key":"t","historical_migration":true,"batch":[{"event":"e","distinct_id":"d"}]}`
	if r := env.post("/batch", []byte(hist), "application/json"); r.status != 200 {
		t.Fatal(r.status)
	}
	r := env.consume(testTopics.Historical, 1)[0]
	if v := decodeValue(t, r); v["historical_migration"] != true {
		t.Errorf("historical_migration = %v", v["historical_migration"])
	}
	if h, _ := header(r, "historical_migration"); h != "true" {
		t.Errorf("historical_migration header %q", h)
	}
}

func TestOverflowAndDropper(t *testing.T) {
	pol := &limits.Policies{
		Overflow: limiters.NewOverflowLimiter(1, 1, "forced_token, t2:hot"),
		Dropper:  limiters.NewTokenDropper("dropme,t3:gone"),
	}
	env := newEnv(t, envOpts{now: fixedClock, policies: pol})
	post := func(tok, id string) {
		t.Helper()
		r := env.post("/e", []byte(`{"token":"`+tok+`","event":"e","distinct_id":"`+id+`"}`), "")
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
	}
	post("forced_token", "a") // forced: overflow, null key
	post("t2", "hot")         // forced by token:distinct_id
	post("t2", "cold")        // first: main
	post("t2", "cold")        // second within the second: rate limited
	post("dropme", "x")       // dropped
	post("t3", "gone")        // dropped
	post("t3", "kept")        // main
	over := env.consume(testTopics.Overflow, 3)
	for i, r := range over[:2] {
		if r.Key != nil {
			t.Errorf("forced overflow %d has key %q", i, r.Key)
		}
		if h, _ := header(r, "force_disable_person_processing"); h != "true" {
			t.Errorf("forced overflow %d fdpp header %q", i, h)
		}
	}
	if string(over[2].Key) != "t2:cold" {
		t.Errorf("rate-limited overflow key %q (locality kept while person processing is on)", over[2].Key)
	}
	main := env.consume(testTopics.Main, 2)
	if string(main[0].Key) != "t2:cold" || string(main[1].Key) != "t3:kept" {
		t.Errorf("main keys %q %q", main[0].Key, main[1].Key)
	}
	if env.count(testTopics.Main) != 2 || env.count(testTopics.Overflow) != 3 {
		t.Error("dropped events were produced")
	}
}

func TestKafkaDownAnswers503(t *testing.T) {
	env := newEnv(t, envOpts{now: fixedClock, kcfg: func(c *kafka.Config) { c.MessageTimeoutMs = 1500 }})
	env.cluster.Close()
	r := env.post("/e", []byte(`{"token":"t","event":"e","distinct_id":"d"}`), "")
	if r.status != 503 || !strings.Contains(r.body, `"code":"service_unavailable"`) {
		t.Fatalf("kafka down: %d %s", r.status, r.body)
	}
}

func TestConcurrencyLimitQueues(t *testing.T) {
	env := newEnv(t, envOpts{now: fixedClock, mutate: func(o *Options) { o.ConcurrencyLimit = 1 }})
	done := make(chan int, 8)
	for i := 0; i < 8; i++ {
		go func() {
			r, err := http.Post(env.srv.URL+"/e", "application/json", strings.NewReader(`{"token":"t","event":"e","distinct_id":"d"}`))
			if err != nil {
				done <- 0
				return
			}
			r.Body.Close()
			done <- r.StatusCode
		}()
	}
	for i := 0; i < 8; i++ {
		if code := <-done; code != 200 {
			t.Fatalf("request %d: status %d", i, code)
		}
	}
	if n := len(env.consume(testTopics.Main, 8)); n != 8 {
		t.Errorf("%d events", n)
	}
}
