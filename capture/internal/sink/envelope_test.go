package sink

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pierrec/lz4/v4"

	"github.com/hoggo/capture/internal/event"
	"github.com/hoggo/common/kafka"
	"github.com/hoggo/common/kafkatest"
	"github.com/hoggo/common/types"
)

// The .block files were made by the C reference (lz4 v1.9.4, `lz4 -l -1`:
// the legacy frame holds one LZ4_compress_default block per 8 MiB), the
// library the Rust capture calls; the envelope must carry the same bytes.
func TestLZ4EnvelopeMatchesLiblz4(t *testing.T) {
	for _, name := range []string{"replay.json", "short.json", "random.bin"} {
		t.Run(name, func(t *testing.T) {
			payload, err := os.ReadFile(filepath.Join("testdata", "lz4", name))
			if err != nil {
				t.Fatal(err)
			}
			block, err := os.ReadFile(filepath.Join("testdata", "lz4", name+".block"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := EnvelopeLZ4.Wrap(payload)
			if err != nil {
				t.Fatal(err)
			}
			if size := binary.LittleEndian.Uint32(got); int(size) != len(payload) {
				t.Errorf("size prefix %d, want %d", size, len(payload))
			}
			if !bytes.Equal(got[4:], block) {
				t.Errorf("block differs from liblz4's: %d bytes vs %d", len(got)-4, len(block))
			}
			back := make([]byte, len(payload))
			n, err := lz4.UncompressBlock(got[4:], back)
			if err != nil || !bytes.Equal(back[:n], payload) {
				t.Fatalf("round trip: %v", err)
			}
		})
	}
}

func TestEnvelopeNonePassesThrough(t *testing.T) {
	p := []byte(`{"event":"test"}`)
	got, err := EnvelopeNone.Wrap(p)
	if err != nil || !bytes.Equal(got, p) {
		t.Fatalf("got %q, %v", got, err)
	}
	if EnvelopeNone.ContentEncoding() != "" || EnvelopeLZ4.ContentEncoding() != "lz4" {
		t.Error("content encodings")
	}
	if _, err := EnvelopeLZ4.Wrap(nil); err == nil {
		t.Error("empty payload wrapped")
	}
}

func TestParseEnvelope(t *testing.T) {
	for in, want := range map[string]Envelope{"none": EnvelopeNone, "LZ4": EnvelopeLZ4, " lz4 ": EnvelopeLZ4, "None": EnvelopeNone} {
		if got, err := ParseEnvelope(in); err != nil || got != want {
			t.Errorf("ParseEnvelope(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"gzip", "", "lz4f"} {
		if _, err := ParseEnvelope(in); err == nil {
			t.Errorf("ParseEnvelope(%q) accepted", in)
		}
	}
}

// A replay record through the Kafka sink with the lz4 envelope: the value
// unwraps to the plain CapturedEvent JSON, content-encoding comes after the
// event's own headers (types.CapturedEventHeaders order), and analytics
// records on the same sink stay plain.
func TestKafkaSinkWrapsReplayRecords(t *testing.T) {
	cluster := kafkatest.New(t, topics.Replay, topics.Main)
	producer, err := kafka.NewProducer(context.Background(), cluster.Config())
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	k := NewKafka(producer, topics).WithReplayEnvelope(EnvelopeLZ4)

	sid := "sess-1"
	replay := Message{DataType: event.SnapshotMain, Event: types.CapturedEvent{Token: "t", DistinctID: "d",
		Event: "$snapshot_items", SessionID: &sid, Data: `{"event":"$snapshot_items","properties":{"$snapshot_items":[]}}`}}
	plain := Message{DataType: event.AnalyticsMain, Event: types.CapturedEvent{Token: "t", DistinctID: "d", Event: "e", Data: `{"event":"e"}`}}
	if err := k.Send(context.Background(), []Message{replay, plain}); err != nil {
		t.Fatal(err)
	}

	rec := cluster.Consume(t, topics.Replay, 1, 10*time.Second)[0]
	size := binary.LittleEndian.Uint32(rec.Value)
	back := make([]byte, size)
	n, err := lz4.UncompressBlock(rec.Value[4:], back)
	if err != nil {
		t.Fatalf("unwrap: %v", err)
	}
	if want := replay.Event.AppendJSON(nil); !bytes.Equal(back[:n], want) {
		t.Errorf("unwrapped value\n%s\nwant\n%s", back[:n], want)
	}
	h := replay.Event.ToHeaders()
	enc := "lz4"
	h.ContentEncoding = &enc
	want := h.ToKafka()
	if len(rec.Headers) != len(want) {
		t.Fatalf("headers %v, want %v", rec.Headers, want)
	}
	for i := range want {
		if rec.Headers[i].Key != want[i].Key || !bytes.Equal(rec.Headers[i].Value, want[i].Value) {
			t.Errorf("header %d = %s=%s, want %s=%s", i, rec.Headers[i].Key, rec.Headers[i].Value, want[i].Key, want[i].Value)
		}
	}

	main := cluster.Consume(t, topics.Main, 1, 10*time.Second)[0]
	if !bytes.Equal(main.Value, plain.Event.AppendJSON(nil)) {
		t.Errorf("analytics record changed: %s", main.Value)
	}
	for _, hd := range main.Headers {
		if hd.Key == "content-encoding" {
			t.Error("analytics record has a content-encoding header")
		}
	}
}
