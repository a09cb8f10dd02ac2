package payload

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// payloadSizes are the reference's buckets for payload size histograms
// (1 KB … 20 MB, the analytics cut-off).
var payloadSizes = []float64{1024, 5120, 10240, 51200, 102400, 1048576, 10485760, 20971520}

// The reference's payload metrics (payload/decompression.rs).
var (
	rawPayloadSize = promauto.NewHistogram(prometheus.HistogramOpts{
		Name: "capture_raw_payload_size", Help: "Size of the payload before decompression, bytes.",
		Buckets: payloadSizes,
	})
	fullPayloadSize = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "capture_full_payload_size",
		Help:    "Size of the decompressed payload, bytes; oversize=true for payloads over the limit (recorded at the limit).",
		Buckets: payloadSizes,
	}, []string{"oversize"})
	payloadSizeExceeded = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "capture_payload_size_exceeded", Help: "Payloads rejected for exceeding the size limit, by kind (gzip, none).",
	}, []string{"kind"})
	gzipRatio = promauto.NewHistogram(prometheus.HistogramOpts{
		Name: "capture_gzip_decompression_ratio", Help: "Decompressed size over compressed size of gzip payloads.",
		Buckets: []float64{1, 2, 3, 5, 10, 20, 50, 100, 200},
	})
)
