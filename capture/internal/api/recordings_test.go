package api

import (
	"strings"
	"testing"

	"github.com/hoggo/capture/internal/limits"
)

// fakeSet is a fixed LimitedSet.
type fakeSet map[string]bool

func (f fakeSet) IsLimited(m string) bool { return f[m] }

func TestRecordingsFoldIntoOneMessage(t *testing.T) {
	env := newEnv(t, envOpts{mode: ModeRecordings, now: fixedClock})
	body := fixture(t, "single_replay_event_payload.json")
	r := env.do("POST", "/s/", body, map[string]string{"User-Agent": "posthog-android/3.1.0"})
	if r.status != 200 || r.body != `{"status":"Ok"}` {
		t.Fatalf("%d %s", r.status, r.body)
	}
	rec := env.consume(testTopics.Replay, 1)[0]
	v := decodeValue(t, rec)
	data := decodeData(t, v)
	props := data["properties"].(map[string]any)
	if data["event"] != "$snapshot_items" || v["event"] != "$snapshot_items" {
		t.Errorf("event %v / %v", data["event"], v["event"])
	}
	sid := props["$session_id"].(string)
	if string(rec.Key) != sid || sid == "" {
		t.Errorf("key %q, session %q", rec.Key, sid)
	}
	if items := props["$snapshot_items"].([]any); len(items) != 22 {
		t.Errorf("%d snapshot items, want 22", len(items))
	}
	if props["$snapshot_source"] != "web" || props["$window_id"] == nil || props["distinct_id"] != v["distinct_id"] {
		t.Errorf("properties %v", props)
	}
	if h, _ := header(rec, "event"); h != "$snapshot_items" {
		t.Errorf("event header %q", h)
	}
	if h, _ := header(rec, "session_id"); h != sid {
		t.Errorf("session_id header %q", h)
	}
	// Several events fold into one message, items appended in order.
	multi := `[{"event":"$snapshot","properties":{"token":"t","distinct_id":"d","$session_id":"s-1","$snapshot_data":[{"a":1},{"a":2}]}},
		{"event":"$snapshot","properties":{"token":"t","distinct_id":"d","$session_id":"s-1","$snapshot_data":{"a":3}}}]`
	if r := env.do("POST", "/s", []byte(multi), nil); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	rec = env.consume(testTopics.Replay, 2)[1]
	props = decodeData(t, decodeValue(t, rec))["properties"].(map[string]any)
	if n := len(props["$snapshot_items"].([]any)); n != 3 {
		t.Errorf("%d items, want 3", n)
	}
	if props["$lib"] != "web" || props["$window_id"] != "s-1" { // Go-http-client UA: not a PostHog SDK
		t.Errorf("defaults: lib %v window %v", props["$lib"], props["$window_id"])
	}
}

func TestRecordingsErrors(t *testing.T) {
	env := newEnv(t, envOpts{mode: ModeRecordings, now: fixedClock})
	ev := func(props string) []byte {
		return []byte(`{"event":"$snapshot","properties":{"token":"t","distinct_id":"d"` + props + `}}`)
	}
	cases := map[string]struct {
		body   []byte
		status int
		code   string
	}{
		"no session":      {ev(`,"$snapshot_data":[]`), 400, "missing_session_id"},
		"numeric session": {ev(`,"$session_id":5,"$snapshot_data":[]`), 400, "invalid_session_id"},
		"bad chars":       {ev(`,"$session_id":"a b","$snapshot_data":[]`), 400, "invalid_session_id"},
		"too long":        {ev(`,"$session_id":"` + strings.Repeat("a", 71) + `","$snapshot_data":[]`), 400, "invalid_session_id"},
		"no data":         {ev(`,"$session_id":"s"`), 400, "missing_snapshot_data"},
		"string data":     {ev(`,"$session_id":"s","$snapshot_data":"x"`), 400, "missing_snapshot_data"},
		"no token":        {[]byte(`{"event":"$snapshot","properties":{"distinct_id":"d","$session_id":"s","$snapshot_data":[]}}`), 401, "ingest_key_required"},
	}
	for name, c := range cases {
		r := env.do("POST", "/s", c.body, nil)
		if r.status != c.status || !strings.Contains(r.body, `"code":"`+c.code+`"`) {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	if n := env.count(testTopics.Replay); n != 0 {
		t.Errorf("%d messages produced", n)
	}
	if r := env.do("POST", "/e", ev(""), nil); r.status != 404 {
		t.Errorf("/e in recordings mode: %d", r.status)
	}
}

func TestRecordingsQuotaAndOverflow(t *testing.T) {
	pol := &limits.Policies{
		Quota:          &limits.Quota{Resource: "recordings", Global: fakeSet{"limited": true}},
		ReplayOverflow: fakeSet{"hot-session": true},
	}
	env := newEnv(t, envOpts{mode: ModeRecordings, now: fixedClock, policies: pol})
	ev := func(tok, sid string) []byte {
		return []byte(`{"event":"$snapshot","properties":{"token":"` + tok + `","distinct_id":"d","$session_id":"` + sid + `","$snapshot_data":[{"x":1}]}}`)
	}
	r := env.do("POST", "/s", ev("limited", "s1"), nil)
	if r.status != 200 || r.body != `{"status":"Ok","quota_limited":["recordings"]}` {
		t.Fatalf("quota limited: %d %s", r.status, r.body)
	}
	if r := env.do("POST", "/s", ev("ok", "hot-session"), nil); r.status != 200 {
		t.Fatal(r.status)
	}
	rec := env.consume(testTopics.ReplayOverflow, 1)[0]
	if string(rec.Key) != "hot-session" {
		t.Errorf("overflow key %q", rec.Key)
	}
	if n := env.count(testTopics.Replay); n != 0 {
		t.Errorf("replay main holds %d", n)
	}
}

func TestAnalyticsBillingLimits(t *testing.T) {
	pol := &limits.Policies{Quota: &limits.Quota{
		Resource: "events",
		Global:   fakeSet{"over": true, "both": true},
		Scoped:   limits.ScopedDefaults(fakeSet{"exc": true, "both": true}, fakeSet{}, fakeSet{}),
	}}
	env := newEnv(t, envOpts{now: fixedClock, policies: pol})
	batch := func(tok string) []byte {
		return []byte(`[{"token":"` + tok + `","event":"$pageview","distinct_id":"d"},{"token":"` + tok + `","event":"$exception","distinct_id":"d"}]`)
	}
	for _, tok := range []string{"over", "exc", "both", "fine"} {
		if r := env.post("/e", batch(tok), ""); r.status != 200 || r.body != `{"status":"Ok"}` {
			t.Fatalf("%s: %d %s", tok, r.status, r.body)
		}
	}
	// over: events quota hit, exceptions survive. exc: exceptions dropped.
	// both: everything dropped. fine: everything kept.
	main := env.consume(testTopics.Main, 2)
	for _, r := range main {
		if tok := decodeValue(t, r)["token"]; tok != "exc" && tok != "fine" {
			t.Errorf("main has %v", tok)
		}
	}
	exc := env.consume(testTopics.Exceptions, 2)
	for _, r := range exc {
		if tok := decodeValue(t, r)["token"]; tok != "over" && tok != "fine" {
			t.Errorf("exceptions has %v", tok)
		}
	}
	if env.count(testTopics.Main) != 2 || env.count(testTopics.Exceptions) != 2 {
		t.Error("limited events were produced")
	}
}
