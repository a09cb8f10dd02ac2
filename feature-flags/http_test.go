package flags_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	flags "github.com/hoggo/feature-flags"
	"github.com/hoggo/migrations"
	"github.com/hoggo/migrations/pgtest"
)

func TestHTTPMethods(t *testing.T) {
	e := newEnv(t)
	res, err := http.Get(e.srv.URL + "/flags?v=2")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	code, m := e.do(mustReq(t, http.MethodGet, e.srv.URL+"/flags?v=2"))
	if code != 200 || m["flags"] == nil || m["isAuthenticated"] != false || m["errorsWhileComputingFlags"] != false {
		t.Errorf("GET v2 = %d %v", code, m)
	}
	code, m = e.do(mustReq(t, http.MethodGet, e.srv.URL+"/flags"))
	if code != 200 || m["featureFlags"] == nil || m["sessionRecording"] != false {
		t.Errorf("GET legacy = %d %v", code, m)
	}
	res, _ = http.DefaultClient.Do(mustReq(t, http.MethodHead, e.srv.URL+"/flags"))
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" {
		t.Errorf("HEAD = %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	res, _ = http.DefaultClient.Do(mustReq(t, http.MethodOptions, e.srv.URL+"/flags"))
	if res.StatusCode != 204 || res.Header.Get("Allow") != "GET, POST, OPTIONS, HEAD" {
		t.Errorf("OPTIONS = %d %q", res.StatusCode, res.Header.Get("Allow"))
	}
	res, _ = http.DefaultClient.Do(mustReq(t, http.MethodPut, e.srv.URL+"/flags"))
	if res.StatusCode != 405 || res.Header.Get("Allow") == "" {
		t.Errorf("PUT = %d", res.StatusCode)
	}
}

func mustReq(t *testing.T, method, u string) *http.Request {
	r, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRequestErrors(t *testing.T) {
	e := newEnv(t)
	_, token := e.team()
	cases := []struct {
		name, path, body, ct string
		code                 int
		errCode              string
	}{
		{"missing token", "/flags?v=2", `{"distinct_id":"a"}`, "application/json", 401, "not_authenticated"},
		{"unknown token", "/flags?v=2", `{"token":"phc_nope","distinct_id":"a"}`, "application/json", 401, "invalid_token"},
		{"missing distinct id", "/flags?v=2", `{"token":"` + token + `"}`, "application/json", 400, "missing_distinct_id"},
		{"bad json", "/flags?v=2", `{"token":`, "application/json", 400, "request_decoding_error"},
		{"bad type", "/flags?v=2", `{"token":"` + token + `","distinct_id":"a","person_properties":"x"}`, "application/json", 400, "request_decoding_error"},
		{"unsupported content type", "/flags?v=2", `{}`, "application/xml", 400, "request_decoding_error"},
		{"unsupported compression", "/flags?v=2&compression=lz4", `{}`, "application/json", 400, "request_decoding_error"},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+c.path, strings.NewReader(c.body))
		req.Header.Set("Content-Type", c.ct)
		code, m := e.do(req)
		if code != c.code || m["code"] != c.errCode {
			t.Errorf("%s: %d %v, want %d %s", c.name, code, m, c.code, c.errCode)
		}
	}
}

func TestBodyEncodings(t *testing.T) {
	e := newEnv(t)
	teamID, token := e.team()
	e.flag(teamID, "on", `{"groups":[{"properties":[],"rollout_percentage":100}]}`)
	body := `{"token":"` + token + `","distinct_id":"d1"}`
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte(body))
	w.Close()
	b64 := base64.StdEncoding.EncodeToString([]byte(body))
	cases := []struct {
		name, query, ct, ce string
		body                []byte
	}{
		{"gzip magic", "v=2", "application/json", "", gz.Bytes()},
		{"gzip header", "v=2", "application/json", "gzip", gz.Bytes()},
		{"gzip param", "v=2&compression=gzip-js", "text/plain", "", gz.Bytes()},
		{"base64 param", "v=2&compression=base64", "application/json", "", []byte(strings.ReplaceAll(b64, "=", "%3D"))},
		{"form", "v=2", "application/x-www-form-urlencoded", "", []byte("data=" + url.QueryEscape(b64))},
		{"nan", "v=2", "application/json", "", []byte(`{"token":"` + token + `","distinct_id":"d1","person_properties":{"x":NaN}}`)},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/flags?"+c.query, bytes.NewReader(c.body))
		req.Header.Set("Content-Type", c.ct)
		if c.ce != "" {
			req.Header.Set("Content-Encoding", c.ce)
		}
		code, m := e.do(req)
		if code != 200 {
			t.Errorf("%s: %d %v", c.name, code, m)
			continue
		}
		if f := m["flags"].(map[string]any)["on"].(map[string]any); f["enabled"] != true {
			t.Errorf("%s: %v", c.name, f)
		}
	}
}

func TestResponseVersions(t *testing.T) {
	e := newEnv(t)
	teamID, token := e.team()
	e.flag(teamID, "on", `{"groups":[{"properties":[],"rollout_percentage":100}]}`)
	e.flag(teamID, "offf", `{"groups":[{"properties":[],"rollout_percentage":0}]}`)
	body := map[string]any{"token": token, "distinct_id": "d1"}
	// No v and no config: v2 plus config fields.
	_, m := e.post("/flags", body)
	if m["flags"] == nil || m["supportedCompression"] == nil || m["hasFeatureFlags"] != true {
		t.Errorf("default = %v", m)
	}
	// v but no config: no config fields.
	_, m = e.post("/flags?v=1", body)
	if m["featureFlags"] == nil || m["supportedCompression"] != nil {
		t.Errorf("v=1 = %v", m)
	}
	decide := []string{"X-Original-Endpoint", "decide"}
	_, m = e.post("/flags?v=1", body, decide...)
	if ff, ok := m["featureFlags"].([]any); !ok || len(ff) != 1 || ff[0] != "on" || m["supportedCompression"] == nil {
		t.Errorf("decide v1 = %v", m)
	}
	_, m = e.post("/flags?v=2", body, decide...)
	if ff, ok := m["featureFlags"].(map[string]any); !ok || ff["on"] != true || len(ff) != 1 || m["errorsWhileComputingFlags"] != nil {
		t.Errorf("decide v2 = %v", m)
	}
	_, m = e.post("/flags?v=3", body, decide...)
	if ff, ok := m["featureFlags"].(map[string]any); !ok || ff["offf"] != false || m["featureFlagPayloads"] == nil {
		t.Errorf("decide v3 = %v", m)
	}
	_, m = e.post("/flags?v=4", body, decide...)
	if m["flags"] == nil {
		t.Errorf("decide v4 = %v", m)
	}
	_, m = e.post("/flags?v=2", body, "X-REQUEST-ID", "2b0e8d52-1a9c-4b6f-9f0e-3f6c2a1d9e11")
	if m["requestId"] != "2b0e8d52-1a9c-4b6f-9f0e-3f6c2a1d9e11" {
		t.Errorf("request id = %v", m["requestId"])
	}
	if ea, ok := m["evaluatedAt"].(float64); !ok || ea < float64(time.Now().Add(-time.Minute).UnixMilli()) {
		t.Errorf("evaluatedAt = %v", m["evaluatedAt"])
	}
}

func TestQuotaLimited(t *testing.T) {
	e := newEnv(t)
	teamID, token := e.team()
	e.flag(teamID, "on", `{"groups":[{"properties":[],"rollout_percentage":100}]}`)
	key := "@posthog/quota-limits/feature_flag_requests"
	ctx := context.Background()
	e.rdb.ZAdd(ctx, key, goredisZ(float64(time.Now().Add(time.Hour).Unix()), token))
	t.Cleanup(func() { e.rdb.ZRem(context.Background(), key, token) })
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, m := e.post("/flags?v=2", map[string]any{"token": token, "distinct_id": "d"})
		if q, ok := m["quotaLimited"].([]any); ok {
			if len(q) != 1 || q[0] != "feature_flags" || len(m["flags"].(map[string]any)) != 0 {
				t.Errorf("limited response = %v", m)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never quota limited: %v", m)
		}
		time.Sleep(200 * time.Millisecond)
	}
	_, m := e.post("/flags?v=1", map[string]any{"token": token, "distinct_id": "d"})
	if len(m["featureFlags"].(map[string]any)) != 0 || m["quotaLimited"] == nil {
		t.Errorf("legacy limited = %v", m)
	}
}

func TestRateLimiting(t *testing.T) {
	e := newEnv(t, func(c *flags.Config) {
		c.FlagsRateLimitEnabled, c.FlagsRateLimitLogOnly, c.FlagsBucketCapacity, c.FlagsBucketReplenish = true, false, 2, 0.001
		c.FlagsIPRateLimitEnabled, c.FlagsIPRateLimitLogOnly, c.FlagsIPBurstSize, c.FlagsIPReplenishRate = true, true, 3, 0.001
	})
	_, token := e.team()
	body := map[string]any{"token": token, "distinct_id": "d"}
	for i := 0; i < 2; i++ {
		if code, m := e.post("/flags?v=2", body); code != 200 {
			t.Fatalf("request %d: %d %v", i, code, m)
		}
	}
	code, m := e.post("/flags?v=2", body)
	if code != http.StatusTooManyRequests || m["code"] != "rate_limit_exceeded" || m["type"] != "validation_error" || m["detail"] != "Rate limit exceeded" {
		t.Errorf("over the token limit = %d %v", code, m)
	}
	// Another token is not limited, but the IP limiter (log-only) now warns.
	_, other := e.team()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/flags?v=2", strings.NewReader(`{"token":"`+other+`","distinct_id":"d"}`))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("X-PostHog-Rate-Limit-Warning") != "true" {
		t.Errorf("log-only IP limiter = %d warning=%q", res.StatusCode, res.Header.Get("X-PostHog-Rate-Limit-Warning"))
	}
}

func TestMetricsAndProbes(t *testing.T) {
	e := newEnv(t)
	teamID, token := e.team()
	e.flag(teamID, "on", `{"groups":[{"properties":[],"rollout_percentage":100}]}`)
	e.post("/flags?v=2", map[string]any{"token": token, "distinct_id": "d"})
	for path, want := range map[string]string{"/_liveness": "ok", "/_readiness": "ready", "/": "feature flags"} {
		res, err := http.Get(e.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || string(b) != want {
			t.Errorf("%s = %d %q", path, res.StatusCode, b)
		}
	}
	res, err := http.Get(e.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, name := range []string{"flags_requests_total", "flags_requests_duration_ms", "flags_evaluation_time", "flags_db_flag_reads_total",
		"http_requests_total", "feature_flags_billing_limits_loaded_tokens"} {
		if !strings.Contains(string(b), name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}

func TestReadinessDuringShutdown(t *testing.T) {
	e := newEnv(t)
	e.svc.Lifecycle.Shutdown()
	res, err := http.Get(e.srv.URL + "/_readiness")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || string(b) != "shutting down" {
		t.Errorf("/_readiness during shutdown = %d %q", res.StatusCode, b)
	}
	if res, err = http.Get(e.srv.URL + "/_liveness"); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("/_liveness during shutdown = %d", res.StatusCode)
	}
}

// TestServeDrainsOnCancel runs the service as devstack does: it answers
// until its context ends, then the lifecycle manager drains the HTTP server
// and Serve returns nil.
func TestServeDrainsOnCancel(t *testing.T) {
	url := pgtest.URL(t, migrations.Posthog)
	rdb := redisOrSkip(t)
	cfg := flags.Config{ReadDatabaseURL: url, WriteDatabaseURL: url,
		RedisURL:         fmt.Sprintf("redis://%s/%d", rdb.Options().Addr, redisDB),
		MaxPGConnections: 2, BillingLimiterTTLSecs: 1, DefinitionsCacheSecs: 1, IdleTimeoutSecs: 60}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- flags.Serve(ctx, cfg, ln) }()

	var status int
	var body []byte
	for range 100 {
		res, err := http.Get(base + "/_readiness")
		if err == nil {
			status = res.StatusCode
			body, _ = io.ReadAll(res.Body)
			res.Body.Close()
			if status == http.StatusOK {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if status != http.StatusOK || string(body) != "ready" {
		t.Fatalf("/_readiness before shutdown = %d %q", status, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve after cancel = %v, want nil", err)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
	if res, err := http.Get(base + "/_liveness"); err == nil {
		res.Body.Close()
		t.Fatalf("server still answers after drain: %d", res.StatusCode)
	}
}
