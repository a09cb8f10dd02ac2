// Package hash implements PostHog's "sha1_60_v1" bucketing hash: the top 60
// bits of SHA-1(prefix + identifier + salt) scaled into [0, 1].
package hash

import (
	"crypto/sha1"
	"encoding/binary"
)

// MaxIdentifierRunes is how many Unicode scalar values of an identifier take
// part in hashing; longer identifiers are truncated first.
const MaxIdentifierRunes = 200

// scale is float64(0xFFFFFFFFFFFFFFF), which rounds to exactly 2^60. Dividing
// the rounded n by it (one binary64 division) is the contract; exact rational
// division differs in the last bit for some inputs.
const scale = float64(0xFFFFFFFFFFFFFFF)

// Sum returns the sha1_60_v1 hash of prefix+identifier+salt in [0, 1].
// identifier is truncated to MaxIdentifierRunes scalar values.
func Sum(prefix, identifier, salt string) float64 {
	identifier = Truncate(identifier)
	var buf [512]byte
	b := buf[:0]
	b = append(b, prefix...)
	b = append(b, identifier...)
	b = append(b, salt...)
	d := sha1.Sum(b)
	n := binary.BigEndian.Uint64(d[:8]) >> 4
	return float64(n) / scale
}

// Truncate cuts s to its first MaxIdentifierRunes Unicode scalar values.
func Truncate(s string) string {
	if len(s) <= MaxIdentifierRunes {
		return s
	}
	n := 0
	for i := range s {
		if n == MaxIdentifierRunes {
			return s[:i]
		}
		n++
	}
	return s
}

// Rollout is the bucket of identifier for flag key's rollout check. The v1
// reference short-circuits an empty identifier to 0.0 (always included).
func Rollout(flagKey, identifier string) float64 {
	if identifier == "" {
		return 0
	}
	return flagHash(flagKey, identifier, "")
}

// Variant is the bucket of identifier for choosing flag key's variant; an
// empty identifier is 0.0 as in Rollout.
func Variant(flagKey, identifier string) float64 {
	if identifier == "" {
		return 0
	}
	return flagHash(flagKey, identifier, "variant")
}

// Holdout is the bucket of identifier for holdout membership. The prefix does
// not include the flag key, so membership is shared by every flag of a holdout;
// an empty identifier hashes normally.
func Holdout(identifier string) float64 {
	return Sum("holdout-", identifier, "")
}

func flagHash(flagKey, identifier, salt string) float64 {
	identifier = Truncate(identifier)
	var buf [512]byte
	b := buf[:0]
	b = append(b, flagKey...)
	b = append(b, '.')
	b = append(b, identifier...)
	b = append(b, salt...)
	d := sha1.Sum(b)
	n := binary.BigEndian.Uint64(d[:8]) >> 4
	return float64(n) / scale
}

// Included reports whether bucket h falls inside rolloutPercentage (0-100);
// 100 includes everyone without looking at h.
func Included(h, rolloutPercentage float64) bool {
	if rolloutPercentage == 100 {
		return true
	}
	return h <= rolloutPercentage/100
}
