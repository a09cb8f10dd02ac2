package api

import (
	"net/http/httptest"
	"testing"
)

func TestClientIP(t *testing.T) {
	cases := []struct{ xff, remote, want string }{
		{"1.2.3.4", "9.9.9.9:1", "1.2.3.4"},
		{"1.2.3.4, 5.6.7.8", "9.9.9.9:1", "1.2.3.4"},
		{"1.2.3.4:8080", "9.9.9.9:1", "1.2.3.4"},
		{"2001:db8::1", "9.9.9.9:1", "2001:db8::1"},
		{"[2001:db8::1]:443", "9.9.9.9:1", "2001:db8::1"},
		{"", "9.9.9.9:1", "9.9.9.9"},
		{"not-an-ip", "9.9.9.9:1", "9.9.9.9"},
		{" ", "9.9.9.9:1", "9.9.9.9"},
		{"::1", "9.9.9.9:1", "::1"},
		{"fe80::1", "9.9.9.9:1", "fe80::1"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("POST", "/flags", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := ClientIP(r); got != c.want {
			t.Errorf("XFF %q: %q, want %q", c.xff, got, c.want)
		}
	}
}

func TestRequestID(t *testing.T) {
	r := httptest.NewRequest("POST", "/flags", nil)
	r.Header.Set("X-REQUEST-ID", "2B0E8D52-1A9C-4B6F-9F0E-3F6C2A1D9E11")
	if got := requestID(r); got != "2b0e8d52-1a9c-4b6f-9f0e-3f6c2a1d9e11" {
		t.Errorf("valid id = %s", got)
	}
	r.Header.Set("X-REQUEST-ID", "nope")
	if got := requestID(r); len(got) != 36 || got == "nope" {
		t.Errorf("invalid id = %s", got)
	}
}

func TestRuntimeInference(t *testing.T) {
	cases := []struct{ ua, origin, want string }{
		{"Mozilla/5.0 (X11)", "", "client"},
		{"posthog-go/1.24.4", "", "server"},
		{"posthog-android/3.0", "", "client"},
		{"curl/8.0", "", "server"},
		{"something", "https://app.example", "client"},
		{"something", "", "unknown"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("POST", "/flags", nil)
		r.Header.Set("User-Agent", c.ua)
		if c.origin != "" {
			r.Header.Set("Origin", c.origin)
		}
		if got := inferRuntime(r); got != c.want {
			t.Errorf("%q: %s, want %s", c.ua, got, c.want)
		}
	}
	if !runtimeAllows("client", "") || !runtimeAllows("client", "all") || runtimeAllows("client", "server") ||
		!runtimeAllows("all", "server") || runtimeAllows("unknown", "client") || !runtimeAllows("server", "weird") {
		t.Error("runtime filter rules")
	}
}
