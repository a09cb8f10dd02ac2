package config_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/caarlos0/env/v11"

	"github.com/hoggo/common/config"
)

type kafkaConfig struct {
	Hosts    string `env:"KAFKA_HOSTS" envDefault:"localhost:9092"`
	LingerMs int    `env:"KAFKA_PRODUCER_LINGER_MS" envDefault:"20"`
}

type serviceConfig struct {
	Address  string `env:"ADDRESS" envDefault:"127.0.0.1:3000"`
	RedisURL string `env:"REDIS_URL,required"`
	Port     int    `env:"BIND_PORT" envDefault:"3301"`
	Debug    bool   `env:"DEBUG"`
	Kafka    kafkaConfig
	Replay   struct {
		LingerMs int `env:"LINGER_MS" envDefault:"5"`
	} `envPrefix:"REPLAY_"`
}

func TestParseDefaultsAndValues(t *testing.T) {
	t.Setenv("REDIS_URL", "redis://127.0.0.1:6379")
	t.Setenv("KAFKA_PRODUCER_LINGER_MS", "7")
	cfg, err := config.Parse[serviceConfig]()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Address != "127.0.0.1:3000" || cfg.RedisURL != "redis://127.0.0.1:6379" || cfg.Port != 3301 ||
		cfg.Kafka.Hosts != "localhost:9092" || cfg.Kafka.LingerMs != 7 || cfg.Replay.LingerMs != 5 {
		t.Fatalf("unexpected config %+v", cfg)
	}
}

func TestParseIntoKeepsPresetValues(t *testing.T) {
	t.Setenv("REDIS_URL", "redis://x")
	cfg := serviceConfig{Debug: true}
	if err := config.ParseInto(&cfg); err != nil {
		t.Fatal(err)
	}
	if !cfg.Debug {
		t.Fatal("preset Debug was overwritten although DEBUG is unset")
	}
}

func TestMissingRequiredNamesVariable(t *testing.T) {
	_, err := config.ParseFrom[serviceConfig](map[string]string{})
	if err == nil {
		t.Fatal("want an error for missing REDIS_URL")
	}
	if !strings.Contains(err.Error(), "REDIS_URL") {
		t.Fatalf("error does not name REDIS_URL: %v", err)
	}
	var unset env.VarIsNotSetError
	if !errors.As(err, &unset) || unset.Key != "REDIS_URL" {
		t.Fatalf("library error not reachable with errors.As: %v", err)
	}
}

func TestMalformedIntNamesVariable(t *testing.T) {
	_, err := config.ParseFrom[serviceConfig](map[string]string{
		"REDIS_URL":                "redis://x",
		"KAFKA_PRODUCER_LINGER_MS": "twenty",
	})
	if err == nil {
		t.Fatal("want an error for a malformed int")
	}
	msg := err.Error()
	if !strings.Contains(msg, "KAFKA_PRODUCER_LINGER_MS") {
		t.Fatalf("error does not name KAFKA_PRODUCER_LINGER_MS: %v", err)
	}
	if strings.Contains(msg, "REPLAY_LINGER_MS") {
		t.Fatalf("error names the unset twin variable: %v", err)
	}
}

func TestMalformedPrefixedIntNamesVariable(t *testing.T) {
	_, err := config.ParseFrom[serviceConfig](map[string]string{
		"REDIS_URL":        "redis://x",
		"REPLAY_LINGER_MS": "x",
		"BIND_PORT":        "99999999999999999999",
	})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, name := range []string{"REPLAY_LINGER_MS", "BIND_PORT"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}

func TestNotAStruct(t *testing.T) {
	var n int
	if err := config.ParseInto(&n); err == nil {
		t.Fatal("want an error for a non-struct target")
	}
}

func ExampleParseFrom() {
	type Config struct {
		Address string `env:"ADDRESS" envDefault:"127.0.0.1:3000"`
		Workers int    `env:"WORKERS" envDefault:"4"`
	}
	_, err := config.ParseFrom[Config](map[string]string{"WORKERS": "four"})
	fmt.Println(err)
	// Output: config: invalid value for WORKERS (int): strconv.ParseInt: parsing "four": invalid syntax
}
