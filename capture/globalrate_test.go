package capture

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/hoggo/common/config"
	"github.com/hoggo/common/redis"
)

func TestGlobalRateLimitConfig(t *testing.T) {
	cfg := DefaultConfig()
	if cfg.GlobalRateLimitEnabled || cfg.GlobalRateLimitDryRun || cfg.GlobalRateLimitWindowIntervalSecs != 60 ||
		cfg.GlobalRateLimitSyncIntervalSecs != 15 || cfg.GlobalRateLimitTickIntervalMs != 1000 ||
		cfg.GlobalRateLimitTokenDistinctIDThreshold != 300000 || cfg.GlobalRateLimitTokenDistinctIDOverridesCSV != "" ||
		cfg.GlobalRateLimitTokenDistinctIDLocalCacheEntries != 5000000 || cfg.GlobalRateLimitMinSyncFloor != 10 ||
		cfg.GlobalRateLimitMaxSyncKeysPerTick != 20000 || cfg.GlobalRateLimitMaxKeysPerCommand != 2000 ||
		cfg.GlobalRateLimitMaxConcurrentCommands != 4 || cfg.GlobalRateLimitMaxWriteBatchEntries != 200000 ||
		cfg.GlobalRateLimitMaxPendingSyncEntries != 200000 || cfg.GlobalRateLimitLocalCacheTTLSecs != 600 ||
		cfg.GlobalRateLimitLocalCacheIdleTimeoutSecs != 300 || cfg.GlobalRateLimitReadTimeoutMs != 250 ||
		cfg.GlobalRateLimitWriteTimeoutMs != 250 || cfg.GlobalRateLimitMaxReadOutageSecs != nil ||
		cfg.GlobalRateLimitTokenThreshold != 5000000 || cfg.GlobalRateLimitTokenLocalCacheEntries != 300000 ||
		cfg.GlobalRateLimitRedisURL != "" || cfg.GlobalRateLimitRedisReaderURL != "" ||
		cfg.GlobalRateLimitRedisResponseTimeoutMs != nil || cfg.GlobalRateLimitRedisConnectionTimeoutMs != nil ||
		cfg.GlobalRateLimitCustomThresholdKey != "" || cfg.GlobalRateLimitCustomThresholdRefreshSecs != 60 {
		t.Errorf("defaults differ from config.rs: %+v", cfg)
	}
	cfg, err := config.ParseFrom[Config](map[string]string{
		"GLOBAL_RATE_LIMIT_ENABLED": "true", "GLOBAL_RATE_LIMIT_DRY_RUN": "true",
		"GLOBAL_RATE_LIMIT_TOKEN_DISTINCTID_THRESHOLD":     "42",
		"GLOBAL_RATE_LIMIT_TOKEN_DISTINCTID_OVERRIDES_CSV": "phc_a=5",
		"GLOBAL_RATE_LIMIT_REDIS_RESPONSE_TIMEOUT_MS":      "0",
		"GLOBAL_RATE_LIMIT_MAX_READ_OUTAGE_SECS":           "0",
		"GLOBAL_RATE_LIMIT_CUSTOM_THRESHOLD_KEY":           "grl_thresholds",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.GlobalRateLimitEnabled || !cfg.GlobalRateLimitDryRun || cfg.GlobalRateLimitTokenDistinctIDThreshold != 42 ||
		cfg.GlobalRateLimitTokenDistinctIDOverridesCSV != "phc_a=5" || intOr(cfg.GlobalRateLimitRedisResponseTimeoutMs, 100) != 0 ||
		intOr(cfg.GlobalRateLimitMaxReadOutageSecs, 60) != 0 || cfg.GlobalRateLimitCustomThresholdKey != "grl_thresholds" {
		t.Errorf("from env: %+v", cfg)
	}
}

// newGlobalRate builds on the shared client without touching Redis (the
// client is lazy and the limiter does no I/O until it runs), and refuses a
// zero window instead of never limiting.
func TestNewGlobalRate(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	shared, err := redis.New(context.Background(), "redis://127.0.0.1:1/0", redis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer shared.Close()
	cfg := DefaultConfig()
	cfg.GlobalRateLimitEnabled = true
	cfg.GlobalRateLimitTokenDistinctIDThreshold = 2
	cfg.GlobalRateLimitTokenDistinctIDOverridesCSV = "phc_vip=100"
	cfg.GlobalRateLimitMinSyncFloor = 0
	grl, closeGRL, err := newGlobalRate(context.Background(), &cfg, shared, log)
	if err != nil {
		t.Fatal(err)
	}
	if grl.IsLimited("phc_a:u") || !grl.IsLimited("phc_a:u") {
		t.Error("threshold 2 not applied")
	}
	for range 5 {
		if grl.IsLimited("phc_vip:u") {
			t.Fatal("token-level CSV override not applied to token:distinct_id")
		}
	}
	closeGRL()

	cfg.GlobalRateLimitWindowIntervalSecs = 0
	if _, _, err := newGlobalRate(context.Background(), &cfg, shared, log); err == nil {
		t.Error("zero window accepted")
	}
}
