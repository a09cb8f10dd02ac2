// Command bench measures capture end to end on loopback: it starts an
// in-process Kafka (kfake), runs the capture binary against it as a child
// process, drives it with HTTP load (single events and 50-event batches) and
// reports events/s per core of capture's CPU time, latency percentiles at a
// fixed request rate, and capture's peak RSS. Every phase is bounded in time.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hoggo/common/kafkatest"
	"github.com/hoggo/common/loadgen"
)

func main() {
	bin := flag.String("capture", "", "path to the capture binary")
	dur := flag.Duration("duration", 10*time.Second, "length of each throughput phase")
	rate := flag.Int("rate", 2000, "requests per second of the latency phase")
	workers := flag.Int("workers", 32, "concurrent clients in throughput phases")
	var env envList
	flag.Var(&env, "env", "KEY=VALUE added to capture's environment (repeatable), e.g. -env GOGC=100")
	flag.Parse()
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "usage: bench -capture PATH")
		os.Exit(2)
	}
	if err := run(*bin, *dur, *rate, *workers, env); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(bin string, dur time.Duration, rate, workers int, env []string) error {
	cluster, err := kafkatest.Start(kafkatest.Options{Port: -1, Topics: []string{"events_plugin_ingestion", "events_plugin_ingestion_overflow", "events_plugin_ingestion_historical"}})
	if err != nil {
		return err
	}
	defer cluster.Close()

	addr := fmt.Sprintf("127.0.0.1:%d", freePort())
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"ADDRESS="+addr, "KAFKA_HOSTS="+cluster.Addr(), "KAFKA_PRODUCER_LINGER_MS=0",
		"LOG_LEVEL=warn", "REDIS_URL=redis://127.0.0.1:6379/0")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start capture: %w", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	base := "http://" + addr
	if err := waitReady(base, 30*time.Second); err != nil {
		return err
	}
	pid := cmd.Process.Pid
	ctx := context.Background()

	single := func(i int) []byte {
		return fmt.Appendf(nil, `{"api_key":"phc_bench","event":"$pageview","distinct_id":"user-%d","properties":{"$current_url":"https://example.com/pricing","$browser":"Firefox","$os":"Linux","$lib":"web","plan":"pro"}}`, i%1000)
	}
	batch := buildBatch(50)

	fmt.Printf("machine: %s, GOMAXPROCS of capture = default\n", cpuModel())
	fmt.Printf("%-28s %12s %12s %12s %10s %10s\n", "phase", "req/s", "events/s", "ev/s/core", "p50", "p99")
	// The fixed-rate phase runs first: kfake keeps every record in this
	// process's heap, and after the throughput phases (a million events)
	// its garbage collection competes with capture for the two cores. A
	// second of traffic at the same rate opens the connections and warms
	// capture up first.
	paced := loadgen.Options{URL: base + "/i/v0/e/", Body: single, Workers: 64, Rate: rate, Duration: time.Second}
	if _, err := loadgen.Run(ctx, paced); err != nil {
		return err
	}
	paced.Duration = dur
	under0, total0 := serverUnder5ms(base)
	cpu0, self0 := cpuSeconds(pid), cpuSeconds(os.Getpid())
	res, err := loadgen.Run(ctx, paced)
	if err != nil {
		return err
	}
	cpu, self := cpuSeconds(pid)-cpu0, cpuSeconds(os.Getpid())-self0
	under, total := serverUnder5ms(base)
	fmt.Printf("%-28s %12.0f %12.0f %12.0f %10s %10s  (errors %d, capture cpu %.1fs = %.0f%% of a core; "+
		"load generator + kfake %.0f%%; p99.9 %s, max %s; %d sent late; capture's own histogram: %.2f%% under 5 ms)\n",
		fmt.Sprintf("single events @ %d req/s", rate), float64(res.OK)/dur.Seconds(), float64(res.OK)/dur.Seconds(),
		float64(res.OK)/cpu, pct(&res, 50), pct(&res, 99), res.Errors, cpu, 100*cpu/dur.Seconds(), 100*self/dur.Seconds(),
		pct(&res, 99.9), pct(&res, 100), res.Late, 100*(under-under0)/(total-total0))
	report(res)
	for _, ph := range []struct {
		name   string
		path   string
		body   func(i int) []byte
		events int
	}{
		{"single events, max", "/i/v0/e/", single, 1},
		{"50-event batches, max", "/batch/", func(int) []byte { return batch }, 50},
	} {
		cpu0 := cpuSeconds(pid)
		res, err := loadgen.Run(ctx, loadgen.Options{URL: base + ph.path, Body: ph.body, Workers: workers, Duration: dur})
		if err != nil {
			return err
		}
		cpu := cpuSeconds(pid) - cpu0
		evs := float64(res.OK*ph.events) / dur.Seconds()
		fmt.Printf("%-28s %12.0f %12.0f %12.0f %10s %10s  (errors %d, capture cpu %.1fs)\n", ph.name,
			float64(res.OK)/dur.Seconds(), evs, float64(res.OK*ph.events)/cpu, pct(&res, 50), pct(&res, 99), res.Errors, cpu)
		report(res)
	}
	fmt.Printf("capture peak RSS: %s\n", peakRSS(pid))
	return nil
}

func pct(r *loadgen.Result, p float64) string {
	return r.Percentile(p).Round(10 * time.Microsecond).String()
}

func report(r loadgen.Result) {
	if r.FirstError != nil {
		fmt.Printf("  first failure: %v\n", r.FirstError)
	}
}

// cpuSeconds is the CPU time pid has used so far.
func cpuSeconds(pid int) float64 {
	d, err := loadgen.ProcessCPU(pid)
	if err != nil {
		return 0
	}
	return d.Seconds()
}

// serverUnder5ms reads capture's http_requests_duration_seconds histogram
// for single-event posts: requests that took at most 5 ms inside capture
// (its first bucket), and all of them. Comparing it with the client's
// percentiles tells capture's time apart from the loopback and the load
// generator's own scheduling.
func serverUnder5ms(base string) (under, total float64) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return 0, 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "http_requests_duration_seconds_bucket{") || !strings.Contains(line, `path="/i/v0/e"`) ||
			!strings.Contains(line, `status="200"`) {
			continue
		}
		_, v, _ := strings.Cut(line, "} ")
		n, _ := strconv.ParseFloat(v, 64)
		switch {
		case strings.Contains(line, `le="0.005"`):
			under += n
		case strings.Contains(line, `le="+Inf"`):
			total += n
		}
	}
	return under, total
}

// envList collects repeated -env flags.
type envList []string

func (e *envList) String() string     { return strings.Join(*e, " ") }
func (e *envList) Set(v string) error { *e = append(*e, v); return nil }

func buildBatch(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"api_key":"phc_bench","batch":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"event":"$pageview","distinct_id":"user-%d","timestamp":"2025-07-01T00:00:00Z","properties":{"$current_url":"https://example.com/docs/%d","$browser":"Chrome","$browser_version":126,"$os":"Mac OS X","$screen_height":1080,"$screen_width":1920,"$lib":"posthog-node","$lib_version":"4.0.0","$session_id":"0190a3c2-7c1e-7d3a-9a4e-3c2b1a0f9e8d","plan":"enterprise","seats":%d}}`, i%7, i, i)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

func waitReady(base string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/_readiness")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("capture not ready after %s", timeout)
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func peakRSS(pid int) string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:"))
		}
	}
	return "?"
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "model name") {
			_, v, _ := strings.Cut(line, ":")
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
