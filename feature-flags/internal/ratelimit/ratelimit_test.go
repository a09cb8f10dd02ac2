package ratelimit

import (
	"slices"
	"testing"
)

// checks runs Check n times on key and returns the decisions.
func checks(l interface{ Check(string) Decision }, key string, n int) []Decision {
	out := make([]Decision, n)
	for i := range out {
		out[i] = l.Check(key)
	}
	return out
}

func TestModes(t *testing.T) {
	if got := checks(New(false, false, 1, 1), "k", 2); !slices.Equal(got, []Decision{Allowed, Allowed}) {
		t.Errorf("disabled limiter must allow: %v", got)
	}
	l := New(true, false, 0.001, 2)
	if got := checks(l, "k", 3); !slices.Equal(got, []Decision{Allowed, Allowed, Blocked}) {
		t.Errorf("enforcing limiter: burst of 2 then blocked: %v", got)
	}
	if l.Check("other") != Allowed {
		t.Error("keys are independent")
	}
	if got := checks(New(true, true, 0.001, 1), "k", 2); !slices.Equal(got, []Decision{Allowed, Warned}) {
		t.Errorf("log-only limiter warns: %v", got)
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
	if got := checks(p, "1", 2); !slices.Equal(got, []Decision{Allowed, Blocked}) {
		t.Errorf("default 1/minute: %v", got)
	}
	if got := checks(p, "7", 3); !slices.Equal(got, []Decision{Allowed, Allowed, Blocked}) {
		t.Errorf("override 2/minute: %v", got)
	}
}
