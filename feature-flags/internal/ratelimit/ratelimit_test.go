package ratelimit

import "testing"

func TestModes(t *testing.T) {
	if d := New(false, false, 1, 1); d.Check("k") != Allowed || d.Check("k") != Allowed {
		t.Error("disabled limiter must allow")
	}
	l := New(true, false, 0.001, 2)
	if l.Check("k") != Allowed || l.Check("k") != Allowed || l.Check("k") != Blocked {
		t.Error("enforcing limiter: burst of 2 then blocked")
	}
	if l.Check("other") != Allowed {
		t.Error("keys are independent")
	}
	w := New(true, true, 0.001, 1)
	if w.Check("k") != Allowed || w.Check("k") != Warned {
		t.Error("log-only limiter warns")
	}
	var nilLimiter *Limiter
	if nilLimiter.Check("k") != Allowed {
		t.Error("nil limiter allows")
	}
}
