package analyticsv1

import (
	"strings"
	"time"
)

// parseRFC3339 parses an RFC 3339 timestamp strictly, as chrono's
// parse_from_rfc3339 does: YYYY-MM-DD, "T" (either case), hh:mm:ss, an
// optional "." fraction, then "Z" or ±hh:mm. time.Parse alone is more
// lenient (one-digit hours, "," fractions).
func parseRFC3339(s string) (time.Time, bool) {
	if len(s) < 20 {
		return time.Time{}, false
	}
	digits := func(from, to int) bool {
		for i := from; i < to; i++ {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
		return true
	}
	if !digits(0, 4) || s[4] != '-' || !digits(5, 7) || s[7] != '-' || !digits(8, 10) ||
		(s[10] != 'T' && s[10] != 't') || !digits(11, 13) || s[13] != ':' || !digits(14, 16) || s[16] != ':' || !digits(17, 19) {
		return time.Time{}, false
	}
	i := 19
	if s[i] == '.' {
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i+1 {
			return time.Time{}, false
		}
		i = j
	}
	switch zone := s[i:]; {
	case zone == "Z" || zone == "z":
	case len(zone) == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':' && digits(i+1, i+3) && digits(i+4, i+6):
	default:
		return time.Time{}, false
	}
	norm := s
	if s[10] == 't' || strings.HasSuffix(s, "z") {
		norm = strings.ToUpper(s)
	}
	t, err := time.Parse(time.RFC3339Nano, norm)
	return t, err == nil
}

// inRange clamps instants outside years 0..9999 (which RFC 3339 cannot
// write) to the epoch, like v0's timestamp computation.
func inRange(t time.Time) time.Time {
	if y := t.Year(); y < 0 || y > 9999 {
		return time.Unix(0, 0).UTC()
	}
	return t
}
