package payload

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

func samples(t *testing.T, o prometheus.Observer) uint64 {
	t.Helper()
	var m dto.Metric
	if err := o.(prometheus.Metric).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetHistogram().GetSampleCount()
}

// The reference's payload metrics move with each outcome of decompress.
func TestDecompressRecordsPayloadMetrics(t *testing.T) {
	raw, full, over := samples(t, rawPayloadSize), samples(t, fullPayloadSize.WithLabelValues("false")),
		samples(t, fullPayloadSize.WithLabelValues("true"))
	ratio := samples(t, gzipRatio)
	gz, none := testutil.ToFloat64(payloadSizeExceeded.WithLabelValues("gzip")), testutil.ToFloat64(payloadSizeExceeded.WithLabelValues("none"))

	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte(strings.Repeat(`{"event":"e"}`, 100)))
	_ = zw.Close()
	if _, err := decompress(buf.Bytes(), CompressionGzip, 1<<20); err != nil {
		t.Fatal(err)
	}
	if _, err := decompress(buf.Bytes(), CompressionGzip, 100); err == nil {
		t.Fatal("gzip over the limit accepted")
	}
	if _, err := decompress([]byte(strings.Repeat("x", 200)), CompressionNone, 100); err == nil {
		t.Fatal("plain payload over the limit accepted")
	}

	if got := samples(t, rawPayloadSize) - raw; got != 3 {
		t.Errorf("raw payload samples +%d, want 3", got)
	}
	if got := samples(t, fullPayloadSize.WithLabelValues("false")) - full; got != 1 {
		t.Errorf("full payload samples +%d, want 1", got)
	}
	if got := samples(t, fullPayloadSize.WithLabelValues("true")) - over; got != 2 {
		t.Errorf("oversize samples +%d, want 2", got)
	}
	if got := samples(t, gzipRatio) - ratio; got != 1 {
		t.Errorf("gzip ratio samples +%d, want 1", got)
	}
	if testutil.ToFloat64(payloadSizeExceeded.WithLabelValues("gzip"))-gz != 1 || testutil.ToFloat64(payloadSizeExceeded.WithLabelValues("none"))-none != 1 {
		t.Error("capture_payload_size_exceeded did not count one gzip and one plain payload")
	}
}
