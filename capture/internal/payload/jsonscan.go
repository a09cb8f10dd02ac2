package payload

import "github.com/hoggo/common/jsonscan"

// scanner is common/jsonscan's strict cursor with payload's decoding
// methods on top (body.go, event.go). Input is checked for valid UTF-8
// before scanning.
type scanner struct {
	jsonscan.Scanner
}

// isSyntax reports whether err is a JSON syntax error (as opposed to a shape error).
func isSyntax(err error) bool { return jsonscan.IsSyntax(err) }
