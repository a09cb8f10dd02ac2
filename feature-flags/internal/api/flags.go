package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/hoggo/common/lifecycle"
	"github.com/hoggo/common/limiters"

	"github.com/hoggo/feature-flags/internal/auth"
	"github.com/hoggo/feature-flags/internal/evaluation"
	"github.com/hoggo/feature-flags/internal/metrics"
	"github.com/hoggo/feature-flags/internal/ratelimit"
	"github.com/hoggo/feature-flags/internal/request"
	"github.com/hoggo/feature-flags/internal/response"
	"github.com/hoggo/feature-flags/internal/store"
)

// maxRawBody caps the raw request body read from the socket.
const maxRawBody = request.MaxBodySize

const allowMethods = "GET, POST, OPTIONS, HEAD"

// Server holds the handlers' dependencies.
type Server struct {
	Store *store.Store
	// Quota is the feature_flag_requests billing set; nil disables quota checks.
	Quota *limiters.RedisLimiter
	Log   *slog.Logger
	// IPLimiter and TokenLimiter are the request rate limiters (nil: off).
	IPLimiter, TokenLimiter *ratelimit.Limiter
	// DefinitionsLimiter limits the definitions feed per team id.
	DefinitionsLimiter *ratelimit.PerKey
	// Auth resolves personal API keys and secrets for the definitions feed.
	Auth *auth.PersonalKeys
	// Lifecycle serves the probes; readiness turns 503 once it shuts down.
	Lifecycle *lifecycle.Manager
}

func (s *Server) flags(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	defer func() { metrics.RequestDuration.Observe(float64(time.Since(start).Microseconds()) / 1000) }()
	switch r.Method {
	case http.MethodPost:
	case http.MethodGet:
		s.flagsGet(w, r)
		return
	case http.MethodHead:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		return
	case http.MethodOptions:
		w.Header().Set("Allow", allowMethods)
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		w.Header().Set("Allow", allowMethods)
		writeError(w, http.StatusMethodNotAllowed, "invalid_request", "method_not_allowed", "Method not allowed")
		return
	}
	metrics.RequestsTotal.Inc()
	reqID := requestID(r)
	q := request.ParseQuery(r.URL.Query())
	fromDecide := isDecide(r)
	if fromDecide && !q.HasConfig {
		q.Config, q.HasConfig = true, true
	}
	if !q.HasVersion && !q.HasConfig {
		q.Version, q.HasVersion, q.Config = 2, true, true
	}

	raw, err := io.ReadAll(io.LimitReader(r.Body, maxRawBody+1))
	if err != nil {
		decodingError(w, "could not read body")
		return
	}
	ip := ClientIP(r)
	ipDecision := s.IPLimiter.Check(ip)
	tokenDecision := ratelimit.Allowed
	if s.TokenLimiter.Enabled() {
		// Sniffing decodes the body once more: only when the limiter reads it.
		limitKey := request.SniffToken(raw)
		if limitKey == "" {
			limitKey = ip
		}
		tokenDecision = s.TokenLimiter.Check(limitKey)
	}
	if ipDecision == ratelimit.Blocked || tokenDecision == ratelimit.Blocked {
		writeError(w, http.StatusTooManyRequests, "validation_error", "rate_limit_exceeded", "Rate limit exceeded")
		return
	}
	if ipDecision == ratelimit.Warned || tokenDecision == ratelimit.Warned {
		w.Header().Set("X-PostHog-Rate-Limit-Warning", "true")
	}
	if len(raw) > maxRawBody {
		writeError(w, http.StatusRequestEntityTooLarge, "validation_error", "payload_too_large", "Request body is too large")
		return
	}
	body, kludges, err := request.Body(r.Header.Get("Content-Type"), r.Header.Get("Content-Encoding"), q.Compression, raw)
	countKludges(kludges, r.UserAgent())
	if errors.Is(err, request.ErrTooLarge) {
		writeError(w, http.StatusRequestEntityTooLarge, "validation_error", "payload_too_large", "Request body is too large")
		return
	}
	var de *request.DecodeError
	if errors.As(err, &de) {
		decodingError(w, de.Message)
		return
	}
	if err != nil {
		decodingError(w, "invalid JSON")
		return
	}
	fr, err := request.Parse(body)
	if err != nil {
		decodingError(w, "invalid JSON: "+err.Error())
		return
	}
	if fr.Token == "" {
		metrics.TokenValidationErrors.Inc()
		missingToken(w)
		return
	}
	ctx := r.Context()
	team, err := s.Store.TeamByToken(ctx, fr.Token)
	if errors.Is(err, store.ErrTeamNotFound) {
		metrics.TokenValidationErrors.Inc()
		invalidToken(w)
		return
	}
	if err != nil {
		metrics.RequestFaults.Inc()
		s.Log.Error("token lookup failed", "err", err)
		unavailable(w, "database_unavailable", "Database unavailable")
		return
	}
	shape := response.Select(fromDecide, q.Version, q.HasVersion)
	env := response.Envelope{RequestID: reqID, EvaluatedAt: time.Now().UnixMilli()}

	if s.Quota != nil && s.Quota.IsLimited(fr.Token) {
		env.QuotaLimited = []string{"feature_flags"}
		s.render(w, shape, nil, env)
		return
	}
	if !fr.HasDistinctID {
		badRequest(w, "missing_distinct_id", "The distinct_id field is missing from the request")
		return
	}
	set, err := s.Store.Flags(ctx, team)
	if err != nil {
		metrics.RequestFaults.Inc()
		s.Log.Error("loading flags failed", "team_id", team.ID, "err", err)
		unavailable(w, "database_unavailable", "Could not load feature flags")
		return
	}
	var results []evaluation.Result
	if !fr.DisableFlags {
		buf := resultBufs.Get().(*[]evaluation.Result)
		results = s.evaluate(ctx, team, set, fr, q, r, *buf)
		// Rendered below and not kept: the slice goes back afterwards.
		defer func() {
			clear(results) // drop flag and payload references while pooled
			*buf = results[:0]
			resultBufs.Put(buf)
		}()
	}
	if q.Config {
		env.Config = s.configFields(ctx, team, set)
	}
	s.render(w, shape, results, env)
}

// renderBufs recycles response buffers: a 50-flag v2 answer is ~13 KB, the
// largest allocation of a request.
var renderBufs = sync.Pool{New: func() any { return new([]byte) }}

// resultBufs recycles the per-request evaluation results (one per flag of
// the team).
var resultBufs = sync.Pool{New: func() any { return new([]evaluation.Result) }}

// maxPooledRender keeps unusually large answers out of the pool.
const maxPooledRender = 256 << 10

func (s *Server) render(w http.ResponseWriter, shape response.Shape, results []evaluation.Result, env response.Envelope) {
	buf := renderBufs.Get().(*[]byte)
	b, err := response.AppendRender((*buf)[:0], shape, results, env)
	if err != nil {
		renderBufs.Put(buf)
		metrics.RequestFaults.Inc()
		writeError(w, http.StatusInternalServerError, "server_error", "internal_error", "Could not render response")
		return
	}
	writeJSON(w, http.StatusOK, b)
	if cap(b) <= maxPooledRender {
		*buf = b
	}
	renderBufs.Put(buf)
}

// flagsGet answers GET /flags with an empty, unauthenticated response.
func (s *Server) flagsGet(w http.ResponseWriter, r *http.Request) {
	v := 1
	if p := r.URL.Query().Get("v"); p != "" {
		if n, err := strconv.Atoi(p); err == nil {
			v = n
		}
	}
	shape := response.Legacy
	if v >= 2 {
		shape = response.V2
	}
	env := response.Envelope{RequestID: requestID(r), EvaluatedAt: time.Now().UnixMilli(), Config: map[string]any{
		"supportedCompression": []string{"gzip", "gzip-js"},
		"config":               map[string]any{"enable_collect_everything": true},
		"toolbarParams":        map[string]any{},
		"isAuthenticated":      false,
		"sessionRecording":     false,
	}}
	s.render(w, shape, nil, env)
}

// configFields builds the config=true fields: the Django RemoteConfig blob
// when cached, else the reference's fallback.
func (s *Server) configFields(ctx context.Context, team *store.Team, set *store.FlagSet) map[string]any {
	if cfg, err := s.Store.RemoteConfig(ctx, team.APIToken); err == nil && cfg != nil {
		return cfg
	}
	has := false
	for _, f := range set.Flags {
		if f.Active && !f.Deleted {
			has = true
			break
		}
	}
	return map[string]any{
		"hasFeatureFlags":       has,
		"supportedCompression":  []string{"gzip", "gzip-js"},
		"sessionRecording":      false,
		"surveys":               false,
		"heatmaps":              false,
		"capturePerformance":    false,
		"autocaptureExceptions": false,
		"isAuthenticated":       false,
		"toolbarParams":         map[string]any{},
		"config":                map[string]any{"enable_collect_everything": true},
	}
}

func isDecide(r *http.Request) bool {
	if strings.EqualFold(r.Header.Get("X-Original-Endpoint"), "decide") {
		return true
	}
	return strings.HasPrefix(r.URL.Path, "/decide")
}

// requestID is X-REQUEST-ID when it is a UUID, else a fresh v4.
func requestID(r *http.Request) string {
	if h := r.Header.Get("X-REQUEST-ID"); h != "" {
		if u, err := uuid.Parse(h); err == nil {
			return u.String()
		}
	}
	return uuid.NewString()
}

// ClientIP is the first X-Forwarded-For entry (port stripped), else the
// socket address.
func ClientIP(r *http.Request) string {
	if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
		first := strings.TrimSpace(strings.SplitN(xff, ",", 2)[0])
		if ip := parseIP(first); ip != "" {
			return ip
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return host
}

func parseIP(s string) string {
	if ip := net.ParseIP(s); ip != nil {
		return ip.String()
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		if ip := net.ParseIP(host); ip != nil {
			return ip.String()
		}
	}
	return ""
}

func countKludges(k request.Kludges, ua string) {
	if k == (request.Kludges{}) {
		return
	}
	client := clientType(ua)
	for name, on := range map[string]bool{
		"missing_data_prefix": k.MissingDataPrefix, "padding_needed": k.PaddingNeeded, "lossy_utf8": k.LossyUTF8,
		"auto_detected_gzip": k.AutoDetectedGzip, "base64_fallback_success": k.Base64Fallback,
	} {
		if on {
			metrics.RequestKludges.WithLabelValues(name, client).Inc()
		}
	}
}

func clientType(ua string) string {
	switch runtimeFromUA(ua) {
	case "client":
		return "browser"
	case "server":
		return "server"
	}
	return "other"
}
