package limits

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/hoggo/common/redis"
)

// Restriction types, each stored under RestrictionKeyPrefix+type.
const (
	RestrictionDrop          = "drop_event_from_ingestion"
	RestrictionForceOverflow = "force_overflow_from_ingestion"
	RestrictionSkipPersons   = "skip_person_processing"
	RestrictionDLQ           = "redirect_to_dlq"

	RestrictionKeyPrefix = "event_ingestion_restriction_dynamic_config:"
)

var restrictionTypes = []string{RestrictionDrop, RestrictionForceOverflow, RestrictionSkipPersons, RestrictionDLQ}

var (
	restrictionsApplied = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "capture_event_restrictions_applied", Help: "Event restrictions applied.",
	}, []string{"restriction_type", "pipeline"})
	restrictionsFetch = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "capture_event_restrictions_redis_fetch", Help: "Restriction fetches from Redis.",
	}, []string{"restriction_type", "result"})
)

// RestrictionEntry is one element of a restriction's JSON array. Empty
// filters match everything; non-empty kinds are ANDed, values within a kind ORed.
type RestrictionEntry struct {
	Version     int      `json:"version"`
	Token       string   `json:"token"`
	Pipelines   []string `json:"pipelines"`
	DistinctIDs []string `json:"distinct_ids"`
	SessionIDs  []string `json:"session_ids"`
	EventNames  []string `json:"event_names"`
	EventUUIDs  []string `json:"event_uuids"`
}

// Subject is what restriction filters look at.
type Subject struct {
	DistinctID, SessionID, EventName, UUID string
}

// Matches reports whether the entry applies to s in pipeline.
func (e *RestrictionEntry) Matches(pipeline string, s Subject) bool {
	if len(e.Pipelines) > 0 && !slices.Contains(e.Pipelines, pipeline) {
		return false
	}
	return filterMatches(e.DistinctIDs, s.DistinctID) &&
		filterMatches(e.SessionIDs, s.SessionID) &&
		filterMatches(e.EventNames, s.EventName) &&
		filterMatches(e.EventUUIDs, s.UUID)
}

// filterMatches: an empty filter matches all; a set filter needs a value in it.
func filterMatches(filter []string, v string) bool {
	if len(filter) == 0 {
		return true
	}
	return v != "" && slices.Contains(filter, v)
}

// Effects are the outcomes of the restrictions that matched an event.
type Effects struct {
	Drop, ForceOverflow, SkipPersonProcessing, RedirectDLQ bool
}

type restrictionCache struct {
	byType  map[string]map[string][]RestrictionEntry // type → token → entries
	fetched time.Time
}

// Restrictions caches the Redis event restrictions, refreshed in the
// background; when the cache is older than failOpenAfter, restrictions are
// ignored (fail open).
type Restrictions struct {
	rdb           *redis.Client
	interval      time.Duration
	failOpenAfter time.Duration
	now           func() time.Time
	logger        *slog.Logger
	cache         atomic.Pointer[restrictionCache]
}

// NewRestrictions reads restrictions with rdb every interval.
func NewRestrictions(rdb *redis.Client, interval, failOpenAfter time.Duration, logger *slog.Logger) *Restrictions {
	if logger == nil {
		logger = slog.Default()
	}
	r := &Restrictions{rdb: rdb, interval: interval, failOpenAfter: failOpenAfter, now: time.Now, logger: logger}
	r.cache.Store(&restrictionCache{byType: map[string]map[string][]RestrictionEntry{}})
	return r
}

// Run refreshes now and then every interval until ctx ends.
func (r *Restrictions) Run(ctx context.Context) error {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		if err := r.Refresh(ctx); err != nil {
			r.logger.Warn("event restrictions refresh failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Refresh reads every restriction type. A type that fails to load keeps its
// previous entries; the cache timestamp advances only when all loaded.
func (r *Restrictions) Refresh(ctx context.Context) error {
	old := r.cache.Load()
	next := &restrictionCache{byType: map[string]map[string][]RestrictionEntry{}, fetched: old.fetched}
	var errs []error
	for _, typ := range restrictionTypes {
		entries, err := r.fetch(ctx, typ)
		if err != nil {
			errs = append(errs, err)
			next.byType[typ] = old.byType[typ]
			continue
		}
		next.byType[typ] = entries
	}
	if len(errs) == 0 {
		next.fetched = r.now()
	}
	r.cache.Store(next)
	return errors.Join(errs...)
}

func (r *Restrictions) fetch(ctx context.Context, typ string) (map[string][]RestrictionEntry, error) {
	raw, err := r.rdb.GetBytes(ctx, RestrictionKeyPrefix+typ)
	if errors.Is(err, redis.ErrNotFound) {
		restrictionsFetch.WithLabelValues(typ, "not_found").Inc()
		return nil, nil
	}
	if err != nil {
		restrictionsFetch.WithLabelValues(typ, "error").Inc()
		return nil, fmt.Errorf("get restrictions %s: %w", typ, err)
	}
	entries, err := ParseRestrictions(raw)
	if err != nil {
		restrictionsFetch.WithLabelValues(typ, "parse_error").Inc()
		return nil, fmt.Errorf("parse restrictions %s: %w", typ, err)
	}
	restrictionsFetch.WithLabelValues(typ, "success").Inc()
	byToken := map[string][]RestrictionEntry{}
	for _, e := range entries {
		byToken[e.Token] = append(byToken[e.Token], e)
	}
	return byToken, nil
}

// ParseRestrictions parses a restriction value: a JSON array of entries.
func ParseRestrictions(raw []byte) ([]RestrictionEntry, error) {
	var entries []RestrictionEntry
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, err
	}
	return entries, nil
}

// Check returns the effects of the restrictions matching an event.
func (r *Restrictions) Check(token, pipeline string, s Subject) Effects {
	var eff Effects
	c := r.cache.Load()
	if c.fetched.IsZero() && len(c.byType) == 0 {
		return eff
	}
	if !c.fetched.IsZero() && r.now().Sub(c.fetched) > r.failOpenAfter {
		return eff
	}
	for _, typ := range restrictionTypes {
		for i := range c.byType[typ][token] {
			e := &c.byType[typ][token][i]
			if !e.Matches(pipeline, s) {
				continue
			}
			restrictionsApplied.WithLabelValues(typ, pipeline).Inc()
			switch typ {
			case RestrictionDrop:
				eff.Drop = true
			case RestrictionForceOverflow:
				eff.ForceOverflow = true
			case RestrictionSkipPersons:
				eff.SkipPersonProcessing = true
			case RestrictionDLQ:
				eff.RedirectDLQ = true
			}
			break
		}
	}
	return eff
}
