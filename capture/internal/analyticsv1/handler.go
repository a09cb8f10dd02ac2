// Package analyticsv1 serves PostHog's newer batch capture endpoint,
// POST /i/v1/analytics/events (capture-v1 spec): bearer-token auth,
// mandatory PostHog-* request headers, a strict JSON envelope with
// client-generated uuids, and a 200 answer with a per-event outcome
// (ok / warning / drop / retry) so SDKs resend only what was not persisted.
// Events go to Kafka as the legacy CapturedEvent, so ingestion is unchanged.
package analyticsv1

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/hoggo/capture/internal/limits"
	"github.com/hoggo/capture/internal/payload"
	"github.com/hoggo/common/kafka"
	"github.com/hoggo/common/limiters"
	"github.com/hoggo/common/types"
)

// Paths the handler is mounted at (with and without trailing slash).
const (
	Path      = "/i/v1/analytics/events"
	PathSlash = Path + "/"
)

// Default limits (CAPTURE_V1_MAX_COMPRESSED_BODY_BYTES,
// CAPTURE_V1_MAX_DECOMPRESSED_BODY_BYTES) and the per-sink ack deadline.
const (
	DefaultMaxCompressedBodyBytes   = 10 << 20
	DefaultMaxDecompressedBodyBytes = 50 << 20
	DefaultProduceTimeout           = 30 * time.Second
)

// Topics are the sink's output topics (CAPTURE_V1_SINK_<NAME>_KAFKA_TOPIC_*).
// An empty topic makes events routed there fail as "rejected".
type Topics struct {
	Main                   string
	Historical             string
	Overflow               string
	DLQ                    string
	Exceptions             string
	Heatmaps               string
	ClientIngestionWarning string
}

func (t *Topics) topic(d Destination) string {
	switch d {
	case DestMain:
		return t.Main
	case DestHistorical:
		return t.Historical
	case DestOverflow:
		return t.Overflow
	case DestDLQ:
		return t.DLQ
	case DestExceptions:
		return t.Exceptions
	case DestHeatmaps:
		return t.Heatmaps
	case DestClientIngestionWarning:
		return t.ClientIngestionWarning
	}
	return ""
}

// Options are the handler's dependencies and settings.
type Options struct {
	// Producer is the v1 sink. Nil answers every request 503
	// service_unavailable (no sink configured).
	Producer *kafka.Producer
	// SinkName labels metrics (the CAPTURE_V1_SINKS entry, e.g. "msk").
	SinkName string
	Topics   Topics
	// ProduceTimeout is the ack deadline for a whole batch; events without
	// an ack by then are answered "retry".
	ProduceTimeout time.Duration

	MaxCompressedBodyBytes   int
	MaxDecompressedBodyBytes int
	// BodyChunkReadTimeout > 0 answers 408 when the client stalls that long.
	BodyChunkReadTimeout time.Duration

	// ImportMode drops batches not flagged historical_migration (HTTP 200,
	// non_historical_import_drop): CAPTURE_MODE=import.
	ImportMode bool
	// Historical rerouting by age (ENABLE_HISTORICAL_REROUTING,
	// HISTORICAL_REROUTING_THRESHOLD_DAYS).
	RerouteHistorical      bool
	RerouteHistoricalAfter time.Duration

	// Policies are capture's shared limits: billing quotas (global and
	// scoped), the overflow limiter and event restrictions; nil members are
	// off. The token dropper is a v0-only policy and is not applied.
	Policies *limits.Policies

	// ClientIP extracts the client address; nil uses the left-most
	// X-Forwarded-For entry, else the peer.
	ClientIP func(*http.Request) string
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Logger receives one line per failed request (4xx at warn, except
	// body_read_timeout, and 5xx at error); nil is slog.Default().
	Logger *slog.Logger
}

// Handler serves the v1 analytics endpoint.
type Handler struct {
	o Options
}

// NewHandler returns the handler for POST (and OPTIONS) on Path and
// PathSlash; other methods get 405.
func NewHandler(o Options) *Handler {
	if o.MaxCompressedBodyBytes <= 0 {
		o.MaxCompressedBodyBytes = DefaultMaxCompressedBodyBytes
	}
	if o.MaxDecompressedBodyBytes <= 0 {
		o.MaxDecompressedBodyBytes = DefaultMaxDecompressedBodyBytes
	}
	if o.ProduceTimeout <= 0 {
		o.ProduceTimeout = DefaultProduceTimeout
	}
	if o.SinkName == "" {
		o.SinkName = "msk"
	}
	if o.ClientIP == nil {
		o.ClientIP = clientIP
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Handler{o: o}
}

// ServeHTTP runs the v1 pipeline (spec §1).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	receivedAt := h.o.Now().UTC()
	hdr := w.Header()
	hdr.Set("Date", receivedAt.Format(time.RFC1123Z)) // RFC 2822, like chrono's to_rfc2822
	if rid := r.Header.Get(headerRequestID); rid != "" {
		hdr.Set("PostHog-Request-Id", rid)
	}
	setCORS(hdr, r)
	switch r.Method {
	case http.MethodOptions:
		w.WriteHeader(http.StatusOK)
		return
	case http.MethodPost:
	default:
		hdr.Set("Allow", "POST, OPTIONS")
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	status := h.serve(w, r, receivedAt)
	responseTime.WithLabelValues(strconv.Itoa(status), r.URL.Path).Observe(time.Since(receivedAt).Seconds())
}

// setCORS is the v1 CORS policy: origin and requested headers mirrored,
// credentials allowed, methods POST and OPTIONS.
func setCORS(h http.Header, r *http.Request) {
	if origin := r.Header.Get("Origin"); origin != "" {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Add("Vary", "Origin")
	}
	h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		h.Set("Access-Control-Allow-Headers", req)
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, receivedAt time.Time) int {
	path := r.URL.Path
	var ctx *requestContext // set once the headers parsed, for the error log
	fail := func(e *Error) int {
		analyticsErrors.WithLabelValues(e.Tag, e.level(), path, strconv.Itoa(e.Status)).Inc()
		h.logError(r, ctx, e)
		writeError(w, e)
		return e.Status
	}
	if h.o.Producer == nil {
		return fail(errNoSink)
	}
	var e *Error
	if ctx, e = parseHeaders(r.Header, receivedAt); e != nil {
		return fail(e)
	}
	ctx.path = path
	ctx.clientIP = h.o.ClientIP(r)
	if ctx.sdkInfoWarning != "" {
		analyticsWarnings.WithLabelValues(ctx.sdkInfoWarning, path).Inc()
	}

	wire, e := readBody(w, r, h.o.MaxCompressedBodyBytes, h.o.BodyChunkReadTimeout)
	if e != nil {
		return fail(e)
	}
	start := time.Now()
	defer func() { processingDuration.WithLabelValues(path).Observe(time.Since(start).Seconds()) }()

	results, e := h.process(r.Context(), ctx, wire)
	if e != nil {
		return fail(e)
	}
	batchOutcomes.WithLabelValues(results.outcome(), path).Inc()
	results.write(w)
	return http.StatusOK
}

// logError logs a failed request with the request context the reference
// attaches (what is known when the failure happened).
func (h *Handler) logError(r *http.Request, ctx *requestContext, e *Error) {
	level := slog.LevelWarn
	if e.level() == "error" {
		level = slog.LevelError
	}
	attrs := []slog.Attr{
		slog.String("error", e.Tag), slog.Int("status", e.Status),
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("query", r.URL.RawQuery),
	}
	if ctx == nil {
		// Header validation failed: log what the client sent.
		hd := r.Header
		attrs = append(attrs,
			slog.String("request_id", hd.Get(headerRequestID)), slog.String("sdk_info", hd.Get(headerSdkInfo)),
			slog.String("attempt", hd.Get(headerAttempt)), slog.String("client_timestamp", hd.Get(headerRequestTimestamp)),
			slog.String("user_agent", hd.Get(headerUserAgent)), slog.String("content_type", hd.Get(headerContentType)),
			slog.String("content_encoding", hd.Get(headerContentEncoding)))
	} else {
		attrs = append(attrs,
			slog.String("token", ctx.token), slog.String("request_id", ctx.requestID.String()),
			slog.String("sdk_info", ctx.sdkInfo), slog.Uint64("attempt", ctx.attempt),
			slog.Time("client_timestamp", ctx.clientTimestamp), slog.Time("server_received_at", ctx.serverReceivedAt),
			slog.String("user_agent", ctx.userAgent), slog.String("content_type", ctx.contentType),
			slog.String("content_encoding", ctx.contentEncoding), slog.String("client_ip", ctx.clientIP))
	}
	h.o.Logger.LogAttrs(r.Context(), level, "capture v1 request failed: "+e.Error(), attrs...)
}

// process decodes and validates the body, applies the policies, publishes
// and returns the per-event results; an *Error fails the whole request.
func (h *Handler) process(rctx context.Context, ctx *requestContext, wire []byte) (*results, *Error) {
	encLabel := ctx.contentEncoding
	if encLabel == "" {
		encLabel = "identity"
	}
	payloadSize.WithLabelValues("compressed", encLabel).Observe(float64(len(wire)))
	body, e := decompress(ctx.contentEncoding, wire, h.o.MaxDecompressedBodyBytes)
	if e != nil {
		return nil, e
	}
	payloadSize.WithLabelValues("decompressed", encLabel).Observe(float64(len(body)))
	batch, err := DecodeBatch(body)
	if err != nil {
		return nil, errParsing(err)
	}
	eventBatchSize.Observe(float64(len(batch.Events)))
	skew := ctx.clientTimestamp.Sub(ctx.serverReceivedAt)
	clockSkew.Observe(absSeconds(skew))

	events, e := validateBatch(batch, ctx)
	if e != nil {
		eventsDropped.WithLabelValues(e.Tag, "validation_abort").Add(float64(len(batch.Events)))
		return nil, e
	}
	if h.o.ImportMode && !batch.HistoricalMigration {
		for i := range events {
			if events[i].result == ResultOK {
				events[i].drop(DetailNonHistoricalImportDrop)
				eventsDropped.WithLabelValues(DetailNonHistoricalImportDrop, "import_mode").Inc()
			}
		}
	}
	if !anyOK(events) {
		return newResults(events), nil
	}
	if e := h.applyQuota(ctx.token, events); e != nil {
		return nil, e
	}
	h.applyRestrictions(events, ctx)
	h.rerouteHistorical(events, batch, ctx)
	h.applyOverflow(events, ctx, batch.CaptureInternal)
	h.applyGlobalRate(events, ctx)
	h.publish(rctx, events, batch, ctx)
	return newResults(events), nil
}

func absSeconds(d time.Duration) float64 {
	if d < 0 {
		d = -d
	}
	return d.Seconds()
}

func anyOK(events []wrapped) bool {
	for i := range events {
		if events[i].result == ResultOK || events[i].result == ResultWarning {
			return true
		}
	}
	return false
}

// applyQuota is the billing step (spec §4.7): a globally limited token
// fails the request with 402; scoped quotas (capture's predicates) drop the
// matching accepted events; if that leaves nothing accepted the request
// fails with 402 too.
func (h *Handler) applyQuota(token string, events []wrapped) *Error {
	if h.o.Policies == nil || h.o.Policies.Quota == nil {
		return nil
	}
	q := h.o.Policies.Quota
	if q.Global != nil && q.Global.IsLimited(token) {
		quotaLimited.WithLabelValues(q.Resource).Add(float64(len(events)))
		return errBillingLimit
	}
	dropped := false
	for _, s := range q.Scoped {
		if s.Set == nil || !s.Set.IsLimited(token) {
			continue
		}
		detail := scopedDetail(s.Resource)
		for i := range events {
			w := &events[i]
			if w.result != ResultOK || !s.Matches(quotaView(w)) {
				continue
			}
			w.drop(detail)
			dropped = true
			quotaLimited.WithLabelValues(s.Resource).Inc()
			eventsDropped.WithLabelValues(detail, "quota").Inc()
		}
	}
	if dropped && !anyOK(events) {
		return errBillingLimit
	}
	return nil
}

// quotaView is the part of a legacy RawEvent the scoped quota predicates
// read: the name and whether a product tour id is set (v1 carries it in
// options, never parsed out of properties).
func quotaView(w *wrapped) *payload.RawEvent {
	return &payload.RawEvent{
		Event:    w.ev.Event,
		HasEvent: true,
		Props:    payload.Props{ProductTourID: w.opts.ProductTourID != nil},
	}
}

// scopedDetail is the per-event drop tag of a scoped quota resource.
func scopedDetail(resource string) string {
	switch limiters.Resource(resource) {
	case limiters.ResourceExceptions:
		return DetailExceptionsOverQuota
	case limiters.ResourceSurveys:
		return DetailSurveyResponsesOverQuota
	case limiters.ResourceLLMEvents:
		return DetailLLMEventsOverQuota
	}
	return "over_quota"
}

// applyRestrictions applies event restrictions to accepted events on lanes
// that belong to a pipeline (heatmaps and client ingestion warnings are
// exempt): drop, or force overflow < redirect to DLQ, and skip persons.
func (h *Handler) applyRestrictions(events []wrapped, ctx *requestContext) {
	if h.o.Policies == nil || h.o.Policies.Restrictions == nil {
		return
	}
	for i := range events {
		w := &events[i]
		if !w.publishable() || w.dest == DestHeatmaps || w.dest == DestClientIngestionWarning {
			continue
		}
		subject := limits.Subject{DistinctID: w.ev.DistinctID, EventName: w.ev.Event, UUID: w.id.String()}
		if w.ev.SessionID != nil {
			subject.SessionID = *w.ev.SessionID
		}
		eff := h.o.Policies.Restrictions.Check(ctx.token, limits.PipelineAnalytics, subject)
		switch {
		case eff.Drop:
			w.drop(DetailEventRestrictionDrop)
			eventsRestricted.WithLabelValues("drop").Inc()
			eventsDropped.WithLabelValues(DetailEventRestrictionDrop, "restriction").Inc()
			continue
		case eff.RedirectDLQ:
			w.dest = DestDLQ
			eventsRestricted.WithLabelValues("redirect_to_dlq").Inc()
		case eff.ForceOverflow && w.dest == DestMain:
			w.dest = DestOverflow
			eventsRestricted.WithLabelValues("force_overflow").Inc()
		}
		if eff.SkipPersonProcessing {
			w.forceDisablePersons = true
			eventsRestricted.WithLabelValues("skip_person_processing").Inc()
		}
	}
}

// rerouteHistorical moves accepted main-lane events to the historical lane
// for a historical_migration batch, or by age when rerouting is enabled.
func (h *Handler) rerouteHistorical(events []wrapped, b *Batch, ctx *requestContext) {
	cutoff := ctx.serverReceivedAt.Add(-h.o.RerouteHistoricalAfter)
	for i := range events {
		w := &events[i]
		if !w.publishable() || w.dest != DestMain {
			continue
		}
		switch {
		case b.HistoricalMigration:
			w.dest = DestHistorical
			reroutedHistorical.WithLabelValues("batch_flag").Inc()
		case h.o.RerouteHistorical && w.adjusted.Before(cutoff):
			w.dest = DestHistorical
			reroutedHistorical.WithLabelValues("timestamp").Inc()
		}
	}
}

// applyOverflow asks the burst limiter about every main-lane event: a
// forced key goes to overflow with person processing off (so unkeyed), a
// rate-limited one to overflow with its key.
func (h *Handler) applyOverflow(events []wrapped, ctx *requestContext, captureInternal bool) {
	if h.o.Policies == nil || h.o.Policies.Overflow == nil {
		return
	}
	for i := range events {
		w := &events[i]
		if !w.publishable() || w.dest != DestMain {
			continue
		}
		switch h.o.Policies.Overflow.Check(partitionKey(w, ctx, captureInternal)) {
		case limiters.ForceLimited:
			w.dest = DestOverflow
			w.forceDisablePersons = true
			reroutedOverflow.WithLabelValues("force_limited").Inc()
		case limiters.RateLimited:
			w.dest = DestOverflow
			reroutedOverflow.WithLabelValues("rate_limited").Inc()
		}
	}
}

// applyGlobalRate runs the per-(token, distinct_id) global rate limiter
// after the overflow stamping, as the reference: an over-budget event is
// still published, with a warning, person processing off and, from the
// main lane, on the overflow topic. Import mode never applies it.
func (h *Handler) applyGlobalRate(events []wrapped, ctx *requestContext) {
	if h.o.ImportMode || h.o.Policies == nil || h.o.Policies.GlobalRate == nil {
		return
	}
	var allowed int
	var limitedIDs []string
	seen := map[string]struct{}{}
	for i := range events {
		w := &events[i]
		if w.result != ResultOK || w.forceDisablePersons {
			continue
		}
		if !h.o.Policies.GlobalRate.IsLimited(limits.GlobalRateKey(ctx.token, w.ev.DistinctID)) {
			allowed++
			continue
		}
		w.result, w.details = ResultWarning, DetailPersonProcessingDisabled
		w.forceDisablePersons = true
		if w.dest == DestMain {
			w.dest = DestOverflow
		}
		if _, ok := seen[w.ev.DistinctID]; !ok {
			seen[w.ev.DistinctID] = struct{}{}
			limitedIDs = append(limitedIDs, w.ev.DistinctID)
		}
	}
	if allowed > 0 {
		rateLimiter.WithLabelValues("token_distinct_id", "allowed").Add(float64(allowed))
	}
	if len(limitedIDs) > 0 {
		// The reference counts limited distinct_ids here, not events.
		rateLimiter.WithLabelValues("token_distinct_id", "limited").Add(float64(len(limitedIDs)))
		preview := strings.Join(limitedIDs, ", ")
		if len(limitedIDs) > 10 {
			preview = strings.Join(limitedIDs[:10], ", ") + "..."
		}
		h.o.Logger.Warn("events rate limited by distinct_id -- person processing disabled",
			"token", ctx.token, "limited_count", len(limitedIDs), "distinct_ids", preview)
	}
}

// record builds the Kafka record of w: CapturedEvent payload, legacy
// header set, and the partition key (none when person processing is off on
// the main and overflow lanes, where ordering is given up).
func (h *Handler) record(w *wrapped, b *Batch, ctx *requestContext, now string, buf []byte) (*kgo.Record, []byte) {
	buf = appendData(buf[:0], w, ctx)
	ce := buildEvent(w, ctx, b, now, buf)
	value := ce.AppendJSON(make([]byte, 0, len(ce.Data)+len(ce.Data)/8+384))
	hs := ce.ToHeaders()
	if w.forceDisablePersons {
		hs.ForceDisablePersonProcessing = new(true)
	}
	if w.dest == DestDLQ {
		hs.DLQReason = new("event_restriction")
		hs.DLQStep = new("capture")
		hs.DLQTimestamp = new(time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00"))
	}
	rec := &kgo.Record{Topic: h.o.Topics.topic(w.dest), Value: value, Headers: hs.ToKafka()}
	if !(w.forceDisablePersons && (w.dest == DestMain || w.dest == DestOverflow)) {
		rec.Key = []byte(partitionKey(w, ctx, b.CaptureInternal))
	}
	return rec, buf
}

// serialize builds the records of the publishable events (in order) and
// the index of each record's event. An event whose lane has no topic is a
// fatal sink result (drop "rejected").
func (h *Handler) serialize(events []wrapped, b *Batch, ctx *requestContext) ([]*kgo.Record, []int) {
	now := types.FormatTimestamp(ctx.serverReceivedAt)
	var (
		recs []*kgo.Record
		idx  []int
		buf  []byte
	)
	for i := range events {
		w := &events[i]
		if !w.publishable() {
			continue
		}
		var rec *kgo.Record
		rec, buf = h.safeRecord(w, b, ctx, now, buf)
		if rec == nil {
			continue
		}
		if rec.Topic == "" {
			w.drop(DetailRejected)
			eventsDropped.WithLabelValues(DetailRejected, "sink").Inc()
			continue
		}
		recs = append(recs, rec)
		idx = append(idx, i)
	}
	return recs, idx
}

// safeRecord is record with the reference's per-event isolation: a panic
// fails only that event (drop "serialization_failed"), never the request.
func (h *Handler) safeRecord(w *wrapped, b *Batch, ctx *requestContext, now string, buf []byte) (rec *kgo.Record, out []byte) {
	defer func() {
		if p := recover(); p != nil {
			serializeFailed.Inc()
			w.drop(DetailSerializationFailed)
			eventsDropped.WithLabelValues(DetailSerializationFailed, "sink").Inc()
			h.o.Logger.Error("capture v1 event serialisation panicked", "uuid", w.id.String(), "panic", fmt.Sprint(p))
			rec, out = nil, nil
		}
	}()
	return h.record(w, b, ctx, now, buf)
}

// publish serialises the publishable events, produces them with one shared
// ack deadline and folds the per-record outcomes back into the results.
func (h *Handler) publish(rctx context.Context, events []wrapped, b *Batch, ctx *requestContext) {
	serStart := time.Now()
	recs, idx := h.serialize(events, b, ctx)
	serializeDuration.Observe(time.Since(serStart).Seconds())
	if len(recs) == 0 {
		return
	}
	attempt := attemptLabel(ctx.attempt)
	if !h.o.Producer.Healthy() {
		for _, i := range idx {
			h.countPublish("unavailable", ctx, attempt, events[i].dest)
			events[i].result, events[i].details = ResultRetry, DetailNotPersisted
		}
		return
	}
	// The client may hang up; what was enqueued still gets its answer.
	pctx, cancel := context.WithTimeout(context.WithoutCancel(rctx), h.o.ProduceTimeout)
	defer cancel()
	ackStart := time.Now()
	errs := h.o.Producer.Produce(pctx, recs...)
	kafkaAck.WithLabelValues("analytics", h.o.SinkName, ctx.path, attempt).Observe(time.Since(ackStart).Seconds())
	for j, err := range errs {
		w := &events[idx[j]]
		switch {
		case err == nil:
			h.countPublish("success", ctx, attempt, w.dest)
		case errors.Is(err, kerr.MessageTooLarge) || errors.Is(err, kerr.RecordListTooLarge):
			h.countPublish("fatal", ctx, attempt, w.dest)
			w.result, w.details = ResultDrop, DetailEventTooBig
			eventsDropped.WithLabelValues(DetailEventTooBig, "sink").Inc()
		case errors.Is(err, kerr.CorruptMessage) || errors.Is(err, kerr.InvalidRecord):
			h.countPublish("fatal", ctx, attempt, w.dest)
			w.result, w.details = ResultDrop, DetailRejected
			eventsDropped.WithLabelValues(DetailRejected, "sink").Inc()
		default:
			h.countPublish("retriable", ctx, attempt, w.dest)
			w.result, w.details = ResultRetry, DetailNotPersisted
		}
	}
}

func (h *Handler) countPublish(outcome string, ctx *requestContext, attempt string, d Destination) {
	kafkaPublish.WithLabelValues("analytics", h.o.SinkName, outcome, ctx.path, attempt, d.String()).Inc()
}
