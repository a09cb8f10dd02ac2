// Package recordings folds a session-replay request (/s) into the single
// $snapshot_items CapturedEvent the reference produces (capture spec §4.9).
package recordings

import (
	"strings"

	"github.com/hoggo/capture/internal/apierr"
	"github.com/hoggo/capture/internal/event"
	"github.com/hoggo/capture/internal/payload"
	"github.com/hoggo/common/types"
)

// EventName is the name of the one event a replay request becomes.
const EventName = "$snapshot_items"

// MaxSessionIDLen is the longest accepted $session_id.
const MaxSessionIDLen = 70

// Build validates a replay request and returns its single CapturedEvent
// (SessionID set) keyed by the first event's $session_id.
func Build(ctx *event.Context, events []payload.RawEvent, userAgent string) (types.CapturedEvent, error) {
	first := &events[0]
	distinctID, err := event.DistinctID(first)
	if err != nil {
		return types.CapturedEvent{}, err
	}
	cookieless := false
	if raw := first.Props.CookielessMode; raw != nil {
		switch string(raw) {
		case "true":
			cookieless = true
		case "false":
		default:
			return types.CapturedEvent{}, apierr.New(apierr.InvalidCookielessMode, "")
		}
	}
	sessionID, err := SessionID(first)
	if err != nil {
		return types.CapturedEvent{}, err
	}

	// The reference builds data with serde_json's json! macro, whose map
	// is sorted: event, properties{$lib, $session_id, $snapshot_items,
	// $snapshot_source, $window_id, distinct_id}.
	buf := make([]byte, 0, estimate(events))
	buf = append(buf, `{"event":"$snapshot_items","properties":{"$lib":`...)
	if lib := first.Props.Lib; lib != nil && string(lib) != "null" {
		buf = append(buf, lib...)
	} else {
		buf = types.AppendJSONString(buf, libFromUserAgent(userAgent))
	}
	buf = append(buf, `,"$session_id":`...)
	buf = types.AppendJSONString(buf, sessionID)
	buf = append(buf, `,"$snapshot_items":[`...)
	n := 0
	for i := range events {
		data := events[i].Props.SnapshotData
		switch {
		case len(data) > 0 && data[0] == '[':
			inner := strings.TrimSpace(string(data[1 : len(data)-1]))
			if inner == "" {
				continue
			}
			if n > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, inner...)
			n++
		case len(data) > 0 && data[0] == '{':
			if n > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, data...)
			n++
		default:
			return types.CapturedEvent{}, apierr.New(apierr.MissingSnapshotData, "")
		}
	}
	buf = append(buf, `],"$snapshot_source":`...)
	if src := first.Props.SnapshotSource; src != nil && string(src) != "null" {
		buf = append(buf, src...)
	} else {
		buf = append(buf, `"web"`...)
	}
	buf = append(buf, `,"$window_id":`...)
	if w := first.Props.WindowID; w != nil && string(w) != "null" {
		buf = append(buf, w...)
	} else {
		buf = types.AppendJSONString(buf, sessionID)
	}
	buf = append(buf, `,"distinct_id":`...)
	buf = types.AppendJSONString(buf, distinctID)
	buf = append(buf, "}}"...)

	id := first.UUID
	if !first.HasUUID {
		id = event.NewUUIDv7(ctx.Now)
	}
	in := event.TimestampInput{SentAt: ctx.SentAt, IgnoreSentAt: first.Props.IgnoreSentAt, Now: ctx.Now}
	if first.HasTimestamp {
		in.Timestamp = first.Timestamp
	}
	if first.HasOffset {
		in.Offset = &first.Offset
	}
	ce := types.CapturedEvent{
		UUID:                id,
		DistinctID:          distinctID,
		SessionID:           &sessionID,
		IP:                  ctx.ClientIP,
		Data:                string(buf),
		Now:                 ctx.NowString,
		Token:               ctx.Token,
		Event:               EventName,
		Timestamp:           event.ComputeTimestamp(in),
		IsCookielessMode:    cookieless,
		HistoricalMigration: ctx.HistoricalMigration,
	}
	if !ctx.SentAt.IsZero() {
		sa := ctx.SentAt
		ce.SentAt = &sa
	}
	return ce, nil
}

// SessionID returns the event's $session_id: required, a string of at most
// 70 characters from [A-Za-z0-9-].
func SessionID(ev *payload.RawEvent) (string, error) {
	raw := ev.Props.SessionID
	if raw == nil || string(raw) == "null" {
		return "", apierr.New(apierr.MissingSessionID, "")
	}
	sid, ok := payload.DecodeString(raw)
	if !ok {
		return "", apierr.New(apierr.InvalidSessionID, "")
	}
	if sid == "" {
		return "", apierr.New(apierr.MissingSessionID, "")
	}
	if len(sid) > MaxSessionIDLen {
		return "", apierr.New(apierr.InvalidSessionID, "")
	}
	for i := 0; i < len(sid); i++ {
		c := sid[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return "", apierr.New(apierr.InvalidSessionID, "")
		}
	}
	return sid, nil
}

// libFromUserAgent: the user agent's product name when it names a PostHog
// SDK ("posthog-android/3.0" → "posthog-android"; the reference's check is
// case-sensitive), else "web"; no user agent → "unknown".
func libFromUserAgent(ua string) string {
	if ua == "" {
		return "unknown"
	}
	if name, _, _ := strings.Cut(ua, "/"); strings.Contains(name, "posthog") {
		return name
	}
	return "web"
}

func estimate(events []payload.RawEvent) int {
	n := 256
	for i := range events {
		n += len(events[i].Props.SnapshotData)
	}
	return n
}
