package recordings

import "testing"

func TestLibFromUserAgent(t *testing.T) {
	for ua, want := range map[string]string{
		"":                         "unknown",
		"posthog-android/3.1.0":    "posthog-android",
		"PostHog-iOS/3.2 (iPhone)": "PostHog-iOS",
		"Mozilla/5.0 (X11; Linux)": "web",
		"posthog-react-native":     "posthog-react-native",
	} {
		if got := libFromUserAgent(ua); got != want {
			t.Errorf("libFromUserAgent(%q) = %q, want %q", ua, got, want)
		}
	}
}
