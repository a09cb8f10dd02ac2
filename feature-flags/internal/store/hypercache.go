package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/klauspost/compress/zstd"

	commonredis "github.com/hoggo/common/redis"

	"github.com/hoggo/feature-flags/internal/definitions"
	"github.com/hoggo/feature-flags/internal/metrics"
)

// Django's cache prefix (KEY_PREFIX "posthog", version 1).
const djangoPrefix = "posthog:1:"

// FlagsCacheKey is the HyperCache key of a team's flag definitions.
func FlagsCacheKey(teamID int) string {
	return djangoPrefix + "cache/teams/" + strconv.Itoa(teamID) + "/feature_flags/flags.json"
}

// ConfigCacheKey is the HyperCache key of a token's remote config blob.
func ConfigCacheKey(token string) string {
	return djangoPrefix + "cache/team_tokens/" + token + "/array/config.json"
}

var zstdDecoder, _ = zstd.NewReader(nil, zstd.WithDecoderMaxMemory(64<<20))

// errMissing is the HyperCache's "known empty" marker.
var errMissing = errors.New("hypercache: missing")

// getHyperCache reads and decodes a HyperCache value: zstd when compressed,
// then a pickled Python str holding JSON. (nil, nil) when the key is absent.
func (s *Store) getHyperCache(ctx context.Context, key string) ([]byte, error) {
	if s.redis == nil {
		return nil, nil
	}
	b, err := s.redis.GetBytes(ctx, key)
	if errors.Is(err, commonredis.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("hypercache get %s: %w", key, err)
	}
	return DecodeHyperCache(b)
}

// DecodeHyperCache decodes a HyperCache value to its JSON text.
func DecodeHyperCache(b []byte) ([]byte, error) {
	if len(b) >= 4 && binary.LittleEndian.Uint32(b) == 0xFD2FB528 {
		out, err := zstdDecoder.DecodeAll(b, nil)
		if err != nil {
			return nil, fmt.Errorf("hypercache zstd: %w", err)
		}
		b = out
	}
	if len(b) > 0 && b[0] == 0x80 {
		v, err := commonredis.DecodePickle(b)
		if err != nil {
			return nil, fmt.Errorf("hypercache pickle: %w", err)
		}
		switch x := v.(type) {
		case string:
			b = []byte(x)
		case []byte:
			b = x
		default:
			return nil, fmt.Errorf("hypercache: pickled %T, want a JSON string", v)
		}
	}
	if string(b) == "__missing__" {
		return nil, errMissing
	}
	return b, nil
}

func (s *Store) flagsFromRedis(ctx context.Context, teamID int) (*definitions.CacheEntry, error) {
	b, err := s.getHyperCache(ctx, FlagsCacheKey(teamID))
	if errors.Is(err, errMissing) {
		metrics.HypercacheGets.WithLabelValues("hit_redis", "feature_flags", "flags.json").Inc()
		return &definitions.CacheEntry{Flags: []*definitions.Flag{}}, nil
	}
	if err != nil {
		return nil, err
	}
	if b == nil {
		metrics.HypercacheGets.WithLabelValues("missing", "feature_flags", "flags.json").Inc()
		return nil, nil
	}
	var entry definitions.CacheEntry
	if err := json.Unmarshal(b, &entry); err != nil {
		return nil, fmt.Errorf("decode flags cache: %w", err)
	}
	if entry.Flags == nil {
		entry.Flags = []*definitions.Flag{}
	}
	metrics.HypercacheGets.WithLabelValues("hit_redis", "feature_flags", "flags.json").Inc()
	return &entry, nil
}

// RemoteConfig returns the Django RemoteConfig blob of a token, nil when
// absent.
func (s *Store) RemoteConfig(ctx context.Context, token string) (map[string]any, error) {
	b, err := s.getHyperCache(ctx, ConfigCacheKey(token))
	if err != nil || b == nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decode remote config: %w", err)
	}
	return m, nil
}

// TeamCacheKey is the HyperCache key of a token's team row.
func TeamCacheKey(token string) string {
	return djangoPrefix + "cache/team_tokens/" + token + "/team_metadata/full_metadata.json"
}

// teamFromRedis reads the team row Django caches per token; nil on a miss or
// any error (the caller falls back to Postgres).
func (s *Store) teamFromRedis(ctx context.Context, token string) *Team {
	b, err := s.getHyperCache(ctx, TeamCacheKey(token))
	if err != nil {
		if !errors.Is(err, errMissing) {
			metrics.TeamCacheErrors.Inc()
		}
		return nil
	}
	if b == nil {
		return nil
	}
	var t Team
	if err := json.Unmarshal(b, &t); err != nil || t.ID == 0 || t.APIToken != token {
		metrics.TeamCacheErrors.Inc()
		return nil
	}
	if t.ProjectID == 0 {
		t.ProjectID = int64(t.ID)
	}
	if t.Timezone == "" {
		t.Timezone = "UTC"
	}
	return &t
}
