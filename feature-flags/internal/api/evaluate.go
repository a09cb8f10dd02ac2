package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/hoggo/feature-flags/internal/evaluation"
	"github.com/hoggo/feature-flags/internal/metrics"
	"github.com/hoggo/feature-flags/internal/request"
	"github.com/hoggo/feature-flags/internal/store"
)

// initialProps are person properties copied to $initial_<name> when the
// request sets them without their $initial_ twin.
var initialProps = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{"$app_build", "$app_name", "$app_namespace", "$app_version", "$browser", "$browser_version",
		"$device_type", "$current_url", "$pathname", "$os", "$os_version", "$referring_domain", "$referrer",
		"$screen_height", "$screen_width", "$viewport_height", "$viewport_width", "$raw_user_agent"} {
		m[k] = "$initial_" + strings.TrimPrefix(k, "$")
	}
	for _, k := range []string{"utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term", "gclid", "gad_source",
		"gclsrc", "dclid", "gbraid", "wbraid", "fbclid", "msclkid", "twclid", "li_fat_id", "mc_cid", "igshid", "ttclid",
		"rdt_cid", "epik", "qclid", "sccid", "irclid", "_kx"} {
		m[k] = "$initial_" + k
	}
	return m
}()

// evaluate filters the team's flags for the request, gathers the subject's
// properties and overrides, and evaluates. Failures of a lookup fail only the
// flags that needed it.
func (s *Server) evaluate(ctx context.Context, team *store.Team, set *store.FlagSet, fr *request.FlagRequest, q request.Query, r *http.Request, dst []evaluation.Result) []evaluation.Result {
	opt := evaluation.Options{Excluded: map[int]bool{}, Failed: map[int]string{}, Results: dst}
	runtime := fr.EvaluationRuntime
	if runtime == "" {
		runtime = inferRuntime(r)
	}
	for i, f := range set.Flags {
		switch {
		case q.OnlySurveyFlags && !strings.HasPrefix(f.Key, "survey-targeting-"):
			opt.Excluded[i] = true
		case !runtimeAllows(runtime, f.EvaluationRuntime):
			opt.Excluded[i] = true
		case len(fr.EvaluationContexts) > 0 && len(f.EvaluationContexts) > 0 && !shareTag(fr.EvaluationContexts, f.EvaluationContexts):
			opt.Excluded[i] = true
		}
	}
	var returned map[int]bool
	if fr.HasFlagKeys {
		opt.Only = set.Closure(fr.FlagKeys)
		returned = map[int]bool{}
		for _, k := range fr.FlagKeys {
			if i, ok := set.ByKey[k]; ok {
				returned[i] = true
			}
		}
	}
	evaluated := func(i int) bool {
		f := set.Flags[i]
		return f.Active && !f.Deleted && !opt.Excluded[i] && (opt.Only == nil || opt.Only[i])
	}

	subj := &evaluation.Subject{
		DistinctID:      fr.DistinctID,
		DeviceID:        fr.DeviceID,
		AnonDistinctID:  fr.AnonDistinctID,
		Groups:          fr.Groups,
		GroupProperties: map[int]map[string]any{},
		TZ:              team.Location(),
	}

	// What do the evaluated flags need from the database?
	needPerson := make([]bool, len(set.Flags))
	anyPerson, anyCohort := false, false
	groupIdx := map[int]bool{}
	var eecKeys []string
	var eecFlags []int
	for i := range set.Flags {
		if !evaluated(i) {
			continue
		}
		n := set.NeedsOf(i)
		if n.Cohorts {
			needPerson[i], anyCohort = true, true
		}
		for _, k := range n.PersonKeys {
			if _, ok := fr.PersonProperties[k]; !ok {
				needPerson[i] = true
				break
			}
		}
		if needPerson[i] {
			anyPerson = true
		}
		for _, g := range n.GroupIndexes {
			groupIdx[g] = true
		}
		if f := set.Flags[i]; f.EnsureExperienceContinuity {
			eecKeys = append(eecKeys, f.Key)
			eecFlags = append(eecFlags, i)
		}
	}
	if q.OnlyOverrides {
		anyPerson, anyCohort = false, false
		for i := range needPerson {
			needPerson[i] = false
		}
	}

	// Group type mapping and group properties.
	if len(groupIdx) > 0 {
		types, err := s.Store.GroupTypes(ctx, team.ID)
		if err != nil {
			s.Log.Warn("group type mapping failed", "team_id", team.ID, "err", err)
			types = map[int]string{}
		}
		subj.GroupTypes = types
		keys := map[int]string{}
		for idx := range groupIdx {
			name, ok := types[idx]
			if !ok {
				continue
			}
			if key, ok := groupKey(fr.Groups[name]); ok {
				keys[idx] = key
			}
		}
		props := map[int]map[string]any{}
		if len(keys) > 0 && !groupsOverridden(set, keys, fr, types, evaluated) {
			start := time.Now()
			var err error
			props, err = s.Store.GroupProperties(ctx, team.ID, keys)
			observeFetch(start, err)
			if err != nil {
				s.Log.Warn("group properties failed", "team_id", team.ID, "err", err)
				code := dbErrorCode(err)
				for i := range set.Flags {
					if evaluated(i) && len(set.NeedsOf(i).GroupIndexes) > 0 {
						opt.Failed[i] = code
					}
				}
				props = map[int]map[string]any{}
			}
		}
		for idx, key := range keys {
			m := map[string]any{}
			for k, v := range props[idx] {
				m[k] = v
			}
			for k, v := range fr.GroupProperties[types[idx]] {
				m[k] = v
			}
			m["$group_key"] = key
			subj.GroupProperties[idx] = m
		}
	}

	// Person properties: database, then request overrides, then $initial_.
	var person map[string]any
	var personID int64
	if anyPerson {
		start := time.Now()
		p, err := s.Store.PersonByDistinctID(ctx, team.ID, fr.DistinctID)
		metrics.PropertiesDBReads.Inc()
		observeFetch(start, err)
		if err != nil {
			s.Log.Warn("person properties failed", "team_id", team.ID, "err", err)
			code := dbErrorCode(err)
			for i, need := range needPerson {
				if need {
					opt.Failed[i] = code
				}
			}
		} else {
			personID = p.ID
			// The decoded row belongs to this request: extend it in place.
			person = p.Properties
			if person == nil { // no person row
				person = make(map[string]any, 1+len(fr.PersonProperties))
			}
			person["distinct_id"] = fr.DistinctID
		}
	}
	if person == nil {
		person = make(map[string]any, len(fr.PersonProperties))
	}
	for k, v := range fr.PersonProperties {
		person[k] = v
	}
	for k, initial := range initialProps {
		if v, ok := person[k]; ok {
			if _, has := person[initial]; !has {
				person[initial] = v
			}
		}
	}
	subj.Person = person

	if anyCohort && personID != 0 && len(set.StaticCohortIDs) > 0 {
		m, err := s.Store.StaticCohortMembership(ctx, personID, set.StaticCohortIDs)
		if err != nil {
			code := dbErrorCode(err)
			for i := range set.Flags {
				if evaluated(i) && set.NeedsOf(i).Cohorts {
					opt.Failed[i] = code
				}
			}
		}
		subj.StaticCohorts = m
	}

	if len(eecKeys) > 0 {
		metrics.EECRequests.Inc()
		start := time.Now()
		overrides, err := s.Store.HashKeyOverrides(ctx, team.ID, fr.DistinctID, fr.AnonDistinctID, eecKeys)
		metrics.HashKeyProcessing.Observe(time.Since(start).Seconds())
		if err != nil {
			s.Log.Warn("hash key overrides failed", "team_id", team.ID, "err", err)
			for _, i := range eecFlags {
				opt.Failed[i] = "hash_key_override_error"
			}
		}
		subj.HashKeyOverrides = overrides
	}

	start := time.Now()
	results := evaluation.Evaluate(set.FlagSet, subj, opt)
	metrics.EvaluationTime.Observe(time.Since(start).Seconds())
	for i := range results {
		if results[i].Flag == nil {
			continue
		}
		if returned != nil && !returned[i] {
			results[i] = evaluation.Result{}
			continue
		}
		if results[i].Failed {
			metrics.EvaluationErrors.WithLabelValues(results[i].Reason.Code).Inc()
		}
	}
	return results
}

// groupsOverridden reports whether the request supplies every group
// property the evaluated flags read, so the database can be skipped.
func groupsOverridden(set *store.FlagSet, keys map[int]string, fr *request.FlagRequest, types map[int]string, evaluated func(int) bool) bool {
	for i := range set.Flags {
		if !evaluated(i) {
			continue
		}
		for idx, ks := range set.NeedsOf(i).GroupKeys {
			if _, fetched := keys[idx]; !fetched {
				continue
			}
			over := fr.GroupProperties[types[idx]]
			for _, k := range ks {
				if _, ok := over[k]; !ok {
					return false
				}
			}
		}
	}
	return true
}

func groupKey(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, x != ""
	case nil:
		return "", false
	case bool, map[string]any, []any:
		return "", false
	}
	return jsonString(v), true
}

// Property fetch timers by outcome, curried once instead of a label lookup
// per request.
var (
	fetchOK  = metrics.PropertiesFetch.WithLabelValues("success")
	fetchErr = metrics.PropertiesFetch.WithLabelValues("error")
)

func observeFetch(start time.Time, err error) {
	o := fetchOK
	if err != nil {
		o = fetchErr
	}
	o.Observe(time.Since(start).Seconds())
}

func shareTag(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

// runtimeAllows applies the evaluation runtime filter: runtime "all" keeps
// everything; otherwise a flag with no runtime or "all" (or an unknown value)
// is kept, as is one naming the current runtime.
func runtimeAllows(current, flag string) bool {
	if current == "all" {
		return true
	}
	switch flag {
	case "", "all":
		return true
	case "client", "server":
		return flag == current
	}
	return true
}

// inferRuntime guesses client vs server from the User-Agent and browser
// headers when the body does not say.
func inferRuntime(r *http.Request) string {
	if rt := runtimeFromUA(r.UserAgent()); rt != "" {
		return rt
	}
	for _, h := range []string{"Origin", "Referer", "Sec-Fetch-Mode", "Sec-Fetch-Site"} {
		if r.Header.Get(h) != "" {
			return "client"
		}
	}
	return "unknown"
}

func runtimeFromUA(ua string) string {
	for _, p := range []string{"posthog-android/", "posthog-ios/", "posthog-react-native/", "posthog-flutter/"} {
		if strings.Contains(ua, p) {
			return "client"
		}
	}
	for _, p := range []string{"posthog-python/", "posthog-ruby/", "posthog-php/", "posthog-java/", "posthog-go/", "posthog-node/", "posthog-dotnet/", "posthog-elixir/", "python-requests/", "curl/"} {
		if strings.Contains(ua, p) {
			return "server"
		}
	}
	for _, p := range []string{"Mozilla/", "Chrome/", "Safari/", "Firefox/", "Edge/"} {
		if strings.Contains(ua, p) {
			return "client"
		}
	}
	return ""
}
