package limiters

import "strings"

// TokenDropper drops events by token or by token and distinct_id, configured
// from DROP_EVENTS_BY_TOKEN_DISTINCT_ID: comma-separated entries `token`
// (drop all of the token's events) or `token:distinct_id`; blanks are ignored.
type TokenDropper struct {
	all  map[string]struct{}
	pair map[string]map[string]struct{}
}

// NewTokenDropper parses config. An empty config drops nothing.
func NewTokenDropper(config string) *TokenDropper {
	d := &TokenDropper{all: map[string]struct{}{}, pair: map[string]map[string]struct{}{}}
	for _, entry := range strings.Split(config, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		token, distinctID, ok := strings.Cut(entry, ":")
		if !ok {
			d.all[token] = struct{}{}
			continue
		}
		if d.pair[token] == nil {
			d.pair[token] = map[string]struct{}{}
		}
		d.pair[token][distinctID] = struct{}{}
	}
	return d
}

// ShouldDrop reports whether an event of token and distinctID must be dropped.
func (d *TokenDropper) ShouldDrop(token, distinctID string) bool {
	if _, ok := d.all[token]; ok {
		return true
	}
	_, ok := d.pair[token][distinctID]
	return ok
}
