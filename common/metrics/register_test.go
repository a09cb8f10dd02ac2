package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestRegisterReturnsExisting(t *testing.T) {
	reg := prometheus.NewRegistry()
	a := Register(reg, prometheus.NewCounter(prometheus.CounterOpts{Name: "x_total", Help: "x"}))
	b := Register(reg, prometheus.NewCounter(prometheus.CounterOpts{Name: "x_total", Help: "x"}))
	if a != b {
		t.Fatal("second registration did not return the first collector")
	}
	c := prometheus.NewGauge(prometheus.GaugeOpts{Name: "y", Help: "y"})
	if Register(nil, c) != c {
		t.Fatal("nil registerer")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a clashing collector did not panic")
		}
	}()
	Register(reg, prometheus.NewGauge(prometheus.GaugeOpts{Name: "x_total", Help: "other help"}))
}
