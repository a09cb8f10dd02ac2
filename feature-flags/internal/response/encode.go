package response

import (
	"strconv"
	"unicode/utf8"

	"github.com/hoggo/feature-flags/internal/evaluation"
)

// The legacy and v2 bodies are written by hand: they are the hot path of
// every request and reflection-based encoding cost more than evaluation.

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string (invalid UTF-8 becomes U+FFFD).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, "\ufffd"...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

func appendValue(b []byte, r *evaluation.Result) []byte {
	if r.Variant != "" {
		return appendString(b, r.Variant)
	}
	return appendBool(b, r.Enabled)
}

func appendEnvelope(b []byte, env *Envelope) []byte {
	b = append(b, `,"requestId":`...)
	b = appendString(b, env.RequestID)
	b = append(b, `,"evaluatedAt":`...)
	b = strconv.AppendInt(b, env.EvaluatedAt, 10)
	if env.QuotaLimited != nil {
		b = append(b, `,"quotaLimited":[`...)
		for i, q := range env.QuotaLimited {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, q)
		}
		b = append(b, ']')
	}
	return b
}

func encodeLegacy(b []byte, results []evaluation.Result, errs bool, env *Envelope) []byte {
	if b == nil {
		b = make([]byte, 0, 64+len(results)*48)
	}
	b = append(b, `{"errorsWhileComputingFlags":`...)
	b = appendBool(b, errs)
	b = append(b, `,"featureFlags":`...)
	b = appendFlagMap(b, results, false, appendValue)
	b = append(b, `,"featureFlagPayloads":`...)
	b = appendFlagMap(b, results, true, func(b []byte, r *evaluation.Result) []byte { return append(b, r.Payload...) })
	b = appendEnvelope(b, env)
	return append(b, '}')
}

func encodeV2(b []byte, results []evaluation.Result, errs bool, env *Envelope) []byte {
	if b == nil {
		b = make([]byte, 0, 128+len(results)*256)
	}
	b = append(b, `{"errorsWhileComputingFlags":`...)
	b = appendBool(b, errs)
	b = append(b, `,"flags":`...)
	b = appendFlagMap(b, results, false, appendV2Flag)
	b = appendEnvelope(b, env)
	if env.MinimalFlagCalledEvents {
		b = append(b, `,"minimalFlagCalledEvents":true`...)
	}
	return append(b, '}')
}

// appendFlagMap appends a JSON object keyed by flag key with value(r) for
// every evaluated flag (only those with a payload when withPayload).
func appendFlagMap(b []byte, results []evaluation.Result, withPayload bool, value func([]byte, *evaluation.Result) []byte) []byte {
	b = append(b, '{')
	first := true
	for i := range results {
		r := &results[i]
		if r.Flag == nil || withPayload && r.Payload == nil {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, r.Flag.Key)
		b = append(b, ':')
		b = value(b, r)
	}
	return append(b, '}')
}

func appendV2Flag(b []byte, r *evaluation.Result) []byte {
	b = append(b, `{"key":`...)
	b = appendString(b, r.Flag.Key)
	b = append(b, `,"enabled":`...)
	b = appendBool(b, r.Enabled)
	b = append(b, `,"variant":`...)
	if r.Variant != "" {
		b = appendString(b, r.Variant)
	} else {
		b = append(b, "null"...)
	}
	if r.Failed {
		b = append(b, `,"failed":true`...)
	}
	b = append(b, `,"reason":{"code":`...)
	b = appendString(b, r.Reason.Code)
	b = append(b, `,"condition_index":`...)
	if r.Reason.ConditionIndex >= 0 {
		b = strconv.AppendInt(b, int64(r.Reason.ConditionIndex), 10)
	} else {
		b = append(b, "null"...)
	}
	if d := r.Reason.Description(); d != "" {
		b = append(b, `,"description":`...)
		b = appendString(b, d)
	}
	b = append(b, `},"metadata":{"id":`...)
	b = strconv.AppendInt(b, int64(r.Flag.ID), 10)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, int64(r.Flag.VersionOrZero()), 10)
	b = append(b, `,"description":null,"payload":`...)
	if r.Payload != nil {
		b = append(b, r.Payload...)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"has_experiment":`...)
	b = appendBool(b, r.Flag.HasExperiment)
	return append(b, "}}"...)
}
