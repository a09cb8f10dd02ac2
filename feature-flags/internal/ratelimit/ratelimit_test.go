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

func TestParseRate(t *testing.T) {
	cases := map[string]float64{"600/minute": 10, "1200/minute": 20, "10/second": 10, "3600/hour": 1, "86400/day": 1}
	for in, want := range cases {
		r, _, err := ParseRate(in)
		if err != nil || r != want {
			t.Errorf("%s = %v %v, want %v", in, r, err, want)
		}
	}
	for _, bad := range []string{"", "10", "x/minute", "10/fortnight", "-1/second"} {
		if _, _, err := ParseRate(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	p, err := NewPerKey(1, map[string]string{"7": "2/minute"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Check("1") != Allowed || p.Check("1") != Blocked {
		t.Error("default 1/minute")
	}
	if p.Check("7") != Allowed || p.Check("7") != Allowed || p.Check("7") != Blocked {
		t.Error("override 2/minute")
	}
}
