package event

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// FutureEventCutoff is how far in the future a computed timestamp may be
// before it is replaced by the receive time.
const FutureEventCutoff = 23 * time.Hour

// TimestampInput are the inputs of the event timestamp algorithm.
type TimestampInput struct {
	Timestamp    string // event "timestamp"; "" when absent
	Offset       *int64 // event "offset" in ms
	SentAt       time.Time
	IgnoreSentAt bool // properties.$ignore_sent_at
	Now          time.Time
	ClockSkew    *int64 // ms, added last ([current] v1 input)
}

var epoch = time.Unix(0, 0).UTC()

// ComputeTimestamp implements the reference's timestamp algorithm (spec
// §4.4): sent_at clock-skew correction, offset override, clock skew, the
// 23 h future clamp and the year 0..9999 range check.
func ComputeTimestamp(in TimestampInput) time.Time {
	sentAt := in.SentAt
	if in.IgnoreSentAt {
		sentAt = time.Time{}
	}
	ts := in.Now
	if in.Timestamp != "" {
		if t, ok := ParseDate(in.Timestamp); ok {
			if !sentAt.IsZero() {
				ts = in.Now.Add(t.Sub(sentAt))
			} else {
				ts = t
			}
		}
	}
	if in.Offset != nil {
		ts = addMillis(in.Now, -*in.Offset)
	}
	if in.ClockSkew != nil {
		ts = addMillis(ts, *in.ClockSkew)
	}
	if ts.Sub(in.Now) > FutureEventCutoff {
		ts = in.Now
	}
	if y := ts.Year(); y < 0 || y > 9999 {
		ts = epoch
	}
	return ts.UTC()
}

// addMillis adds ms to t without time.Duration's ±292-year overflow;
// results past int64 milliseconds land on the epoch (out of range anyway).
func addMillis(t time.Time, ms int64) time.Time {
	const safe = int64(1) << 40 // ~34 years, far from Duration's limit
	if ms > -safe && ms < safe {
		return t.Add(time.Duration(ms) * time.Millisecond)
	}
	base := t.UnixMilli()
	sum := base + ms
	if (ms > 0 && sum < base) || (ms < 0 && sum > base) {
		return epoch
	}
	return time.UnixMilli(sum).Add(time.Duration(t.Nanosecond() % 1e6)).UTC()
}

var shortOffset = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?[+-]\d{2}$`)

var dateLayouts = []string{
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05 Z07:00",
	"2006-01-02 15:04",
	"2006-01-02",
	"2006/01/02",
	"2006/01/02 15:04:05",
	"2006/01/02 15:04:05.999999999",
	time.RFC1123Z,
	time.RFC1123,
	time.RFC850,
	time.RFC822Z,
	time.RFC822,
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 MST",
	time.ANSIC,
	"2006-01-02T15:04:05.999999999",
}

// ParseDate parses an event timestamp: RFC 3339 (a "±HH" offset is
// normalised to "±HH:00"), then common date formats, epoch seconds or
// milliseconds, then a naive date-time taken as UTC.
func ParseDate(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	if shortOffset.MatchString(s) {
		if t, err := time.Parse(time.RFC3339Nano, s+":00"); err == nil {
			return t, true
		}
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
		if len(strings.TrimLeft(strings.TrimSpace(s), "-")) >= 13 {
			return time.UnixMilli(n).UTC(), true
		}
		return time.Unix(n, 0).UTC(), true
	}
	return time.Time{}, false
}
