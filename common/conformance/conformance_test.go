package conformance

import (
	"os"
	"testing"
)

func TestDirFindsManifests(t *testing.T) {
	for _, area := range []string{"capture", "feature-flags", "hogvm", "cymbal", "hooks"} {
		if _, err := os.Stat(Path(t, area, "MANIFEST.md")); err != nil {
			t.Errorf("%s: %v", area, err)
		}
	}
	if _, err := Find("no-such-area"); err == nil {
		t.Error("Find of a missing area succeeded")
	}
}
