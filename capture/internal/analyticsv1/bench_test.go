package analyticsv1

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// benchBatch is a 50-event batch of realistic browser pageviews (about
// 1 KiB of properties each, posthog-js style).
func benchBatch() []byte {
	var events []string
	for i := range 50 {
		props := fmt.Sprintf(`{"$os":"Mac OS X","$os_version":"10.15.7","$browser":"Chrome","$device_type":"Desktop",`+
			`"$current_url":"https://app.example.com/project/1/insights/%d?filter=abc","$host":"app.example.com","$pathname":"/project/1/insights/%d",`+
			`"$raw_user_agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",`+
			`"$browser_version":120,"$browser_language":"en-US","$screen_height":1117,"$screen_width":1728,"$viewport_height":992,"$viewport_width":1728,`+
			`"$lib":"web","$lib_version":"1.100.0","$insert_id":"kx0x3qmhcmy%04d","$time":1710858598.123,"$device_id":"018e5a40-5f0c-7a5b-8d6b-5c8f3c0e1d2a",`+
			`"$referrer":"https://www.google.com/","$referring_domain":"www.google.com","$active_feature_flags":["flag-a","flag-b","beta-feature"],`+
			`"$feature/flag-a":true,"$feature/flag-b":"variant-1","$feature/beta-feature":false,"title":"Insights \u2022 PostHog",`+
			`"$set":{"$browser":"Chrome","$os":"Mac OS X"},"$set_once":{"$initial_referrer":"$direct"},"token":"phc_x","$pageview_id":"p-%d"}`, i, i, i, i)
		events = append(events, ev(uuidN(i+1), "$pageview", fmt.Sprintf("user-%d", i%7),
			`,"session_id":"01jq9abc-def0-1234-5678-9abcdef01234","window_id":"01jq9abc-def0-1234-5678-000000000001","options":{"process_person_profile":true},"properties":`+props))
	}
	return batchBody(events...)
}

// BenchmarkDecodeAndSerialize is the v1 CPU path for one request: decode
// the 50-event batch, validate, serialise every CapturedEvent record and
// build the response JSON. Bytes are the uncompressed body.
func BenchmarkDecodeAndSerialize(b *testing.B) {
	body := benchBatch()
	ctx := &requestContext{token: testToken, clientIP: "203.0.113.7", lib: "posthog-go", libVersion: "1.24.4",
		clientTimestamp: testNow.Add(2 * time.Second), serverReceivedAt: testNow}
	h := NewHandler(Options{Topics: testTopics})
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		batch, err := DecodeBatch(body)
		if err != nil {
			b.Fatal(err)
		}
		events, e := validateBatch(batch, ctx)
		if e != nil {
			b.Fatal(e)
		}
		recs, _ := h.serialize(events, batch, ctx)
		if len(recs) != 50 {
			b.Fatalf("%d records", len(recs))
		}
		_ = newResults(events).appendJSON(nil)
	}
}

// BenchmarkDecodeGzip50 adds gzip decompression of the same batch.
func BenchmarkDecodeGzip50(b *testing.B) {
	plain := benchBatch()
	gz := compressGzip(plain)
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	for b.Loop() {
		out, e := decompress(encodingGzip, gz, DefaultMaxDecompressedBodyBytes)
		if e != nil || len(out) != len(plain) {
			b.Fatal(e)
		}
		if _, err := DecodeBatch(out); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBenchBatchIsValid(t *testing.T) {
	b, err := DecodeBatch(benchBatch())
	if err != nil || len(b.Events) != 50 || !strings.HasPrefix(string(b.Events[0].Properties), `{"$os"`) {
		t.Fatalf("%v", err)
	}
}
