package kafka

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// DefaultHealthInterval is how often a client's liveness callback fires
// while a broker answers, like librdkafka's statistics.interval.ms=10000 that
// drives the reference's liveness.
const DefaultHealthInterval = 10 * time.Second

// brokerActivity remembers when a broker last answered. It is a kgo hook:
// every successful response read from any broker counts. The reference's
// statistics callback fires even when every broker is down; this does not.
type brokerActivity struct {
	last atomic.Int64 // unix nanoseconds of the last successful read
}

var _ kgo.HookBrokerRead = (*brokerActivity)(nil)

func (a *brokerActivity) OnBrokerRead(_ kgo.BrokerMetadata, _ int16, _ int, _, _ time.Duration, err error) {
	if err == nil {
		a.last.Store(time.Now().UnixNano())
	}
}

// heardWithin reports whether a broker answered within d.
func (a *brokerActivity) heardWithin(d time.Duration) bool {
	last := a.last.Load()
	return last != 0 && time.Since(time.Unix(0, last)) < d
}

// watch runs until ctx is done: every interval it pings the cluster when no
// broker answered since the last tick (an idle client reads nothing for
// minutes), then calls onHealthy if a broker answered within the window.
func (a *brokerActivity) watch(ctx context.Context, cl *kgo.Client, interval time.Duration, onHealthy func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !a.heardWithin(interval) {
			pctx, cancel := context.WithTimeout(ctx, interval)
			_ = cl.Ping(pctx) // a success is recorded by the hook
			cancel()
		}
		if onHealthy != nil && a.heardWithin(healthWindow(interval)) {
			onHealthy()
		}
	}
}

// healthWindow is how long after the last broker answer a client still
// counts as healthy: three missed ticks.
func healthWindow(interval time.Duration) time.Duration { return 3 * interval }
