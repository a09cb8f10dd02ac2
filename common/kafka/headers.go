package kafka

import (
	"slices"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Headers builds record headers from key, value pairs, in order:
// Headers("token", "phc_x", "event", "$pageview"). A trailing key without
// a value gets a null value.
func Headers(pairs ...string) []kgo.RecordHeader {
	hs := make([]kgo.RecordHeader, 0, (len(pairs)+1)/2)
	for i := 0; i < len(pairs); i += 2 {
		if i+1 == len(pairs) {
			hs = append(hs, NullHeader(pairs[i]))
			break
		}
		hs = append(hs, kgo.RecordHeader{Key: pairs[i], Value: []byte(pairs[i+1])})
	}
	return hs
}

// HeadersFromMap builds record headers from m, sorted by key so the bytes on
// the wire do not depend on map iteration order.
func HeadersFromMap(m map[string]string) []kgo.RecordHeader {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	hs := make([]kgo.RecordHeader, len(keys))
	for i, k := range keys {
		hs[i] = kgo.RecordHeader{Key: k, Value: []byte(m[k])}
	}
	return hs
}

// NullHeader is a header whose value is Kafka null (length -1 on the wire),
// which the reference writes for absent values of always-present keys.
// An empty string value, by contrast, is a zero-length value.
func NullHeader(key string) kgo.RecordHeader {
	return kgo.RecordHeader{Key: key}
}

// HeaderMap reads headers back as strings, like the reference: null values
// and values that are not valid UTF-8 are left out; for a repeated key the
// last value wins. Callers must treat a missing key as "absent".
func HeaderMap(hs []kgo.RecordHeader) map[string]string {
	m := make(map[string]string, len(hs))
	for _, h := range hs {
		if v, ok := headerString(h); ok {
			m[h.Key] = v
		} else {
			delete(m, h.Key)
		}
	}
	return m
}

// HeaderValue returns the last header named key as a string; ok is false
// when there is none or its value is null or not valid UTF-8.
func HeaderValue(hs []kgo.RecordHeader, key string) (value string, ok bool) {
	for i := len(hs) - 1; i >= 0; i-- {
		if hs[i].Key == key {
			return headerString(hs[i])
		}
	}
	return "", false
}

func headerString(h kgo.RecordHeader) (string, bool) {
	if h.Value == nil || !utf8.Valid(h.Value) {
		return "", false
	}
	return string(h.Value), true
}
