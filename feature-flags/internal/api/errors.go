// Package api serves the flags HTTP endpoints: /flags (and /decide), the
// local-evaluation definitions feed, and the index page.
package api

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// apiError is the JSON error body, shaped like PostHog's API errors.
type apiError struct {
	Type   string  `json:"type"`
	Code   string  `json:"code"`
	Detail string  `json:"detail"`
	Attr   *string `json:"attr"`
}

func writeError(w http.ResponseWriter, status int, typ, code, detail string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(apiError{Type: typ, Code: code, Detail: detail})
}

func badRequest(w http.ResponseWriter, code, detail string) {
	writeError(w, http.StatusBadRequest, "validation_error", code, detail)
}

func decodingError(w http.ResponseWriter, msg string) {
	badRequest(w, "request_decoding_error", "Failed to decode request: "+msg+". Please check your request format and try again.")
}

func missingToken(w http.ResponseWriter) {
	writeError(w, http.StatusUnauthorized, "authentication_error", "not_authenticated",
		"No API token provided. Either include the token in the request body or use a personal API key in the Authorization header.")
}

func invalidToken(w http.ResponseWriter) {
	writeError(w, http.StatusUnauthorized, "authentication_error", "invalid_token",
		"The provided API key is invalid or has expired. Please check your API key and try again.")
}

func unavailable(w http.ResponseWriter, code, detail string) {
	writeError(w, http.StatusServiceUnavailable, "server_error", code, detail)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
