package event

import (
	"time"
	"unsafe"

	"github.com/hoggo/capture/internal/apierr"
	"github.com/hoggo/capture/internal/payload"
	"github.com/hoggo/common/types"
)

// DataType is the per-event classification that picks the output lane.
type DataType int

// Data types (spec §4.6).
const (
	AnalyticsMain DataType = iota
	AnalyticsHistorical
	ClientIngestionWarning
	HeatmapMain
	ExceptionMain
	SnapshotMain
)

func (d DataType) String() string {
	switch d {
	case AnalyticsHistorical:
		return "analytics_historical"
	case ClientIngestionWarning:
		return "client_ingestion_warning"
	case HeatmapMain:
		return "heatmap_main"
	case ExceptionMain:
		return "exception_main"
	case SnapshotMain:
		return "snapshot_main"
	}
	return "analytics_main"
}

// Context is what the request contributes to every event.
type Context struct {
	Token               string
	Now                 time.Time
	NowString           string // CapturedEvent.now; types.FormatTimestamp(Now) unless injected
	SentAt              time.Time
	ClientIP            string
	HistoricalMigration bool
	// Historical rerouting by age (ENABLE_HISTORICAL_REROUTING).
	RerouteHistorical bool
	RerouteThreshold  time.Duration
}

// Processed is a captured event ready for the sink.
type Processed struct {
	Event    types.CapturedEvent
	DataType DataType
	// RerouteReason is "timestamp" when rerouted to historical by age.
	RerouteReason string
	// SessionID is properties.$session_id when a string. Restrictions filter
	// on it; the analytics Kafka headers leave session_id null, as the
	// reference does.
	SessionID string
}

// Process builds one CapturedEvent per RawEvent. Any invalid event fails
// the whole request (nothing is produced), as in the reference.
func Process(ctx *Context, events []payload.RawEvent) ([]Processed, error) {
	out := make([]Processed, len(events))
	// All data strings are built in one buffer and converted once; each
	// event's Data is a substring of it.
	size := 0
	for i := range events {
		size += len(events[i].Properties) + len(events[i].Set) + len(events[i].SetOnce) + 256
	}
	buf := make([]byte, 0, size)
	ends := make([]int, len(events))
	for i := range events {
		var err error
		buf, err = processOne(ctx, &events[i], &out[i], buf)
		if err != nil {
			return nil, err
		}
		ends[i] = len(buf)
	}
	// buf is never written again, so viewing it as a string is safe (the
	// strings.Builder idiom) and saves copying every event a second time.
	all := unsafe.String(unsafe.SliceData(buf), len(buf))
	start := 0
	for i := range out {
		out[i].Event.Data = all[start:ends[i]]
		start = ends[i]
	}
	return out, nil
}

func processOne(ctx *Context, ev *payload.RawEvent, p *Processed, buf []byte) ([]byte, error) {
	if ev.Event == "" {
		return buf, apierr.New(apierr.MissingEventName, "")
	}
	distinctID, err := DistinctID(ev)
	if err != nil {
		return buf, err
	}
	cookieless := false
	if raw := ev.Props.CookielessMode; raw != nil {
		switch string(raw) {
		case "true":
			cookieless = true
		case "false":
		default:
			return buf, apierr.New(apierr.InvalidCookielessMode, "")
		}
	}

	dt := Classify(ev.Event, ctx.HistoricalMigration)

	id := ev.UUID
	if !ev.HasUUID {
		id = NewUUIDv7(ctx.Now)
	}
	ip := ctx.ClientIP
	if ev.Props.CaptureInternal {
		ip = "127.0.0.1"
	}
	in := TimestampInput{
		SentAt:       ctx.SentAt,
		IgnoreSentAt: ev.Props.IgnoreSentAt,
		Now:          ctx.Now,
	}
	if ev.HasTimestamp {
		in.Timestamp = ev.Timestamp
	}
	if ev.HasOffset {
		in.Offset = &ev.Offset
	}
	ts := ComputeTimestamp(in)

	if dt == AnalyticsMain && ctx.RerouteHistorical && !ts.After(ctx.Now.Add(-ctx.RerouteThreshold)) {
		dt = AnalyticsHistorical
		p.RerouteReason = "timestamp"
	}

	buf = ev.AppendJSON(buf)
	p.DataType = dt
	if sid, ok := payload.DecodeString(ev.Props.SessionID); ok {
		p.SessionID = sid
	}
	p.Event = types.CapturedEvent{
		UUID:             id,
		DistinctID:       distinctID,
		IP:               ip,
		Now:              ctx.NowString,
		Token:            ctx.Token,
		Event:            ev.Event,
		Timestamp:        ts,
		IsCookielessMode: cookieless,
		// True for historical batches and for events rerouted by age.
		HistoricalMigration: dt == AnalyticsHistorical,
	}
	if !ctx.SentAt.IsZero() {
		sa := ctx.SentAt
		p.Event.SentAt = &sa
	}
	return buf, nil
}

// Classify maps an event name and the request's historical flag to a DataType.
func Classify(name string, historical bool) DataType {
	switch {
	case name == "$$client_ingestion_warning":
		return ClientIngestionWarning
	case name == "$exception":
		return ExceptionMain
	case name == "$$heatmap":
		return HeatmapMain
	case historical:
		return AnalyticsHistorical
	}
	return AnalyticsMain
}
