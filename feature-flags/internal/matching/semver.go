package matching

import (
	"strconv"
	"strings"
)

// Version is a semantic version with Cargo semver ordering: pre-release
// versions sort before their release, build metadata breaks ties last.
type Version struct {
	Major, Minor, Patch uint64
	Pre                 []string
	Build               []string
}

// ParseVersionLenient parses a version the way the reference canonicalises
// SDK-reported versions: a leading "v" is stripped, missing minor/patch are
// padded with 0 and leading zeros of the numeric core are dropped; the
// pre-release and build suffixes are kept. nil when it still does not parse.
func ParseVersionLenient(s string) *Version {
	v, ok := parseLenient(s)
	if !ok {
		return nil
	}
	return &v
}

func parseLenient(s string) (Version, bool) {
	s = strings.TrimSpace(strings.TrimPrefix(s, "v"))
	if v, ok := parseSimple(s); ok {
		return v, true
	}
	if v := parseStrict(canonicalVersion(s)); v != nil {
		return *v, true
	}
	return Version{}, false
}

// parseSimple handles the common "X", "X.Y" and "X.Y.Z" forms (digits only)
// without allocating intermediate strings.
func parseSimple(s string) (Version, bool) {
	var nums [3]uint64
	part, digits := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if nums[part] > (1<<63)/10 {
				return Version{}, false
			}
			nums[part] = nums[part]*10 + uint64(c-'0')
			digits++
		case c == '.' && digits > 0 && part < 2:
			part++
			digits = 0
		default:
			return Version{}, false
		}
	}
	if digits == 0 {
		return Version{}, false
	}
	return Version{Major: nums[0], Minor: nums[1], Patch: nums[2]}, true
}

func canonicalVersion(s string) string {
	core, suffix := s, ""
	if i := strings.IndexAny(s, "-+"); i >= 0 {
		core, suffix = s[:i], s[i:]
	}
	parts := strings.Split(core, ".")
	for i, p := range parts {
		parts[i] = stripLeadingZeros(p)
	}
	for len(parts) < 3 {
		parts = append(parts, "0")
	}
	return strings.Join(parts, ".") + suffix
}

func stripLeadingZeros(p string) string {
	if p == "" || !allDigits(p) {
		return p
	}
	t := strings.TrimLeft(p, "0")
	if t == "" {
		return "0"
	}
	return t
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseStrict parses MAJOR.MINOR.PATCH[-pre][+build] with the semver crate's
// rules (no leading zeros in numeric identifiers, non-empty identifiers).
func parseStrict(s string) *Version {
	core, build, hasBuild := strings.Cut(s, "+")
	core, pre, hasPre := strings.Cut(core, "-")
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return nil
	}
	var nums [3]uint64
	for i, p := range parts {
		if !numericIdent(p) {
			return nil
		}
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return nil
		}
		nums[i] = n
	}
	v := &Version{Major: nums[0], Minor: nums[1], Patch: nums[2]}
	if hasPre {
		ids := strings.Split(pre, ".")
		for _, id := range ids {
			if !validIdent(id) || (allDigits(id) && len(id) > 1 && id[0] == '0') {
				return nil
			}
		}
		v.Pre = ids
	}
	if hasBuild {
		ids := strings.Split(build, ".")
		for _, id := range ids {
			if !validIdent(id) {
				return nil
			}
		}
		v.Build = ids
	}
	return v
}

func numericIdent(p string) bool {
	return p != "" && allDigits(p) && (len(p) == 1 || p[0] != '0')
}

func validIdent(id string) bool {
	if id == "" {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}

// Compare orders v and w: -1, 0 or 1.
func (v *Version) Compare(w *Version) int {
	if c := cmpU(v.Major, w.Major); c != 0 {
		return c
	}
	if c := cmpU(v.Minor, w.Minor); c != 0 {
		return c
	}
	if c := cmpU(v.Patch, w.Patch); c != 0 {
		return c
	}
	switch {
	case len(v.Pre) == 0 && len(w.Pre) > 0:
		return 1
	case len(v.Pre) > 0 && len(w.Pre) == 0:
		return -1
	}
	if c := cmpIdents(v.Pre, w.Pre); c != 0 {
		return c
	}
	return cmpIdents(v.Build, w.Build)
}

func (v *Version) base() [3]uint64 { return [3]uint64{v.Major, v.Minor, v.Patch} }

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpIdents(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		xn, yn := allDigits(x), allDigits(y)
		switch {
		case xn && yn:
			xv, _ := strconv.ParseUint(x, 10, 64)
			yv, _ := strconv.ParseUint(y, 10, 64)
			if c := cmpU(xv, yv); c != 0 {
				return c
			}
		case xn:
			return -1
		case yn:
			return 1
		default:
			if c := strings.Compare(x, y); c != 0 {
				return c
			}
		}
	}
	return cmpU(uint64(len(a)), uint64(len(b)))
}

// Requirement is a range [Lower, Upper) built from a tilde, caret or wildcard
// filter, with Cargo's rule that a pre-release version only matches when the
// lower bound is a pre-release of the same major.minor.patch.
type Requirement struct {
	Lower    *Version // nil = unbounded
	Upper    *Version // nil = unbounded (exclusive bound)
	AllowPre bool
}

// Matches reports whether v satisfies the requirement.
func (r *Requirement) Matches(v *Version) bool {
	if r.Lower != nil && v.Compare(r.Lower) < 0 {
		return false
	}
	if r.Upper != nil && v.Compare(r.Upper) >= 0 {
		return false
	}
	if len(v.Pre) > 0 {
		return r.Lower != nil && len(r.Lower.Pre) > 0 && v.base() == r.Lower.base()
	}
	return true
}

// upperPre is the smallest pre-release, so "<X.Y.0" excludes X.Y.0-alpha as
// Cargo's comparator does (pre-releases of the bound are never below it
// unless allowed by the lower bound).
func bound(major, minor, patch uint64) *Version {
	return &Version{Major: major, Minor: minor, Patch: patch, Pre: []string{"0"}}
}

func parseRequirement(op Operator, s string) *Requirement {
	norm := strings.TrimSpace(strings.TrimPrefix(s, "v"))
	switch op {
	case OpSemverTilde:
		v := parseStrict(canonicalVersion(norm))
		if v == nil {
			return nil
		}
		return &Requirement{Lower: v, Upper: bound(v.Major, v.Minor+1, 0)}
	case OpSemverCaret:
		v := parseStrict(canonicalVersion(norm))
		if v == nil {
			return nil
		}
		return caret(v, 3)
	case OpSemverWildcard:
		parts := strings.Split(norm, ".")
		for i, p := range parts {
			parts[i] = stripLeadingZeros(p)
		}
		return wildcard(parts)
	}
	return nil
}

func caret(v *Version, given int) *Requirement {
	r := &Requirement{Lower: v}
	switch {
	case v.Major > 0 || given == 1:
		r.Upper = bound(v.Major+1, 0, 0)
	case v.Minor > 0 || given == 2:
		r.Upper = bound(0, v.Minor+1, 0)
	default:
		r.Upper = bound(0, 0, v.Patch+1)
	}
	return r
}

// wildcard handles "*", "1.*", "1.2.*", "1.*.*" (and "x"/"X" spellings); a
// pattern without wildcards is a caret requirement, as Cargo reads a bare
// version.
func wildcard(parts []string) *Requirement {
	if len(parts) == 0 || len(parts) > 3 {
		return nil
	}
	isWild := func(p string) bool { return p == "*" || p == "x" || p == "X" }
	var nums []uint64
	wild := false
	for _, p := range parts {
		if isWild(p) {
			wild = true
			continue
		}
		if wild || !numericIdent(p) {
			return nil
		}
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return nil
		}
		nums = append(nums, n)
	}
	if !wild {
		v := parseStrict(strings.Join(append(parts, []string{"0", "0", "0"}[:3-len(parts)]...), "."))
		if v == nil {
			return nil
		}
		return caret(v, len(parts))
	}
	switch len(nums) {
	case 0:
		return &Requirement{}
	case 1:
		return &Requirement{Lower: &Version{Major: nums[0]}, Upper: bound(nums[0]+1, 0, 0)}
	default:
		return &Requirement{Lower: &Version{Major: nums[0], Minor: nums[1]}, Upper: bound(nums[0], nums[1]+1, 0)}
	}
}
