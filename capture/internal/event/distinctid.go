package event

import (
	"encoding/json"
	"slices"
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
	if len(id) > MaxDistinctIDChars {
		id = truncateChars(id, MaxDistinctIDChars)
	}
	return id, nil
}

// stringify renders a non-string JSON value the way serde_json's Value
// Display does: compact, object keys sorted (BTreeMap), numbers as written.
func stringify(raw []byte) string {
	var v any
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return string(raw) // unreachable: raw was validated by the scanner
	}
	return string(appendValue(nil, v))
}

func appendValue(dst []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...)
	case bool:
		if x {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case json.Number:
		return append(dst, x...)
	case string:
		return types.AppendJSONString(dst, x)
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendValue(dst, e)
		}
		return append(dst, ']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = types.AppendJSONString(dst, k)
			dst = append(dst, ':')
			dst = appendValue(dst, x[k])
		}
		return append(dst, '}')
	}
	return dst
}

func truncateChars(s string, n int) string {
	count := 0
	for i := range s {
		if count == n {
			return s[:i]
		}
		count++
	}
	return s
}
