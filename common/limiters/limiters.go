// Package limiters holds the drop/limit policies shared by capture,
// feature-flags and cymbal (rust/common/limiters): billing quota sets kept in
// Redis sorted sets and cached in memory, capture's per-key overflow limiter
// and the token dropper.
package limiters

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// Option tunes a limiter.
type Option func(*options)

type options struct {
	service    string
	registerer prometheus.Registerer
	logger     *slog.Logger
}

func buildOptions(opts []Option) options {
	o := options{registerer: prometheus.DefaultRegisterer, logger: slog.Default()}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// WithService names the service for metric names such as
// <service>_billing_limits_loaded_tokens (e.g. "capture"). Without it the
// quota limiter exports no gauge.
func WithService(name string) Option { return func(o *options) { o.service = name } }

// WithRegisterer registers the limiter's metrics there instead of the default registry.
func WithRegisterer(r prometheus.Registerer) Option { return func(o *options) { o.registerer = r } }

// WithLogger sets the logger for refresh failures.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }
