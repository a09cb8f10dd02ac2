package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/hoggo/capture/internal/apierr"
	"github.com/hoggo/capture/internal/event"
	"github.com/hoggo/capture/internal/payload"
	"github.com/hoggo/common/types"
)

// analytics handles /e, /i/v0/e, /batch, /capture, /track and /engage.
func (s *Server) analytics(w http.ResponseWriter, r *http.Request, limit int) {
	q, err := payload.ParseQuery(r.URL.RawQuery)
	if err == nil {
		err = s.captureAnalytics(w, r, q, limit)
	}
	if err != nil {
		var e *apierr.Error
		if errors.As(err, &e) {
			switch e.Kind {
			case apierr.EmptyPayloadFiltered, apierr.BillingLimit:
				// Silently accepted: old SDKs retry forever on errors.
				respondOK(w, q.Beacon)
				return
			}
		}
		s.fail(w, r, err)
		return
	}
	respondOK(w, q.Beacon)
}

func (s *Server) captureAnalytics(w http.ResponseWriter, r *http.Request, q payload.Query, limit int) error {
	dec, err := s.readPayload(w, r, q, limit)
	if err != nil {
		return err
	}
	body, err := payload.ParseBody(dec.Text, r.URL.Path)
	if err != nil {
		return err
	}
	token, err := event.ExtractToken(body)
	if err != nil {
		return err
	}
	receivedEvents.Add(float64(len(body.Events)))

	ctx := s.eventContext(r, q, body, token)
	ctx.RerouteHistorical = s.opts.RerouteHistorical
	ctx.RerouteThreshold = s.opts.RerouteHistoricalAfter
	return s.Ingest(r.Context(), ctx, body.Events)
}

// eventContext is what every event of one request shares: the token, the
// receive time, the client's sent_at (the body's wins over the query's) and IP.
func (s *Server) eventContext(r *http.Request, q payload.Query, body *payload.Body, token string) *event.Context {
	now := s.opts.Now()
	sentAt := q.SentAt
	if !body.SentAt.IsZero() {
		sentAt = body.SentAt
	}
	return &event.Context{
		Token:               token,
		Now:                 now,
		NowString:           types.FormatTimestamp(now),
		SentAt:              sentAt,
		ClientIP:            clientIP(r),
		HistoricalMigration: body.HistoricalMigration,
	}
}

// Ingest runs the post-parse pipeline shared by every analytics entry point:
// billing quota, per-event processing, drop/limit policies and the Kafka
// sink. It returns a BillingLimit error when the quota removed every event.
func (s *Server) Ingest(ctx context.Context, ec *event.Context, events []payload.RawEvent) error {
	if s.opts.Policies != nil {
		events = s.opts.Policies.Quota.CheckAndFilter(ec.Token, events)
		if len(events) == 0 {
			return apierr.New(apierr.BillingLimit, "")
		}
	}
	processed, err := event.Process(ec, events)
	if err != nil {
		return err
	}
	msgs := s.opts.Policies.Apply(processed)
	return s.opts.Sink.Send(ctx, msgs)
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := apierr.From(err)
	level := slog.LevelDebug
	if e.Status() >= 500 {
		level = slog.LevelError
	}
	slog.Log(r.Context(), level, "capture request failed",
		"path", r.URL.Path, "status", e.Status(), "code", e.Code(), "error", err,
		"request_id", r.Header.Get("X-Request-Id"))
	errorsByStage.WithLabelValues(e.Tag(), stageOf(e.Kind), string(s.opts.Mode)).Inc()
	apierr.Write(w, e)
}

// stageOf names the pipeline stage an error kind comes from.
func stageOf(k apierr.Kind) string {
	switch k {
	case apierr.RequestDecoding, apierr.EmptyPayload, apierr.BodyReadTimeout, apierr.EventTooBig:
		return "decoding"
	case apierr.RequestParsing, apierr.RequestHydration, apierr.EmptyBatch, apierr.EmptyPayloadFiltered:
		return "parsing"
	case apierr.NoToken, apierr.MultipleTokens, apierr.TokenValidation, apierr.UnknownToken:
		return "token"
	case apierr.RetryableSink, apierr.NonRetryableSink, apierr.ServiceUnavailable:
		return "sink"
	case apierr.BillingLimit, apierr.RateLimited, apierr.GlobalRateLimitExceeded:
		return "limits"
	}
	return "processing"
}
