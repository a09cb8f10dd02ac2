package sink

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/pierrec/lz4/v4"
)

// Envelope is the application-level wrapping of replay payloads
// (KAFKA_REPLAY_ENVELOPE_COMPRESSION), independent of the broker-level
// compression codec. Records that carry one have a content-encoding header,
// so wrapped and plain messages can share a topic during a rollout.
type Envelope int

const (
	// EnvelopeNone produces the JSON as it is.
	EnvelopeNone Envelope = iota
	// EnvelopeLZ4 is the reference's replay block envelope: the payload's
	// length as a 4-byte little-endian integer, then one LZ4 block.
	EnvelopeLZ4
)

// ParseEnvelope reads "none" or "lz4" (trimmed, any case).
func ParseEnvelope(s string) (Envelope, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "none":
		return EnvelopeNone, nil
	case "lz4":
		return EnvelopeLZ4, nil
	}
	return EnvelopeNone, fmt.Errorf("unknown envelope compression %q (want none or lz4)", s)
}

// ContentEncoding is the content-encoding header value of wrapped records,
// "" when the payload is not wrapped.
func (e Envelope) ContentEncoding() string {
	if e == EnvelopeLZ4 {
		return "lz4"
	}
	return ""
}

// compressors hold the C-compatible LZ4 block compressors: the reference
// calls liblz4's LZ4_compress_default, and CompressorCCompat produces the
// same bytes, so a consumer sees identical records from either capture.
var compressors = sync.Pool{New: func() any { return new(lz4.CompressorCCompat) }}

// Wrap returns payload in the envelope.
func (e Envelope) Wrap(payload []byte) ([]byte, error) {
	if e != EnvelopeLZ4 {
		return payload, nil
	}
	if len(payload) == 0 || uint64(len(payload)) > uint64(^uint32(0)) {
		return nil, fmt.Errorf("lz4 envelope: payload of %d bytes", len(payload))
	}
	out := make([]byte, 4+lz4.CompressBlockBound(len(payload)))
	binary.LittleEndian.PutUint32(out, uint32(len(payload)))
	c := compressors.Get().(*lz4.CompressorCCompat)
	n, err := c.CompressBlock(payload, out[4:])
	compressors.Put(c)
	if err == nil && n == 0 {
		err = errors.New("no output")
	}
	if err != nil {
		return nil, fmt.Errorf("lz4 envelope: compress %d bytes: %w", len(payload), err)
	}
	return out[:4+n], nil
}
