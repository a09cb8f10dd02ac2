package hogvm

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // IANA zones without relying on the host

	"github.com/hoggo/hogvm/internal/jsnum"
)

var zoneCache sync.Map // name -> *time.Location (immutable, safe to share)

func loadZone(name string) (*time.Location, bool) {
	if name == "" || name == "UTC" || name == "utc" {
		return time.UTC, true
	}
	if l, ok := zoneCache.Load(name); ok {
		return l.(*time.Location), true
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	zoneCache.Store(name, loc)
	return loc, true
}

func zoneOrUTC(name string) *time.Location {
	if l, ok := loadZone(name); ok {
		return l
	}
	return time.UTC
}

// timeOf converts epoch seconds to a time in zone (millisecond precision, as luxon).
func timeOf(seconds float64, zone string) time.Time {
	ms := int64(seconds * 1000)
	return time.UnixMilli(ms).In(zoneOrUTC(zone))
}

func secondsOf(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func dateToSeconds(y, m, d int, zone string) float64 {
	return secondsOf(time.Date(y, time.Month(m), d, 0, 0, 0, 0, zoneOrUTC(zone)))
}

// dateLike is the date-like string grammar shared by all VMs.
var dateLike = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2}))?(?:[.,](\d{1,9}))?(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$`)

// parseDateLike parses the shared grammar; zone applies only to input without its own offset.
func parseDateLike(input, zone string) (time.Time, bool) {
	mt := dateLike.FindStringSubmatch(jsnum.Trim(input))
	if mt == nil {
		return time.Time{}, false
	}
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	y, mo, d := atoi(mt[1]), atoi(mt[2]), atoi(mt[3])
	h, mi, s, ms := atoi(mt[4]), atoi(mt[5]), atoi(mt[6]), 0
	if mt[7] != "" {
		frac := (mt[7] + "00")[:3]
		ms = atoi(frac)
	}
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || s > 59 {
		return time.Time{}, false
	}
	loc := zoneOrUTC(zone)
	if off := mt[8]; off != "" {
		if off == "Z" || off == "z" {
			loc = time.UTC
		} else {
			sign := 1
			if off[0] == '-' {
				sign = -1
			}
			digits := strings.ReplaceAll(off[1:], ":", "")
			oh := atoi(digits[:2])
			om := 0
			if len(digits) >= 4 {
				om = atoi(digits[2:4])
			}
			if oh > 23 || om > 59 {
				return time.Time{}, false
			}
			loc = time.FixedZone("", sign*(oh*3600+om*60))
		}
	}
	return time.Date(y, time.Month(mo), d, h, mi, s, ms*int(time.Millisecond), loc), true
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func dateStringToSeconds(s string) (float64, bool) {
	t, ok := parseDateLike(s, "UTC")
	if !ok {
		return 0, false
	}
	return secondsOf(t), true
}

// isoDateTime is luxon's toISO(): milliseconds and the zone's offset ("Z" for UTC).
func isoDateTime(seconds float64, zone string) string {
	if seconds != seconds || math.IsInf(seconds, 0) {
		return "null"
	}
	if _, ok := loadZone(zone); !ok {
		return "null"
	}
	t := timeOf(seconds, zone)
	s := t.Format("2006-01-02T15:04:05.000")
	if zone == "UTC" || zone == "" {
		return s + "Z"
	}
	return s + t.Format("-07:00")
}

// toTime converts a datetime, date or ISO string to a time (dateDiff/extract helpers).
func toTime(v Value) (time.Time, bool) {
	switch v.kind {
	case KindDateTime:
		return timeOf(v.f(), v.s()), v.f() == v.f()
	case KindDate:
		d := v.AsDate()
		return time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC), true
	case KindString:
		return parseDateLike(v.s(), "UTC")
	}
	return time.Time{}, false
}

func dateTimeValue(t time.Time, zone string) Value { return NewDateTime(secondsOf(t), zone) }

func registerDateFunctions(f map[string]*stlEntry) {
	f["now"] = &stlEntry{func(m *machine, a []Value) (Value, error) {
		return NewDateTime(float64(time.Now().UnixMilli())/1000, "UTC"), nil
	}, 0, 1}
	f["today"] = &stlEntry{func(m *machine, a []Value) (Value, error) {
		t := time.Now().UTC()
		return NewDate(t.Year(), int(t.Month()), t.Day()), nil
	}, 0, 0}
	f["toUnixTimestamp"] = &stlEntry{func(m *machine, a []Value) (Value, error) {
		return Number(unixSeconds(a[0], arg(a, 1))), nil
	}, 1, 2}
	f["toUnixTimestampMilli"] = &stlEntry{func(m *machine, a []Value) (Value, error) {
		return Number(unixSeconds(a[0], arg(a, 1)) * 1000), nil
	}, 1, 2}
	f["fromUnixTimestamp"] = &stlEntry{func(m *machine, a []Value) (Value, error) {
		return NewDateTime(toNumber(a[0]), "UTC"), nil
	}, 1, 1}
	f["fromUnixTimestampMilli"] = &stlEntry{func(m *machine, a []Value) (Value, error) {
		return NewDateTime(toNumber(a[0])/1000, "UTC"), nil
	}, 1, 1}
	f["toTimeZone"] = &stlEntry{func(m *machine, a []Value) (Value, error) {
		if a[0].kind != KindDateTime {
			return Null, vmErrorf("Expected a DateTime")
		}
		return NewDateTime(a[0].f(), jsString(a[1])), nil
	}, 2, 2}
	f["toDate"] = &stlEntry{func(m *machine, a []Value) (Value, error) {
		var t time.Time
		ok := true
		switch a[0].kind {
		case KindNumber:
			t = timeOf(a[0].f(), "UTC")
		case KindString:
			t, ok = parseDateLike(a[0].s(), "UTC")
		default:
			return Null, vmErrorf("input.trim is not a function")
		}
		if !ok {
			return NewDate(invalidYear, 0, 0), nil
		}
		return NewDate(t.Year(), int(t.Month()), t.Day()), nil
	}, 1, 1}
	f["toDateTime"] = &stlEntry{func(m *machine, a []Value) (Value, error) {
		zone := "UTC"
		if z := arg(a, 1); Truthy(z) {
			zone = jsString(z)
		}
		switch a[0].kind {
		case KindNumber:
			return NewDateTime(a[0].f(), zone), nil
		case KindString:
			t, ok := parseDateLike(a[0].s(), zone)
			if !ok {
				return NewDateTime(math.NaN(), zone), nil
			}
			return NewDateTime(secondsOf(t), zone), nil
		}
		return NewDateTime(math.NaN(), zone), nil
	}, 1, 2}
	f["formatDateTime"] = &stlEntry{stlFormatDateTime, 2, 3}
	f["dateAdd"] = &stlEntry{func(m *machine, a []Value) (Value, error) {
		return applyInterval(a[2], toNumber(a[1]), jsString(a[0]))
	}, 3, 3}
	f["addDays"] = &stlEntry{func(m *machine, a []Value) (Value, error) {
		return applyInterval(a[0], toNumber(a[1]), "day")
	}, 2, 2}
	f["dateDiff"] = &stlEntry{stlDateDiff, 3, 3}
	f["dateTrunc"] = &stlEntry{func(m *machine, a []Value) (Value, error) {
		return dateTrunc(jsString(a[0]), a[1])
	}, 2, 3}
	for name, unit := range map[string]string{"toIntervalDay": "day", "toIntervalHour": "hour", "toIntervalMinute": "minute", "toIntervalMonth": "month"} {
		unit := unit
		f[name] = &stlEntry{func(m *machine, a []Value) (Value, error) {
			d := NewDict(3)
			d.SetString("__hogInterval__", True)
			d.SetString("value", a[0])
			d.SetString("unit", String(unit))
			return NewDictValue(d), nil
		}, 1, 1}
	}
	f["toYear"] = &stlEntry{func(m *machine, a []Value) (Value, error) { return extractPart("year", a[0]) }, 1, 1}
	f["toMonth"] = &stlEntry{func(m *machine, a []Value) (Value, error) { return extractPart("month", a[0]) }, 1, 1}
	f["toYYYYMM"] = &stlEntry{func(m *machine, a []Value) (Value, error) {
		y, err := extractPart("year", a[0])
		if err != nil {
			return Null, err
		}
		mo, _ := extractPart("month", a[0])
		return Number(y.f()*100 + mo.f()), nil
	}, 1, 1}
	f["extract"] = &stlEntry{func(m *machine, a []Value) (Value, error) { return extractPart(jsString(a[0]), a[1]) }, 2, 2}
	for name, unit := range map[string]string{"toStartOfDay": "day", "toStartOfHour": "hour", "toStartOfMonth": "month"} {
		unit := unit
		maxArgs := 1
		if name == "toStartOfDay" {
			maxArgs = 2
		}
		f[name] = &stlEntry{func(m *machine, a []Value) (Value, error) {
			v := a[0]
			if d := v.AsDate(); d != nil {
				v = NewDateTime(dateToSeconds(d.Year, d.Month, d.Day, "UTC"), "UTC")
			}
			return dateTrunc(unit, v)
		}, 1, maxArgs}
	}
	f["toStartOfWeek"] = &stlEntry{func(m *machine, a []Value) (Value, error) {
		var t time.Time
		zone := "UTC"
		switch a[0].kind {
		case KindDateTime:
			t, zone = timeOf(a[0].f(), a[0].s()), a[0].s()
		case KindDate:
			d := a[0].AsDate()
			t = time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC)
		default:
			return Null, vmErrorf("Cannot read properties of %s (reading 'year')", typeofJS(a[0]))
		}
		wd := int(t.Weekday())
		if wd == 0 {
			wd = 7
		}
		t = t.AddDate(0, 0, -(wd - 1))
		t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
		return dateTimeValue(t, zone), nil
	}, 1, 2}
}

const invalidYear = math.MinInt32

func unixSeconds(v, zone Value) float64 {
	switch v.kind {
	case KindDateTime:
		return v.f()
	case KindDate:
		d := v.AsDate()
		return dateToSeconds(d.Year, d.Month, d.Day, "UTC")
	}
	z := "UTC"
	if Truthy(zone) {
		z = jsString(zone)
	}
	t, ok := parseDateLike(jsString(v), z)
	if !ok {
		return math.NaN()
	}
	return secondsOf(t)
}

func applyInterval(base Value, amount float64, unit string) (Value, error) {
	var t time.Time
	zone := "UTC"
	switch base.kind {
	case KindDateTime:
		zone = base.s()
		t = timeOf(base.f(), zone)
	case KindDate:
		d := base.AsDate()
		t = time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC)
	default:
		return Null, vmErrorf("Cannot read properties of %s (reading 'year')", typeofJS(base))
	}
	n := int(amount)
	switch unit {
	case "week":
		t = t.AddDate(0, 0, 7*n)
	case "day":
		t = t.AddDate(0, 0, n)
	case "hour":
		t = t.Add(time.Duration(amount * float64(time.Hour)))
	case "minute":
		t = t.Add(time.Duration(amount * float64(time.Minute)))
	case "second":
		t = t.Add(time.Duration(amount * float64(time.Second)))
	case "month", "year":
		if unit == "year" {
			n *= 12
		}
		t = addMonthsClamped(t, n)
	default:
		return Null, vmErrorf("Unsupported interval unit: %s", unit)
	}
	if base.kind == KindDateTime {
		return dateTimeValue(t, zone), nil
	}
	return NewDate(t.Year(), int(t.Month()), t.Day()), nil
}

func addMonthsClamped(t time.Time, n int) time.Time {
	y, m := t.Year(), int(t.Month())-1+n
	y += m / 12
	m %= 12
	if m < 0 {
		m += 12
		y--
	}
	d := t.Day()
	if dim := daysIn(y, m+1); d > dim {
		d = dim
	}
	return time.Date(y, time.Month(m+1), d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
}

func dateTrunc(unit string, v Value) (Value, error) {
	if v.kind != KindDateTime {
		return Null, vmErrorf("Expected a DateTime for dateTrunc")
	}
	t := timeOf(v.f(), v.s())
	loc := t.Location()
	switch unit {
	case "year":
		t = time.Date(t.Year(), 1, 1, 0, 0, 0, 0, loc)
	case "month":
		t = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
	case "day":
		t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	case "hour":
		t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), 0, 0, 0, loc)
	case "minute":
		t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0, 0, loc)
	default:
		return Null, vmErrorf("Unsupported unit for dateTrunc: %s", unit)
	}
	return dateTimeValue(t, v.s()), nil
}

func extractPart(part string, v Value) (Value, error) {
	t, ok := toTime(v)
	if !ok {
		switch part {
		case "year", "month", "day", "hour", "minute", "second":
			return Number(math.NaN()), nil
		}
		return Null, vmErrorf("Unknown extract part: %s", part)
	}
	switch part {
	case "year":
		return Int(t.Year()), nil
	case "month":
		return Int(int(t.Month())), nil
	case "day":
		return Int(t.Day()), nil
	case "hour":
		return Int(t.Hour()), nil
	case "minute":
		return Int(t.Minute()), nil
	case "second":
		return Int(t.Second()), nil
	}
	return Null, vmErrorf("Unknown extract part: %s", part)
}

func stlDateDiff(m *machine, a []Value) (Value, error) {
	unit := jsString(a[0])
	start, ok1 := toTime(a[1])
	end, ok2 := toTime(a[2])
	if !ok1 || !ok2 {
		switch unit {
		case "day", "hour", "minute", "second", "week", "month", "year":
			return Number(math.NaN()), nil
		}
		return Null, vmErrorf("Unsupported unit for dateDiff: %s", unit)
	}
	ms := float64(end.UnixMilli() - start.UnixMilli())
	// luxon's diff in years..seconds converted back with casual month/year lengths
	casualHours := func() float64 { return luxonDiffSeconds(end, start) / 3600 }
	switch unit {
	case "day":
		return Number(math.Floor(ms / 86400000)), nil
	case "hour":
		return Number(math.Floor(casualHours())), nil
	case "minute":
		return Number(math.Floor(casualHours() * 60)), nil
	case "second":
		return Number(math.Floor(casualHours() * 3600)), nil
	case "week":
		return Number(math.Floor(casualHours() / 24 / 7)), nil
	case "month":
		return Int((end.Year()-start.Year())*12 + int(end.Month()) - int(start.Month())), nil
	case "year":
		return Int(end.Year() - start.Year()), nil
	}
	return Null, vmErrorf("Unsupported unit for dateDiff: %s", unit)
}

// luxonDiffSeconds is luxon's this.diff(other, [years, months, weeks, days,
// hours, minutes, seconds]).as("seconds"): calendar units are counted on each
// side's local fields and converted back with luxon's casual lengths (a year
// is 365 days, a month 30), which is what the reference's dateDiff reports.
func luxonDiffSeconds(this, other time.Time) float64 {
	otherIsLater := other.UnixMilli() > this.UnixMilli()
	earlier, later := other, this
	if otherIsLater {
		earlier, later = this, other
	}
	var years, months, weeks, days int
	plus := func() time.Time {
		y, m := earlier.Year()+years, int(earlier.Month())+months
		my, mm := y+floorDiv(m-1, 12), floorMod(m-1, 12)+1
		d := min(earlier.Day(), daysIn(my, mm)) + days + 7*weeks
		return time.Date(y, time.Month(m), d, earlier.Hour(), earlier.Minute(), earlier.Second(), earlier.Nanosecond(), earlier.Location())
	}
	after := func(a, b time.Time) bool { return a.UnixMilli() > b.UnixMilli() }
	cursor := earlier
	step := func(unit *int, differ func(a, b time.Time) int) {
		*unit = differ(cursor, later)
		highWater := plus()
		if after(highWater, later) {
			*unit--
			cursor = plus()
			if after(cursor, later) {
				*unit--
				cursor = plus()
			}
		} else {
			cursor = highWater
		}
	}
	step(&years, func(a, b time.Time) int { return b.Year() - a.Year() })
	step(&months, func(a, b time.Time) int { return int(b.Month()) - int(a.Month()) + (b.Year()-a.Year())*12 })
	step(&weeks, func(a, b time.Time) int { d := localDayDiff(a, b); return (d - d%7) / 7 })
	step(&days, localDayDiff)
	remaining := float64(later.UnixMilli()-cursor.UnixMilli()) / 1000
	total := float64(years)*365*86400 + float64(months)*30*86400 + float64(weeks)*7*86400 + float64(days)*86400 + remaining
	if otherIsLater {
		return -total
	}
	return total
}

// localDayDiff counts calendar days between the local dates of a and b.
func localDayDiff(a, b time.Time) int {
	day := func(t time.Time) int64 {
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).Unix() / 86400
	}
	return int(day(b) - day(a))
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int) int { return a - floorDiv(a, b)*b }

var monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

func stlFormatDateTime(m *machine, a []Value) (Value, error) {
	if a[0].kind != KindDateTime {
		return Null, vmErrorf("Expected a DateTime")
	}
	format := jsString(a[1])
	if !Truthy(a[1]) {
		return Null, vmErrorf("formatDateTime requires at least 2 arguments")
	}
	zone := a[0].s()
	if z := arg(a, 2); Truthy(z) {
		zone = jsString(z)
	}
	if _, ok := loadZone(zone); !ok || a[0].f() != a[0].f() {
		return String("Invalid DateTime"), nil
	}
	t := timeOf(a[0].f(), zone)
	var sb strings.Builder
	two := func(n int) { fmt.Fprintf(&sb, "%02d", n) }
	hour12 := func() int {
		h := t.Hour() % 12
		if h == 0 {
			h = 12
		}
		return h
	}
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			sb.WriteByte(format[i])
			continue
		}
		i++
		if i >= len(format) {
			break
		}
		switch format[i] {
		case 'a':
			sb.WriteString(t.Weekday().String()[:3])
		case 'b':
			sb.WriteString(monthNames[t.Month()-1][:3])
		case 'c', 'm':
			two(int(t.Month()))
		case 'C', 'g', 'y':
			two(t.Year() % 100)
		case 'd':
			two(t.Day())
		case 'D':
			fmt.Fprintf(&sb, "%02d/%02d/%02d", int(t.Month()), t.Day(), t.Year()%100)
		case 'e':
			sb.WriteString(strconv.Itoa(t.Day()))
		case 'f':
			fmt.Fprintf(&sb, "%03d", t.Nanosecond()/int(time.Millisecond))
		case 'F':
			fmt.Fprintf(&sb, "%04d-%02d-%02d", t.Year(), int(t.Month()), t.Day())
		case 'G', 'Y':
			fmt.Fprintf(&sb, "%04d", t.Year())
		case 'h', 'I', 'l':
			two(hour12())
		case 'H', 'k':
			two(t.Hour())
		case 'i':
			two(t.Minute())
		case 'j':
			fmt.Fprintf(&sb, "%03d", t.YearDay())
		case 'M':
			sb.WriteString(monthNames[t.Month()-1])
		case 'n':
			sb.WriteByte('\n')
		case 'p':
			if t.Hour() < 12 {
				sb.WriteString("AM")
			} else {
				sb.WriteString("PM")
			}
		case 'Q':
			sb.WriteString(strconv.Itoa((int(t.Month())-1)/3 + 1))
		case 'r':
			fmt.Fprintf(&sb, "%02d:%02d ", hour12(), t.Minute())
			if t.Hour() < 12 {
				sb.WriteString("AM")
			} else {
				sb.WriteString("PM")
			}
		case 'R':
			fmt.Fprintf(&sb, "%02d:%02d", t.Hour(), t.Minute())
		case 's', 'S':
			two(t.Second())
		case 't':
			sb.WriteByte('\t')
		case 'T':
			fmt.Fprintf(&sb, "%02d:%02d:%02d", t.Hour(), t.Minute(), t.Second())
		case 'u', 'w':
			wd := int(t.Weekday())
			if wd == 0 {
				wd = 7
			}
			sb.WriteString(strconv.Itoa(wd))
		case 'V':
			_, w := t.ISOWeek()
			two(w)
		case 'W':
			sb.WriteString(t.Weekday().String())
		case 'z':
			sb.WriteString(t.Format("-0700"))
		case '%':
			sb.WriteByte('%')
		}
	}
	return String(sb.String()), nil
}
