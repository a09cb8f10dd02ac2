package api

import (
	"net/http"

	"github.com/hoggo/capture/internal/event"
	"github.com/hoggo/capture/internal/limits"
	"github.com/hoggo/capture/internal/payload"
	"github.com/hoggo/capture/internal/recordings"
	"github.com/hoggo/capture/internal/sink"
)

var quotaLimitedBody = []byte(`{"status":"Ok","quota_limited":["recordings"]}`)

// recordings handles /s (CAPTURE_MODE=recordings): all events of a request
// become one $snapshot_items message keyed by the session id.
func (s *Server) recordings(w http.ResponseWriter, r *http.Request, limit int) {
	q, err := payload.ParseQuery(r.URL.RawQuery)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	limited, err := s.captureRecording(w, r, q, limit)
	switch {
	case err != nil:
		s.fail(w, r, err)
	case limited:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(quotaLimitedBody)
	default:
		respondOK(w, q.Beacon)
	}
}

func (s *Server) captureRecording(w http.ResponseWriter, r *http.Request, q payload.Query, limit int) (quotaLimited bool, err error) {
	dec, err := s.readPayload(w, r, q, limit)
	if err != nil {
		return false, err
	}
	body, err := payload.ParseRecordingBody(dec.Text)
	if err != nil {
		return false, err
	}
	token, err := event.ExtractToken(body)
	if err != nil {
		return false, err
	}
	receivedEvents.Add(float64(len(body.Events)))
	pol := s.opts.Policies
	if pol != nil && pol.Quota != nil && pol.Quota.Global != nil && pol.Quota.Global.IsLimited(token) {
		sink.Dropped.WithLabelValues("recordings_over_quota").Add(float64(len(body.Events)))
		return true, nil
	}
	ctx := s.eventContext(r, q, body, token)
	ce, err := recordings.Build(ctx, body.Events, r.Header.Get("User-Agent"))
	if err != nil {
		return false, err
	}
	m := sink.Message{Event: ce, DataType: event.SnapshotMain}
	if pol != nil {
		if pol.Restrictions != nil {
			eff := pol.Restrictions.Check(token, limits.PipelineRecordings, limits.Subject{
				DistinctID: ce.DistinctID, SessionID: *ce.SessionID, EventName: recordings.EventName, UUID: ce.UUID.String(),
			})
			if eff.Drop {
				sink.Dropped.WithLabelValues("event_restriction_drop").Inc()
				return false, nil
			}
			m.ForceOverflow = eff.ForceOverflow
			m.SkipPersonProcessing = eff.SkipPersonProcessing
		}
		if pol.ReplayOverflow != nil && pol.ReplayOverflow.IsLimited(*ce.SessionID) {
			m.ForceOverflow = true
		}
	}
	return false, s.opts.Sink.Send(r.Context(), []sink.Message{m})
}
