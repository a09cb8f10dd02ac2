package event

import (
	"strings"

	"github.com/hoggo/capture/internal/apierr"
	"github.com/hoggo/capture/internal/payload"
	"github.com/hoggo/common/types"
)

// MaxDistinctIDChars is where distinct_ids are truncated (in characters).
const MaxDistinctIDChars = 200

// DistinctID applies capture's distinct_id rules (spec §4.3): root value
// (or $distinct_id) unless absent/null, else properties.distinct_id; strings
// as-is, other values as compact JSON with sorted object keys; NUL → U+FFFD;
// empty is an error; truncated to 200 characters.
func DistinctID(ev *payload.RawEvent) (string, error) {
	raw := ev.DistinctID
	if raw == nil {
		raw = ev.Props.DistinctID
	}
	if raw == nil {
		return "", apierr.New(apierr.MissingDistinctID, "")
	}
	id, ok := payload.DecodeString(raw)
	if !ok {
		id = stringify(raw)
	}
	if strings.IndexByte(id, 0) >= 0 {
		id = strings.ReplaceAll(id, "\x00", "\uFFFD")
	}
	if id == "" {
		return "", apierr.New(apierr.MissingDistinctID, "")
	}
	return types.TruncateChars(id, MaxDistinctIDChars), nil
}

// stringify renders a non-string JSON value the way serde_json's Value
// Display does: compact, object keys sorted (BTreeMap), numbers as written.
func stringify(raw []byte) string {
	s, err := types.StringifySorted(raw)
	if err != nil {
		return string(raw) // unreachable: raw was validated by the scanner
	}
	return s
}
