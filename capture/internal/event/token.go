// Package event turns parsed RawEvents into CapturedEvents: token and
// distinct_id rules, UUIDv7 generation, the timestamp algorithm and the
// per-event DataType classification (capture spec §4.2–4.6).
package event

import (
	"strings"

	"github.com/hoggo/capture/internal/apierr"
	"github.com/hoggo/capture/internal/payload"
)

// Token validation reasons (InvalidTokenReason's string forms).
const (
	ReasonEmpty          = "empty"
	ReasonTooLong        = "too_long"
	ReasonNotASCII       = "not_ascii"
	ReasonPersonalAPIKey = "personal_api_key"
	ReasonNullByte       = "null_byte"
)

// ExtractToken picks the request token: the batch object's token when the
// body was a batch, else the single event's token, else the one token shared
// by the events that carry one. The result is validated and trimmed.
func ExtractToken(b *payload.Body) (string, error) {
	var tok string
	switch {
	case b.HasBatchToken():
		tok = b.BatchToken
	case b.Shape == payload.ShapeOne || b.Shape == payload.ShapeEngage:
		t, ok := b.Events[0].ExtractToken()
		if !ok {
			return "", apierr.New(apierr.NoToken, "")
		}
		tok = t
	default:
		found := false
		for i := range b.Events {
			t, ok := b.Events[i].ExtractToken()
			if !ok {
				continue
			}
			if found && t != tok {
				return "", apierr.New(apierr.MultipleTokens, "")
			}
			tok, found = t, true
		}
		if !found {
			return "", apierr.New(apierr.NoToken, "")
		}
	}
	return ValidateToken(tok)
}

// ValidateToken trims surrounding whitespace and checks the token's shape.
func ValidateToken(tok string) (string, error) {
	tok = strings.TrimSpace(tok)
	reason := ""
	switch {
	case tok == "":
		reason = ReasonEmpty
	case len(tok) > 64:
		reason = ReasonTooLong
	case !isASCII(tok):
		reason = ReasonNotASCII
	case strings.HasPrefix(tok, "phx_"):
		reason = ReasonPersonalAPIKey
	case strings.IndexByte(tok, 0) >= 0:
		reason = ReasonNullByte
	}
	if reason != "" {
		return "", apierr.New(apierr.TokenValidation, reason)
	}
	return tok, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
