package metrics

import (
	"fmt"
	"strconv"
	"strings"
)

// TeamFilter decides which team ids may appear as metric labels
// (TEAM_IDS_TO_TRACK: "all" or "*", "none", or a list like "1,5,7:9" with
// inclusive ranges).
type TeamFilter struct {
	all    bool
	ranges [][2]int
}

// ParseTeamFilter parses TEAM_IDS_TO_TRACK.
func ParseTeamFilter(s string) (TeamFilter, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "all", "*":
		return TeamFilter{all: true}, nil
	case "none":
		return TeamFilter{}, nil
	}
	var f TeamFilter
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, ":")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil {
			return TeamFilter{}, fmt.Errorf("TEAM_IDS_TO_TRACK: bad team id %q", part)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil || b < a {
				return TeamFilter{}, fmt.Errorf("TEAM_IDS_TO_TRACK: bad range %q", part)
			}
		}
		f.ranges = append(f.ranges, [2]int{a, b})
	}
	return f, nil
}

// Tracks reports whether team id gets its own label.
func (f TeamFilter) Tracks(id int) bool {
	if f.all {
		return true
	}
	for _, r := range f.ranges {
		if id >= r[0] && id <= r[1] {
			return true
		}
	}
	return false
}

// Label is the team_id label value: the id when tracked, else "other".
func (f TeamFilter) Label(id int) string {
	if f.Tracks(id) {
		return strconv.Itoa(id)
	}
	return "other"
}
