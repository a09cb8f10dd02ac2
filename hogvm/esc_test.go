package hogvm

import "testing"

func TestEscaping(t *testing.T) {
	if got := Print(String("a'b\\c\n\t\x00\v\b\f\r`")); got != `'a\'b\\c\n\t\0\v\b\f\r`+"`'" {
		t.Errorf("Print = %s", got)
	}
	if got := escapeIdentifier("a`b c"); got != "`a\\`b c`" {
		t.Errorf("escapeIdentifier = %s", got)
	}
	if got := jsonStringify(String("q\"\\\n\x01é\xff🦔"), 0); got != `"q\"\\\n\u0001é\ufffd🦔"` {
		t.Errorf("jsonStringify = %s", got)
	}
}
