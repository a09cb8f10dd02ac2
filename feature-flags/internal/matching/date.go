package matching

import (
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var relativeDate = regexp.MustCompile(`^-?([0-9]+)([hdwmy])$`)

// relativeDateMatch runs the relative-date regexp only on short strings
// ending in a unit letter, the cheap reject for absolute dates.
func relativeDateMatch(s string) []string {
	if len(s) < 2 || len(s) > 7 || strings.IndexByte("hdwmy", s[len(s)-1]) < 0 {
		return nil
	}
	return relativeDate.FindStringSubmatch(s)
}

// IsRelativeDate reports whether s is a relative date filter ("-7d").
func IsRelativeDate(s string) bool { return relativeDateMatch(s) != nil }

// ParseDate parses a date filter value: a relative date ("-7d", "3m",
// anchored to now on the team-timezone wall clock), RFC 3339 with an offset,
// "YYYY-MM-DD" (midnight in tz) or a naive "YYYY-MM-DD[ T]HH:MM[:SS[.f]]" (in
// tz), then a few other common layouts (UTC).
func ParseDate(s string, tz *time.Location, now time.Time) (time.Time, bool) {
	if tz == nil {
		tz = time.UTC
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	if m := relativeDateMatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n >= 10000 {
			return time.Time{}, false
		}
		return relativeInTZ(now.In(tz), n, m[2]), true
	}
	if t, err := time.Parse(time.RFC3339Nano, strings.Replace(s, " ", "T", 1)); err == nil {
		return t, true
	}
	for _, layout := range []string{"2006-01-02", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, s, tz); err == nil {
			return t, true
		}
	}
	for _, layout := range []string{time.RFC1123Z, time.RFC1123, time.RFC850, time.ANSIC, "2006/01/02", "2006/01/02 15:04:05", "January 2, 2006", "Jan 2, 2006", "2 January 2006", "2 Jan 2006", "01/02/2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// relativeInTZ subtracts n units from the local wall clock now, with
// relativedelta's calendar rules for months and years (the day is clamped to
// the month's length), and reads the result back in now's zone.
func relativeInTZ(now time.Time, n int, unit string) time.Time {
	switch unit {
	case "h":
		return now.Add(-time.Duration(n) * time.Hour)
	case "d":
		return now.AddDate(0, 0, -n)
	case "w":
		return now.AddDate(0, 0, -7*n)
	case "m":
		y, mo, d := now.Date()
		total := int(mo) - 1 - n
		y += floorDiv(total, 12)
		mo = time.Month(total - floorDiv(total, 12)*12 + 1)
		if last := daysIn(y, mo); d > last {
			d = last
		}
		return time.Date(y, mo, d, now.Hour(), now.Minute(), now.Second(), now.Nanosecond(), now.Location())
	default: // "y"
		y, mo, d := now.Date()
		y -= n
		if last := daysIn(y, mo); d > last {
			d = last
		}
		return time.Date(y, mo, d, now.Hour(), now.Minute(), now.Second(), now.Nanosecond(), now.Location())
	}
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// propertyDate reads a person/group property as an instant: numbers and
// numeric strings are epoch seconds, other strings parse like filter values.
func propertyDate(v any, tz *time.Location) (time.Time, bool) {
	switch x := v.(type) {
	case string:
		if x != "" && (x[0] >= '0' && x[0] <= '9' || x[0] == '-' || x[0] == '+' || x[0] == '.' || x[0] == 'i' || x[0] == 'I' || x[0] == 'n' || x[0] == 'N') {
			if f, ok := parseRustFloat(x); ok {
				return epoch(f)
			}
		}
		return ParseDate(x, tz, time.Now())
	case json.Number, float64, int, int64:
		f, ok := Float(x)
		if !ok {
			return time.Time{}, false
		}
		return epoch(f)
	}
	return time.Time{}, false
}

func epoch(f float64) (time.Time, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 8e12 {
		return time.Time{}, false
	}
	sec := math.Floor(f)
	nanos := math.Round(math.Mod(f, 1) * 1e9)
	if nanos < 0 {
		nanos = 0 // the reference's cast to an unsigned saturates
	}
	return time.Unix(int64(sec), int64(nanos)).UTC(), true
}
