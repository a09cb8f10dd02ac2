package hogvm

import (
	"strings"
	"unicode"
)

// like is SQL LIKE as the reference implements it: % and _ wildcards, no
// escape character, unanchored (the pattern may match any substring), and
// wildcards do not match line terminators.
func like(s, pattern string, caseInsensitive bool) bool {
	canon := func(r rune) rune {
		if !caseInsensitive {
			return r
		}
		u := unicode.ToUpper(r)
		if r >= 128 && u < 128 {
			return r
		}
		if strings.ToUpper(string(r)) != string(u) {
			return r // multi-character upper-case mapping
		}
		return u
	}
	tokens := make([]rune, 0, len(pattern))
	for _, r := range pattern {
		tokens = append(tokens, canon(r))
	}
	matched := make([]bool, len(tokens)+1)
	matched[0] = true
	for j, t := range tokens {
		matched[j+1] = t == '%' && matched[j]
	}
	if matched[len(tokens)] {
		return true
	}
	for _, r := range s {
		c := canon(r)
		wildcard := c != '\n' && c != '\r' && c != 0x2028 && c != 0x2029
		previous := true
		for j, t := range tokens {
			saved := matched[j+1]
			if t == '%' {
				matched[j+1] = matched[j] || (saved && wildcard)
			} else {
				matched[j+1] = previous && ((t == '_' && wildcard) || (t != '_' && t == c))
			}
			previous = saved
		}
		if matched[len(tokens)] {
			return true
		}
	}
	return false
}
