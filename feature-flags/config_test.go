package flags_test

import (
	"net/http"
	"testing"

	flags "github.com/hoggo/feature-flags"
)

func TestConfigDefaults(t *testing.T) {
	cfg, err := flags.LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Address != "0.0.0.0:3001" || cfg.MaxConcurrency != 1000 || cfg.MaxPGConnections != 10 ||
		cfg.NonPersonsReaderStmtMS != 5000 || cfg.WriterStmtMS != 10000 || cfg.BillingLimiterTTLSecs != 5 ||
		cfg.FlagsRateLimitEnabled || !cfg.FlagsRateLimitLogOnly || cfg.FlagsBucketCapacity != 500 || cfg.FlagsBucketReplenish != 10 ||
		cfg.FlagsIPBurstSize != 1000 || cfg.FlagsIPReplenishRate != 50 || cfg.FlagDefinitionsRate != 600 || cfg.EnableMetrics {
		t.Errorf("defaults: %+v", cfg)
	}
	t.Setenv("FLAGS_BUCKET_CAPACITY", "0")
	if _, err := flags.LoadConfig(); err == nil {
		t.Error("a zero bucket capacity must abort startup")
	}
	t.Setenv("FLAGS_BUCKET_CAPACITY", "5")
	t.Setenv("MAX_CONCURRENCY", "abc")
	if _, err := flags.LoadConfig(); err == nil {
		t.Error("a bad integer must fail")
	}
}

func TestDefinitionsRateLimit(t *testing.T) {
	e := newEnv(t, func(c *flags.Config) {
		c.FlagDefinitionsRate = 1
	})
	_, token := e.team()
	key := e.personalKey(nil)
	path := "/flags/definitions?token=" + token
	if code, _, _ := getDefinitions(e, path, key, ""); code != http.StatusOK {
		t.Fatalf("first = %d", code)
	}
	code, m, _ := getDefinitions(e, path, key, "")
	if code != http.StatusTooManyRequests || m["code"] != "rate_limit_exceeded" {
		t.Errorf("second = %d %v", code, m)
	}
	cfg := flags.Config{FlagDefinitionsRateLimits: `{"1":"lots"}`}
	if _, err := flags.New(t.Context(), cfg, nil); err == nil {
		t.Error("invalid FLAG_DEFINITIONS_RATE_LIMITS must fail")
	}
	if _, err := flags.New(t.Context(), flags.Config{TeamIDsToTrack: "1,x"}, nil); err == nil {
		t.Error("invalid TEAM_IDS_TO_TRACK must fail")
	}
}
