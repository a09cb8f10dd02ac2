package kafka_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/hoggo/common/kafka"
)

// BenchmarkProducer measures Produce throughput of 1 KiB keyed records to a
// 12-partition topic on an in-process kfake broker over loopback TCP. The
// broker acknowledges without storing (BlackholeProduce), so memory stays
// flat and the figure is the client's cost, not kfake's log. Produce waits
// for acks, so with the default 20 ms linger a caller's round trip is at
// least the linger: throughput is concurrency x records per call / linger.
// linger=0ms shows what the client and broker can move.
//
//   - batch1000: one goroutine, Produce with 1000 records per call.
//   - parallel: 64 goroutines per core, one record per Produce call, the
//     shape of an HTTP handler producing each request's events.
func BenchmarkProducer(b *testing.B) {
	kc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(12, "bench"), kfake.BlackholeProduce())
	if err != nil {
		b.Fatal(err)
	}
	defer kc.Close()
	value := make([]byte, 1024)
	_, _ = rand.Read(value)
	keys := make([][]byte, 1000)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "phc_token:user-%d", i)
	}

	for _, linger := range []int{20, 0} {
		cfg := kafka.DefaultConfig()
		cfg.Hosts = kc.ListenAddrs()[0]
		cfg.ProducerLingerMs = linger
		p, err := kafka.NewProducer(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("linger=%dms", linger), func(b *testing.B) { benchProduce(b, p, keys, value) })
		p.Close()
	}
}

func benchProduce(b *testing.B, p *kafka.Producer, keys [][]byte, value []byte) {
	const topic = "bench"
	ctx := context.Background()
	b.Run("batch1000", func(b *testing.B) {
		b.SetBytes(1024)
		b.ReportAllocs()
		recs := make([]*kgo.Record, 0, 1000)
		for i := 0; i < b.N; {
			recs = recs[:0]
			for j := 0; j < 1000 && i < b.N; j, i = j+1, i+1 {
				recs = append(recs, &kgo.Record{Topic: topic, Key: keys[i%len(keys)], Value: value})
			}
			if err := errors.Join(p.Produce(ctx, recs...)...); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	})

	b.Run("parallel", func(b *testing.B) {
		b.SetBytes(1024)
		b.ReportAllocs()
		b.SetParallelism(64)
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				i++
				rec := &kgo.Record{Topic: topic, Key: keys[i%len(keys)], Value: value}
				if err := p.Produce(ctx, rec)[0]; err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	})
}
