package jsnum

import (
	"math"
	"testing"
)

func TestFormat(t *testing.T) {
	cases := map[float64]string{
		1: "1", -1.5: "-1.5", 0.1: "0.1", 1e21: "1e+21", 1e20: "100000000000000000000",
		1e-7: "1e-7", 0.000001: "0.000001", 123.456: "123.456", math.NaN(): "NaN",
		math.Inf(1): "Infinity", math.Inf(-1): "-Infinity", 1.7976931348623157e308: "1.7976931348623157e+308",
		5e-324: "5e-324", math.Copysign(0, -1): "0", 2.5e-5: "0.000025", 1.5e300: "1.5e+300",
	}
	for f, want := range cases {
		if got := Format(f); got != want {
			t.Errorf("Format(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestParse(t *testing.T) {
	cases := map[string]float64{"": 0, "  12 ": 12, "0x1f": 31, "1e3": 1000, ".5": 0.5, "5.": 5, "-Infinity": math.Inf(-1)}
	for s, want := range cases {
		if got := Parse(s); got != want {
			t.Errorf("Parse(%q) = %v, want %v", s, got, want)
		}
	}
	for _, s := range []string{"abc", "1_000", "inf", "NaN", "1e", "0x", "1.2.3"} {
		if got := Parse(s); got == got {
			t.Errorf("Parse(%q) = %v, want NaN", s, got)
		}
	}
	if ParseInt("12abc") != 12 || ParseInt("1.9") != 1 || ParseInt(" -0x10") != -16 {
		t.Error("ParseInt")
	}
	if ParseFloat("1.5e2xyz") != 150 || ParseFloat("  -.5") != -0.5 {
		t.Error("ParseFloat")
	}
	if f := ParseInt("abc"); f == f {
		t.Error("ParseInt(abc) should be NaN")
	}
}
