package kafka_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/hoggo/common/kafka"
	"github.com/hoggo/common/kafkatest"
)

func TestHeadersBuildInOrder(t *testing.T) {
	got := kafka.Headers("token", "phc_x", "event", "$pageview", "session_id")
	want := []kgo.RecordHeader{
		{Key: "token", Value: []byte("phc_x")},
		{Key: "event", Value: []byte("$pageview")},
		{Key: "session_id"}, // dangling key: null value
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Headers = %+v", got)
	}
	fromMap := kafka.HeadersFromMap(map[string]string{"uuid": "u", "distinct_id": "d", "token": "t"})
	var keys []string
	for _, h := range fromMap {
		keys = append(keys, h.Key)
	}
	if !reflect.DeepEqual(keys, []string{"distinct_id", "token", "uuid"}) {
		t.Errorf("HeadersFromMap keys = %q, want sorted", keys)
	}
}

func TestHeaderMapSkipsNullAndInvalidUTF8(t *testing.T) {
	hs := []kgo.RecordHeader{
		{Key: "token", Value: []byte("phc_x")},
		kafka.NullHeader("session_id"),
		{Key: "empty", Value: []byte{}},
		{Key: "binary", Value: []byte{0xff, 0xfe}},
		{Key: "dup", Value: []byte("first")},
		{Key: "dup", Value: []byte("second")},
		{Key: "gone", Value: []byte("valid")},
		{Key: "gone", Value: []byte{0xc3}},
	}
	want := map[string]string{"token": "phc_x", "empty": "", "dup": "second"}
	if got := kafka.HeaderMap(hs); !reflect.DeepEqual(got, want) {
		t.Errorf("HeaderMap = %q, want %q", got, want)
	}
	for key, want := range map[string]struct {
		v  string
		ok bool
	}{
		"token": {"phc_x", true}, "empty": {"", true}, "dup": {"second", true},
		"session_id": {"", false}, "binary": {"", false}, "gone": {"", false}, "missing": {"", false},
	} {
		v, ok := kafka.HeaderValue(hs, key)
		if v != want.v || ok != want.ok {
			t.Errorf("HeaderValue(%q) = %q, %v; want %q, %v", key, v, ok, want.v, want.ok)
		}
	}
}

// Null and empty header values stay distinct on the wire.
func TestHeadersRoundTripThroughKafka(t *testing.T) {
	cluster := kafkatest.New(t, "events")
	ctx := context.Background()
	p, err := kafka.NewProducer(ctx, cluster.Config())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	sent := append(kafka.Headers("token", "phc_x", "now", ""), kafka.NullHeader("session_id"))
	if err := p.Produce(ctx, &kgo.Record{Topic: "events", Value: []byte("{}"), Headers: sent})[0]; err != nil {
		t.Fatal(err)
	}
	got := cluster.Consume(t, "events", 1, 5*time.Second)[0].Headers
	if len(got) != 3 {
		t.Fatalf("headers = %+v", got)
	}
	if got[2].Key != "session_id" || got[2].Value != nil {
		t.Errorf("null header came back as %q = %#v", got[2].Key, got[2].Value)
	}
	if got[1].Key != "now" || got[1].Value == nil || len(got[1].Value) != 0 {
		t.Errorf("empty header came back as %q = %#v", got[1].Key, got[1].Value)
	}
	if m := kafka.HeaderMap(got); !reflect.DeepEqual(m, map[string]string{"token": "phc_x", "now": ""}) {
		t.Errorf("HeaderMap = %q", m)
	}
}
