package request

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/hoggo/feature-flags/internal/hash"
	"github.com/hoggo/feature-flags/internal/matching"
)

// FlagRequest is the decoded body of a /flags request.
type FlagRequest struct {
	Token              string
	DistinctID         string
	HasDistinctID      bool
	PersonProperties   map[string]any
	Groups             map[string]any
	GroupProperties    map[string]map[string]any
	AnonDistinctID     string
	DeviceID           string
	GeoIPDisable       bool
	DisableFlags       bool
	FlagKeys           []string
	HasFlagKeys        bool
	IPAddress          string
	Timezone           string
	CookielessExtra    string
	EvaluationContexts []string
	EvaluationRuntime  string // "", "all", "client" or "server"
}

// Parse reads the FlagRequest fields (with their aliases) from a decoded
// body. A field of the wrong type is an error, as the reference's struct
// deserialisation fails on it.
func Parse(m map[string]any) (*FlagRequest, error) {
	r := &FlagRequest{}
	var err error
	if r.Token, err = str(m, "token", "$token", "api_key"); err != nil {
		return nil, err
	}
	if v, ok := first(m, "distinct_id", "$distinct_id"); ok && v != nil {
		switch x := v.(type) {
		case string:
			r.DistinctID = x
		case json.Number:
			r.DistinctID = matching.String(x)
		default:
			return nil, fmt.Errorf("distinct_id must be a string or a number")
		}
		r.HasDistinctID = true
		r.DistinctID = hash.Truncate(r.DistinctID)
	}
	if r.PersonProperties, err = object(m, "person_properties", "$properties"); err != nil {
		return nil, err
	}
	if r.Groups, err = object(m, "groups", "$groups"); err != nil {
		return nil, err
	}
	gp, err := object(m, "group_properties", "$group_properties")
	if err != nil {
		return nil, err
	}
	if gp != nil {
		r.GroupProperties = make(map[string]map[string]any, len(gp))
		for k, v := range gp {
			switch x := v.(type) {
			case map[string]any:
				r.GroupProperties[k] = x
			case nil:
			default:
				return nil, fmt.Errorf("group_properties.%s must be an object", k)
			}
		}
	}
	if r.AnonDistinctID, err = str(m, "$anon_distinct_id", "anon_distinct_id"); err != nil {
		return nil, err
	}
	if r.DeviceID, err = str(m, "$device_id", "device_id"); err != nil {
		return nil, err
	}
	if r.DeviceID == "" && r.PersonProperties != nil {
		if d, ok := r.PersonProperties["$device_id"].(string); ok {
			r.DeviceID = d
		}
	}
	if r.GeoIPDisable, err = boolean(m, "geoip_disable"); err != nil {
		return nil, err
	}
	if r.DisableFlags, err = boolean(m, "disable_flags"); err != nil {
		return nil, err
	}
	if r.FlagKeys, r.HasFlagKeys, err = strings_(m, "flag_keys", "flag_keys_to_evaluate"); err != nil {
		return nil, err
	}
	if r.EvaluationContexts, _, err = strings_(m, "evaluation_contexts", "evaluation_environments"); err != nil {
		return nil, err
	}
	if r.IPAddress, err = str(m, "ip_address"); err != nil {
		return nil, err
	}
	if r.Timezone, err = str(m, "timezone"); err != nil {
		return nil, err
	}
	if r.CookielessExtra, err = str(m, "cookieless_hash_extra"); err != nil {
		return nil, err
	}
	rt, err := str(m, "evaluation_runtime")
	if err != nil {
		return nil, err
	}
	switch strings.ToLower(rt) {
	case "client":
		r.EvaluationRuntime = "client"
	case "server":
		r.EvaluationRuntime = "server"
	case "":
	default:
		r.EvaluationRuntime = "all"
	}
	return r, nil
}

func first(m map[string]any, keys ...string) (any, bool) {
	for _, k := range keys {
		if v, ok := m[k]; ok {
			return v, true
		}
	}
	return nil, false
}

func str(m map[string]any, keys ...string) (string, error) {
	v, ok := first(m, keys...)
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s must be a string", keys[0])
	}
	return s, nil
}

func object(m map[string]any, keys ...string) (map[string]any, error) {
	v, ok := first(m, keys...)
	if !ok || v == nil {
		return nil, nil
	}
	o, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s must be an object", keys[0])
	}
	return o, nil
}

func boolean(m map[string]any, key string) (bool, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return false, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("%s must be a boolean", key)
	}
	return b, nil
}

func strings_(m map[string]any, keys ...string) ([]string, bool, error) {
	v, ok := first(m, keys...)
	if !ok || v == nil {
		return nil, false, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, false, fmt.Errorf("%s must be a list of strings", keys[0])
	}
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		s, ok := e.(string)
		if !ok {
			return nil, false, fmt.Errorf("%s must be a list of strings", keys[0])
		}
		out = append(out, s)
	}
	return out, true, nil
}

// Query holds the /flags query parameters.
type Query struct {
	Version          int  // parsed v / version; 0 when absent
	HasVersion       bool // v was present (even if unparsable → 1)
	Compression      Compression
	LibVersion       string
	SentAt           string
	Config           bool
	HasConfig        bool
	OnlySurveyFlags  bool
	DetailedAnalysis bool
	OnlyOverrides    bool
}

// ParseQuery reads the query string; empty values count as absent except for
// the boolean flags, where presence means true.
func ParseQuery(q url.Values) Query {
	var out Query
	if v := firstParam(q, "v", "version"); v != "" {
		out.HasVersion = true
		n, err := strconv.Atoi(v)
		if err != nil {
			if f, ferr := strconv.ParseFloat(v, 64); ferr == nil {
				n = int(f)
			} else {
				n = 1
			}
		}
		out.Version = n
	}
	out.Compression = ParseCompression(q.Get("compression"))
	out.LibVersion = firstParam(q, "ver", "lib_version")
	out.SentAt = firstParam(q, "_", "sent_at")
	out.Config, out.HasConfig = boolParam(q, "config")
	out.OnlySurveyFlags, _ = boolParam(q, "only_evaluate_survey_feature_flags")
	out.DetailedAnalysis, _ = boolParam(q, "detailed_analysis")
	out.OnlyOverrides, _ = boolParam(q, "only_use_override_person_properties")
	return out
}

func firstParam(q url.Values, keys ...string) string {
	for _, k := range keys {
		if v := q.Get(k); v != "" {
			return v
		}
	}
	return ""
}

func boolParam(q url.Values, key string) (value, present bool) {
	vs, ok := q[key]
	if !ok {
		return false, false
	}
	v := ""
	if len(vs) > 0 {
		v = vs[0]
	}
	switch strings.ToLower(v) {
	case "false", "0", "no", "off":
		return false, true
	}
	return true, true
}

// SniffToken reads the token from a raw (undecoded) body for the rate
// limiter: token, then api_key, then $token.
func SniffToken(body []byte) string {
	var m struct {
		Token  *string `json:"token"`
		APIKey *string `json:"api_key"`
		Dollar *string `json:"$token"`
	}
	if json.Unmarshal(body, &m) != nil {
		return ""
	}
	for _, p := range []*string{m.Token, m.APIKey, m.Dollar} {
		if p != nil && *p != "" {
			return *p
		}
	}
	return ""
}
