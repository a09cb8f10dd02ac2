package kafkatest_test

import (
	"context"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/hoggo/common/kafka"
	"github.com/hoggo/common/kafkatest"
)

func topicPartitions(t *testing.T, addr string) map[string]int {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	details, err := kadm.NewClient(cl).ListTopics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]int)
	for name, d := range details {
		out[name] = len(d.Partitions)
	}
	return out
}

func TestNewPreCreatesTopicsOnLoopback(t *testing.T) {
	c := kafkatest.New(t, "a", "b")
	host, _, err := net.SplitHostPort(c.Addr())
	if err != nil || host != "127.0.0.1" {
		t.Fatalf("Addr() = %q, want 127.0.0.1:<port>", c.Addr())
	}
	if got := topicPartitions(t, c.Addr()); got["a"] != 1 || got["b"] != 1 {
		t.Errorf("topics = %v, want a and b with one partition", got)
	}
	if c.Config().Hosts != c.Addr() {
		t.Errorf("Config().Hosts = %q", c.Config().Hosts)
	}

	c2 := kafkatest.NewWithOptions(t, kafkatest.Options{Topics: []string{"wide"}, Partitions: 12, Brokers: 3})
	if got := topicPartitions(t, c2.Addr()); got["wide"] != 12 {
		t.Errorf("wide has %d partitions, want 12", got["wide"])
	}
	if len(c2.Addrs()) != 3 {
		t.Errorf("Addrs() = %v, want 3 brokers", c2.Addrs())
	}
	if err := c2.CreateTopic(context.Background(), "later", 4); err != nil {
		t.Fatal(err)
	}
	if got := topicPartitions(t, c2.Addr()); got["later"] != 4 {
		t.Errorf("later has %d partitions, want 4", got["later"])
	}
}

func TestProduceAndConsume(t *testing.T) {
	c := kafkatest.New(t, "events")
	c.Produce(t, "events", []byte("k"), []byte("one"), kafka.Headers("token", "phc_x")...)
	c.Produce(t, "events", nil, []byte("two"))
	got := c.Consume(t, "events", 2, 5*time.Second)
	if len(got) != 2 || string(got[0].Value) != "one" || string(got[1].Value) != "two" {
		t.Fatalf("consumed %v", got)
	}
	if string(got[0].Key) != "k" || got[1].Key != nil {
		t.Errorf("keys = %q, %q", got[0].Key, got[1].Key)
	}
	if v, ok := kafka.HeaderValue(got[0].Headers, "token"); !ok || v != "phc_x" {
		t.Errorf("token header = %q, %v", v, ok)
	}
	// Every Consume starts from the beginning.
	if again := c.Consume(t, "events", 1, 5*time.Second); string(again[0].Value) != "one" {
		t.Errorf("second Consume started at %q", again[0].Value)
	}
	// Asking for more than there is times out with a clear error.
	_, err := c.ConsumeN(context.Background(), "events", 3, 200*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "got 2 of 3 records") {
		t.Errorf("err = %v", err)
	}
}

func TestStartOnFixedPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	c, err := kafkatest.Start(kafkatest.Options{Port: port, Topics: kafkatest.DevTopics(), Partitions: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if want := ln.Addr().String(); c.Addr() != want {
		t.Errorf("Addr() = %q, want %q", c.Addr(), want)
	}
	got := topicPartitions(t, c.Addr())
	for _, topic := range []string{"events_plugin_ingestion", "clickhouse_events_json", "clickhouse_app_metrics2"} {
		if got[topic] != 2 {
			t.Errorf("%s has %d partitions, want 2", topic, got[topic])
		}
	}
	names := kafkatest.DevTopics()
	slices.Sort(names)
	if len(slices.Compact(names)) != len(kafkatest.DevTopics()) {
		t.Error("DevTopics has duplicates")
	}
}
