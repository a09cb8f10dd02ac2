package api

import (
	"net/http"

	"github.com/hoggo/capture/internal/apierr"
)

// recordings handles /s (CAPTURE_MODE=recordings).
func (s *Server) recordings(w http.ResponseWriter, r *http.Request, _ int) {
	s.fail(w, r, apierr.New(apierr.ServiceUnavailable, "recordings not implemented"))
}
