package analyticsv1

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hoggo/capture/internal/apierr"
	"github.com/hoggo/capture/internal/event"
)

// Header names (canonical forms) the endpoint reads.
const (
	headerAuthorization    = "Authorization"
	headerSdkInfo          = "Posthog-Sdk-Info"
	headerAttempt          = "Posthog-Attempt"
	headerRequestID        = "Posthog-Request-Id"
	headerRequestTimestamp = "Posthog-Request-Timestamp"
	headerContentType      = "Content-Type"
	headerContentEncoding  = "Content-Encoding"
	headerUserAgent        = "User-Agent"
)

// requiredHeaders are checked together; all missing names are reported,
// lower-cased as the reference's http crate prints them.
var requiredHeaders = []string{
	headerSdkInfo, headerAttempt, headerRequestID, headerRequestTimestamp, headerContentType, headerUserAgent,
}

// maxSdkInfoLen caps PostHog-Sdk-Info; larger values are not injected.
const maxSdkInfoLen = 200

// Encodings accepted in Content-Encoding.
const (
	encodingIdentity = ""
	encodingGzip     = "gzip"
	encodingDeflate  = "deflate"
	encodingBrotli   = "br"
	encodingZstd     = "zstd"
)

// requestContext is what the headers and the connection contribute to
// every event of a request.
type requestContext struct {
	token            string
	requestID        uuid.UUID
	attempt          uint64
	clientTimestamp  time.Time // PostHog-Request-Timestamp
	sdkInfo          string
	lib, libVersion  string // empty when PostHog-Sdk-Info is unusable
	sdkInfoWarning   string // "" or the capture_v1_analytics_warning reason
	userAgent        string
	contentType      string
	contentEncoding  string
	clientIP         string
	serverReceivedAt time.Time
	path             string
}

// parseHeaders validates the request headers in the reference's order
// (spec §2.2); the first failure wins.
func parseHeaders(h http.Header, receivedAt time.Time) (*requestContext, *Error) {
	if len(h.Values(headerAuthorization)) == 0 {
		return nil, errMissingAuthorization()
	}
	var missing []string
	for _, name := range requiredHeaders {
		if len(h.Values(name)) == 0 {
			missing = append(missing, strings.ToLower(name))
		}
	}
	if len(missing) > 0 {
		return nil, errMissingHeaders(missing)
	}

	ctx := &requestContext{serverReceivedAt: receivedAt}
	auth := h.Get(headerAuthorization)
	if len(auth) < 7 || !strings.EqualFold(auth[:7], "bearer ") {
		return nil, errInvalidHeader("authorization must use the Bearer scheme")
	}
	tok, err := event.ValidateToken(auth[7:])
	if err != nil {
		var ae *apierr.Error
		if errors.As(err, &ae) {
			return nil, errInvalidToken(ae.Detail)
		}
		return nil, errInvalidToken(err.Error())
	}
	ctx.token = tok

	ctx.contentType = h.Get(headerContentType)
	mediaType, _, _ := strings.Cut(ctx.contentType, ";")
	if !strings.EqualFold(strings.TrimSpace(mediaType), "application/json") {
		return nil, newError(http.StatusUnsupportedMediaType, TagUnsupportedContentType,
			"unsupported content type: %s", ctx.contentType)
	}
	if vs := h.Values(headerContentEncoding); len(vs) > 0 {
		enc := strings.ToLower(strings.TrimSpace(vs[0]))
		switch enc {
		case encodingGzip, encodingDeflate, encodingBrotli, encodingZstd:
			ctx.contentEncoding = enc
		default:
			return nil, newError(http.StatusUnsupportedMediaType, TagUnsupportedEncoding,
				"unsupported content encoding: %s", vs[0])
		}
	}

	rid := h.Get(headerRequestID)
	if ctx.requestID, err = uuid.Parse(strings.TrimSpace(rid)); err != nil {
		return nil, errInvalidHeader("posthog-request-id is not a UUID: %q", rid)
	}
	att := h.Get(headerAttempt)
	if ctx.attempt, err = strconv.ParseUint(strings.TrimSpace(att), 10, 32); err != nil || ctx.attempt == 0 {
		return nil, errInvalidHeader("posthog-attempt must be a positive integer: %q", att)
	}
	ts := h.Get(headerRequestTimestamp)
	var ok bool
	if ctx.clientTimestamp, ok = parseRFC3339(strings.TrimSpace(ts)); !ok {
		return nil, errInvalidHeader("posthog-request-timestamp is not RFC 3339: %q", ts)
	}
	ctx.clientTimestamp = ctx.clientTimestamp.UTC()

	ctx.userAgent = h.Get(headerUserAgent)
	if !visibleASCII(ctx.userAgent) {
		return nil, errInvalidHeader("user-agent is not visible ASCII")
	}
	ctx.sdkInfo = h.Get(headerSdkInfo)
	if !visibleASCII(ctx.sdkInfo) {
		return nil, errInvalidHeader("posthog-sdk-info is not visible ASCII")
	}
	ctx.lib, ctx.libVersion, ctx.sdkInfoWarning = parseSdkInfo(ctx.sdkInfo)
	return ctx, nil
}

// parseSdkInfo splits "<lib>/<version>" at the last slash. Unusable values
// are not an error: nothing is injected and a warning reason is returned.
func parseSdkInfo(s string) (lib, version, warning string) {
	if len(s) > maxSdkInfoLen {
		return "", "", "sdk_info_oversized"
	}
	i := strings.LastIndexByte(s, '/')
	if i < 0 {
		return "", "", "sdk_info_unparseable"
	}
	lib, version = strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:])
	if lib == "" || version == "" {
		return "", "", "sdk_info_unparseable"
	}
	return lib, version, ""
}

// visibleASCII is the http crate's HeaderValue::to_str rule: tab or 0x20..0x7e.
func visibleASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '\t' && (c < 0x20 || c > 0x7e) {
			return false
		}
	}
	return true
}

// clientIP is the left-most X-Forwarded-For entry, else the peer address.
// TODO(capture): share api.clientIP (which also reads X-Real-IP and
// Forwarded) once it is exported; the mount passes it in Options.ClientIP.
func clientIP(r *http.Request) string {
	if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
		first, _, _ := strings.Cut(xff, ",")
		if ip := strings.TrimSpace(first); ip != "" {
			return ip
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
