package analyticsv1

import (
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hoggo/capture/internal/event"
	"github.com/hoggo/common/types"
)

// Result is a per-event outcome in the 200 response.
type Result string

// The per-event results (spec §2.5).
const (
	ResultOK      Result = "ok"
	ResultDrop    Result = "drop"
	ResultWarning Result = "warning"
	ResultRetry   Result = "retry"
)

// Per-event details tags.
const (
	DetailMissingEventName         = "missing_event_name"
	DetailEventNameTooLong         = "event_name_too_long"
	DetailMissingDistinctID        = "missing_distinct_id"
	DetailDistinctIDTooLarge       = "distinct_id_too_large"
	DetailInvalidEventTimestamp    = "invalid_event_timestamp"
	DetailMalformedEventProperties = "malformed_event_properties"
	DetailDroppedPerformanceEvent  = "dropped_performance_event"
	DetailInvalidOptions           = "invalid_options"
	DetailPersonProcessingDisabled = "person_processing_disabled"
	DetailNonHistoricalImportDrop  = "non_historical_import_drop"
	DetailEventRestrictionDrop     = "event_restriction_drop"
	DetailExceptionsOverQuota      = "exceptions_over_quota"
	DetailSurveyResponsesOverQuota = "survey_responses_over_quota"
	DetailLLMEventsOverQuota       = "llm_events_over_quota"
	DetailEventTooBig              = "event_too_big"
	DetailSerializationFailed      = "serialization_failed"
	DetailRejected                 = "rejected"
	DetailNotPersisted             = "not_persisted"
)

// Limits of the per-event checks.
const (
	maxEventNameBytes  = 200
	maxDistinctIDBytes = 200
)

// Destination is the lane an event is published to.
type Destination int

// Destinations (spec §2.7).
const (
	DestMain Destination = iota
	DestHistorical
	DestOverflow
	DestDLQ
	DestExceptions
	DestHeatmaps
	DestClientIngestionWarning
	DestDrop
)

func (d Destination) String() string {
	switch d {
	case DestHistorical:
		return "analytics_historical"
	case DestOverflow:
		return "overflow"
	case DestDLQ:
		return "dlq"
	case DestExceptions:
		return "exception_error_tracking"
	case DestHeatmaps:
		return "heatmap_main"
	case DestClientIngestionWarning:
		return "client_ingestion_warning"
	case DestDrop:
		return "drop"
	}
	return "analytics_main"
}

// destinationFor maps an event name to its lane, with capture's classifier.
// AI events stay on main: the AI lane (CAPTURE_ANALYTICS_AI_EVENTS_TOPIC)
// is not built yet.
func destinationFor(name string) Destination {
	switch event.Classify(name, false) {
	case event.ExceptionMain:
		return DestExceptions
	case event.HeatmapMain:
		return DestHeatmaps
	case event.ClientIngestionWarning:
		return DestClientIngestionWarning
	}
	return DestMain
}

// illegalDistinctIDs are accepted with person processing disabled (spec
// §4.4); matched case-insensitively after trimming.
var illegalDistinctIDs = map[string]struct{}{
	"0": {}, "00000000-0000-0000-0000-000000000000": {}, "[object object]": {}, "anonymous": {},
	"anonymous-user": {}, "backend": {}, "distinct_id": {}, "distinctid": {}, "email": {}, "false": {},
	"guest": {}, "id": {}, "nan": {}, "none": {}, "not_authenticated": {}, "null": {}, "system": {},
	"true": {}, "undefined": {}, "user": {},
}

// IsIllegalDistinctID reports whether id is a known placeholder value.
func IsIllegalDistinctID(id string) bool {
	if len(id) > len("00000000-0000-0000-0000-000000000000") {
		return false
	}
	_, ok := illegalDistinctIDs[strings.ToLower(id)]
	return ok
}

// wrapped is an event with its pipeline state.
type wrapped struct {
	ev       *Event
	id       uuid.UUID
	opts     EventOptions
	adjusted time.Time
	result   Result
	details  string
	dest     Destination
	// forceDisablePersons sets force_disable_person_processing and, on the
	// main and overflow lanes, drops the partition key.
	forceDisablePersons bool
}

func (w *wrapped) drop(details string) {
	w.result, w.details, w.dest = ResultDrop, details, DestDrop
}

func (w *wrapped) publishable() bool {
	return (w.result == ResultOK || w.result == ResultWarning) && w.dest != DestDrop
}

// validateBatch runs the batch-fatal checks (empty batch, created_at,
// uuids) and then the per-event ones, returning one wrapped event per input
// event in order.
func validateBatch(b *Batch, ctx *requestContext) ([]wrapped, *Error) {
	if len(b.Events) == 0 {
		return nil, errEmptyBatch
	}
	if _, ok := parseRFC3339(b.CreatedAt); !ok {
		return nil, newError(400, TagInvalidBatch, "invalid batch: created_at %q is not an RFC 3339 timestamp", b.CreatedAt)
	}
	out := make([]wrapped, len(b.Events))
	seen := make(map[uuid.UUID]struct{}, len(b.Events))
	for i := range b.Events {
		ev := &b.Events[i]
		if ev.UUID == "" {
			return nil, errMissingUUID
		}
		id, err := uuid.Parse(ev.UUID)
		if err != nil {
			return nil, newError(400, TagInvalidEventUUID, "invalid event uuid: %s", ev.UUID)
		}
		if _, dup := seen[id]; dup {
			return nil, newError(400, TagDuplicateEventUUID, "duplicate event uuid: %s", ev.UUID)
		}
		seen[id] = struct{}{}
		out[i] = wrapped{ev: ev, id: id, result: ResultOK}
	}
	skew := ctx.clientTimestamp.Sub(ctx.serverReceivedAt)
	for i := range out {
		validateEvent(&out[i], ctx, skew)
	}
	return out, nil
}

// validateEvent applies the per-event checks in the reference's order; the
// first failure drops the event with its tag.
func validateEvent(w *wrapped, ctx *requestContext, skew time.Duration) {
	ev := w.ev
	var ts time.Time
	detail := ""
	switch {
	case ev.Event == "$performance_event":
		detail = DetailDroppedPerformanceEvent
	case ev.Event == "":
		detail = DetailMissingEventName
	case len(ev.Event) > maxEventNameBytes:
		detail = DetailEventNameTooLong
	case ev.DistinctID == "":
		detail = DetailMissingDistinctID
	case len(ev.DistinctID) > maxDistinctIDBytes:
		detail = DetailDistinctIDTooLarge
	default:
		var (
			ok  bool
			err error
		)
		if ts, ok = parseRFC3339(ev.Timestamp); !ok {
			detail = DetailInvalidEventTimestamp
		} else if len(ev.Properties) == 0 || ev.Properties[0] != '{' {
			detail = DetailMalformedEventProperties
		} else if w.opts, err = ParseOptions(ev.Options); err != nil {
			detail = DetailInvalidOptions
		}
	}
	if detail != "" {
		parsedEvents.WithLabelValues("malformed", detail).Inc()
		eventsDropped.WithLabelValues(detail, "validation").Inc()
		w.drop(detail)
		return
	}
	parsedEvents.WithLabelValues("valid", "").Inc()
	w.adjusted = normalizeTimestamp(ts, ctx.serverReceivedAt, skew, w.opts.DisableSkewCorrection != nil && *w.opts.DisableSkewCorrection)
	w.dest = destinationFor(ev.Event)
	if IsIllegalDistinctID(ev.DistinctID) {
		w.details = DetailPersonProcessingDisabled
		w.forceDisablePersons = true
		adjustments.WithLabelValues(DetailPersonProcessingDisabled).Inc()
	}
}

// normalizeTimestamp corrects the client clock skew (request timestamp −
// receive time) and clamps results more than 23 h in the future to the
// receive time; with disable_skew_correction the timestamp is kept as sent.
// Unlike event.ComputeTimestamp (v0) there is no offset, no lenient date
// parsing and no clamp when correction is disabled; instants outside years
// 0..9999 become the epoch in both.
func normalizeTimestamp(ts, receivedAt time.Time, skew time.Duration, disable bool) time.Time {
	if disable {
		return inRange(ts.UTC())
	}
	adjusted := ts.Add(-skew)
	if adjusted.Sub(receivedAt) > event.FutureEventCutoff {
		adjustments.WithLabelValues("future_timestamp_clamp").Inc()
		return receivedAt.UTC()
	}
	return inRange(adjusted.UTC())
}

// partitionKey is "<token>:<distinct_id>", or "<token>:<ip>" in cookieless
// mode (127.0.0.1 for capture_internal batches).
func partitionKey(w *wrapped, ctx *requestContext, captureInternal bool) string {
	if w.opts.CookielessMode != nil && *w.opts.CookielessMode {
		if captureInternal {
			return ctx.token + ":127.0.0.1"
		}
		return ctx.token + ":" + ctx.clientIP
	}
	return ctx.token + ":" + w.ev.DistinctID
}

// appendData appends the CapturedEvent "data" JSON: event, distinct_id,
// uuid, properties (raw, plus the injected keys) and the client timestamp.
func appendData(dst []byte, w *wrapped, ctx *requestContext) []byte {
	ev := w.ev
	dst = append(dst, `{"event":`...)
	dst = types.AppendJSONString(dst, ev.Event)
	dst = append(dst, `,"distinct_id":`...)
	dst = types.AppendJSONString(dst, ev.DistinctID)
	dst = append(dst, `,"uuid":`...)
	dst = types.AppendUUID(dst, w.id)
	dst = append(dst, `,"properties":`...)
	dst = appendProperties(dst, ev.Properties, w, ctx)
	dst = append(dst, `,"timestamp":`...)
	dst = types.AppendJSONString(dst, ev.Timestamp)
	return append(dst, '}')
}

// appendProperties splices the injected keys into the raw properties
// object (spec §4.6): drop the closing brace, add a comma when the object
// has members, append the pairs, close. Keys are appended even when the
// client sent them, so the injected (last) value wins downstream. The
// result is valid JSON by construction (the decoder validated the input),
// so the reference's re-validation is not repeated.
func appendProperties(dst []byte, raw []byte, w *wrapped, ctx *requestContext) []byte {
	o := &w.opts
	if w.ev.SessionID == nil && w.ev.WindowID == nil && o.CookielessMode == nil && o.DisableSkewCorrection == nil &&
		o.ProductTourID == nil && o.ProcessPersonProfile == nil && ctx.lib == "" {
		return append(dst, raw...)
	}
	dst = append(dst, raw[:len(raw)-1]...)
	first := !hasMembers(raw)
	key := func(k string) {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, k...)
	}
	str := func(k, v string) {
		key(k)
		dst = types.AppendJSONString(dst, v)
	}
	boolean := func(k string, v bool) {
		key(k)
		dst = strconv.AppendBool(dst, v)
	}
	if s := w.ev.SessionID; s != nil {
		str(`"$session_id":`, *s)
	}
	if s := w.ev.WindowID; s != nil {
		str(`"$window_id":`, *s)
	}
	if v := o.CookielessMode; v != nil {
		boolean(`"$cookieless_mode":`, *v)
	}
	if v := o.DisableSkewCorrection; v != nil {
		boolean(`"$ignore_sent_at":`, *v)
	}
	if v := o.ProductTourID; v != nil {
		str(`"$product_tour_id":`, *v)
	}
	if v := o.ProcessPersonProfile; v != nil {
		boolean(`"$process_person_profile":`, *v)
	}
	if ctx.lib != "" {
		str(`"$lib":`, ctx.lib)
		str(`"$lib_version":`, ctx.libVersion)
	}
	return append(dst, '}')
}

// hasMembers reports whether the raw object text is not "{ }".
func hasMembers(raw []byte) bool {
	for _, c := range raw[1:] {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '}':
			return false
		}
		return true
	}
	return false
}

// buildEvent is the legacy CapturedEvent of w (byte-compatible with v0).
func buildEvent(w *wrapped, ctx *requestContext, b *Batch, now string, data []byte) types.CapturedEvent {
	ip := ctx.clientIP
	if b.CaptureInternal {
		ip = "127.0.0.1"
	}
	sentAt := ctx.clientTimestamp
	return types.CapturedEvent{
		UUID:                w.id,
		DistinctID:          w.ev.DistinctID,
		SessionID:           w.ev.SessionID,
		IP:                  ip,
		Data:                string(data),
		Now:                 now,
		SentAt:              &sentAt,
		Token:               ctx.token,
		Event:               w.ev.Event,
		Timestamp:           w.adjusted,
		IsCookielessMode:    w.opts.CookielessMode != nil && *w.opts.CookielessMode,
		HistoricalMigration: b.HistoricalMigration,
	}
}
