package kafka_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/hoggo/common/kafka"
	"github.com/hoggo/common/kafkatest"
)

// A service config embeds kafka.Config (KAFKA_HOSTS, KAFKA_PRODUCER_LINGER_MS, ...)
// and parses it with caarlos0/env; here the cluster is an in-process one
// (tests use kafkatest.New(t, topics...) instead).
func Example() {
	cluster, err := kafkatest.Start(kafkatest.Options{Port: -1, Topics: []string{"input", "output"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cluster.Close()
	cfg := cluster.Config()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// Producer: keyed records land on murmur2(key) partitions; Produce waits
	// for every ack and returns one error per record, in order.
	producer, err := kafka.NewProducer(ctx, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer producer.Close()
	errs := producer.Produce(ctx,
		&kgo.Record{Topic: "input", Key: []byte("phc_token:user-1"), Value: []byte(`{"event":"a"}`),
			Headers: kafka.Headers("token", "phc_token", "distinct_id", "user-1")},
		&kgo.Record{Topic: "input", Key: []byte("phc_token:user-2"), Value: []byte(`{"event":"b"}`)},
	)
	if err := errors.Join(errs...); err != nil {
		fmt.Println(err)
		return
	}

	// Consumer: the handler forwards each batch and returns only after the
	// output is acknowledged; the offsets are committed after that.
	forwarded := 0
	handler := func(ctx context.Context, recs []*kgo.Record) error {
		out := make([]*kgo.Record, len(recs))
		for i, r := range recs {
			token, _ := kafka.HeaderValue(r.Headers, "token")
			fmt.Printf("%s token=%q\n", r.Value, token)
			out[i] = &kgo.Record{Topic: "output", Key: r.Key, Value: r.Value}
		}
		if err := errors.Join(producer.Produce(ctx, out...)...); err != nil {
			return err // not committed; the batch is retried
		}
		if forwarded += len(recs); forwarded == 2 {
			cancel() // graceful shutdown: commit, leave the group
		}
		return nil
	}
	consumer, err := kafka.NewConsumer(ctx, cfg,
		kafka.ConsumerConfig{Group: "example", Topic: "input", OffsetReset: "earliest"}, handler)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := consumer.Run(ctx); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {"event":"a"} token="phc_token"
	// {"event":"b"} token=""
}
