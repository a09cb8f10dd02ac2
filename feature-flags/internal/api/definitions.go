package api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/hoggo/feature-flags/internal/auth"
	"github.com/hoggo/feature-flags/internal/definitions"
	"github.com/hoggo/feature-flags/internal/metrics"
	"github.com/hoggo/feature-flags/internal/ratelimit"
	"github.com/hoggo/feature-flags/internal/store"
)

// definitionsFeed serves GET /flags/definitions (and the older
// /api/feature_flag/local_evaluation): the project's flag definitions for SDK
// local evaluation, authenticated by a personal API key (with ?token=) or the
// project's secret API token, with ETag / If-None-Match.
func (s *Server) definitionsFeed(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "invalid_request", "method_not_allowed", "Method not allowed")
		return
	}
	metrics.DefinitionsRequests.Inc()
	ctx := r.Context()
	bearer := strings.TrimSpace(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	token := r.URL.Query().Get("token")
	var team *store.Team
	var err error
	switch {
	case bearer == "":
		writeError(w, http.StatusUnauthorized, "authentication_error", "not_authenticated", "Authentication credentials were not provided.")
		return
	case strings.HasPrefix(bearer, "phs_"):
		team, err = s.Store.TeamBySecretToken(ctx, bearer)
		if err == nil && token != "" && token != team.APIToken {
			err = store.ErrTeamNotFound
		}
		if errors.Is(err, store.ErrTeamNotFound) {
			writeError(w, http.StatusUnauthorized, "authentication_error", "authentication_failed", "Secret API token is invalid.")
			return
		}
	default:
		if token == "" {
			writeError(w, http.StatusUnauthorized, "authentication_error", "not_authenticated", "The token query parameter is required with a personal API key.")
			return
		}
		team, err = s.Store.TeamByToken(ctx, token)
		if errors.Is(err, store.ErrTeamNotFound) {
			invalidToken(w)
			return
		}
		if err == nil {
			if s.Auth == nil {
				writeError(w, http.StatusUnauthorized, "authentication_error", "authentication_failed", "Personal API keys are not accepted here.")
				return
			}
			_, err = s.Auth.Authorize(ctx, bearer, team.ID)
			switch {
			case errors.Is(err, auth.ErrInsufficientScopes):
				writeError(w, http.StatusForbidden, "permission_denied", "permission_denied", "API key missing required scope 'feature_flag:read'")
				return
			case errors.Is(err, auth.ErrInvalidKey), errors.Is(err, auth.ErrNoAccess):
				writeError(w, http.StatusUnauthorized, "authentication_error", "authentication_failed", "Personal API key is invalid.")
				return
			}
		}
	}
	if err != nil {
		s.Log.Error("definitions auth failed", "err", err)
		unavailable(w, "database_unavailable", "Database unavailable")
		return
	}
	if s.DefinitionsLimiter.Check(strconv.Itoa(team.ID)) == ratelimit.Blocked {
		metrics.DefinitionsRateLimited.Inc()
		writeError(w, http.StatusTooManyRequests, "validation_error", "rate_limit_exceeded", "Rate limit exceeded")
		return
	}
	if s.Quota != nil && s.Quota.IsLimited(team.APIToken) {
		writeError(w, http.StatusPaymentRequired, "quota_limited", "payment_required", "You have exceeded your feature flag request quota")
		return
	}
	set, err := s.Store.Flags(ctx, team)
	if err != nil {
		unavailable(w, "database_unavailable", "Could not load feature flags")
		return
	}
	types, err := s.Store.GroupTypes(ctx, team.ID)
	if err != nil {
		types = map[int]string{}
	}
	body, err := DefinitionsJSON(set.FlagSet, types)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "server_error", "internal_error", "Could not render definitions")
		return
	}
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	w.Header().Set("ETag", etag)
	if inm := r.Header.Get("If-None-Match"); inm != "" && inm == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// DefinitionsJSON renders a flag set in the local-evaluation feed shape:
// non-deleted flags with flag dependencies named by key plus their
// dependency_chain, the group type mapping, and cohorts as property groups.
func DefinitionsJSON(set *definitions.FlagSet, types map[int]string) ([]byte, error) {
	flags := make([]any, 0, len(set.Flags))
	byID := make(map[int]int, len(set.Flags))
	for i, f := range set.Flags {
		byID[f.ID] = i
	}
	for _, f := range set.Flags {
		if f.Deleted {
			continue
		}
		raw, err := json.Marshal(f)
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, err
		}
		if filters, ok := m["filters"].(map[string]any); ok {
			if groups, ok := filters["groups"].([]any); ok {
				for _, g := range groups {
					gm, _ := g.(map[string]any)
					props, _ := gm["properties"].([]any)
					for _, p := range props {
						pm, _ := p.(map[string]any)
						if pm["type"] != "flag" {
							continue
						}
						key, _ := pm["key"].(string)
						target := -1
						if id, err := strconv.Atoi(key); err == nil {
							if j, ok := byID[id]; ok {
								target = j
							}
						}
						if target < 0 {
							if j, ok := set.ByKey[key]; ok {
								target = j
							}
						}
						if target >= 0 {
							pm["key"] = set.Flags[target].Key
						}
						pm["dependency_chain"] = dependencyChain(set, target)
					}
				}
			}
		}
		flags = append(flags, m)
	}
	mapping := map[string]string{}
	for idx, name := range types {
		mapping[strconv.Itoa(idx)] = name
	}
	cohortsOut := map[string]any{}
	for id, c := range set.Cohorts {
		var f struct {
			Properties json.RawMessage `json:"properties"`
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(c.Raw, &raw); err == nil {
			_ = json.Unmarshal(raw["filters"], &f)
		}
		if c.IsStatic || len(f.Properties) == 0 {
			continue
		}
		cohortsOut[strconv.Itoa(id)] = f.Properties
	}
	return json.Marshal(map[string]any{"flags": flags, "group_type_mapping": mapping, "cohorts": cohortsOut})
}

// dependencyChain lists the keys to evaluate before a dependency, ending with
// the dependency itself; empty for a cycle, just the key for a missing flag.
func dependencyChain(set *definitions.FlagSet, target int) []string {
	if target < 0 {
		return []string{}
	}
	if set.InCycle[target] {
		return []string{}
	}
	var out []string
	seen := map[int]bool{}
	var visit func(i int)
	visit = func(i int) {
		if seen[i] {
			return
		}
		seen[i] = true
		for _, d := range set.Deps[i] {
			visit(d)
		}
		out = append(out, set.Flags[i].Key)
	}
	visit(target)
	return out
}
