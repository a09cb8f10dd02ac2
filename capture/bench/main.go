// Command bench measures capture end to end on loopback: it starts an
// in-process Kafka (kfake), runs the capture binary against it as a child
// process, drives it with HTTP load (single events and 50-event batches) and
// reports events/s per core of capture's CPU time, latency percentiles at a
// fixed request rate, and capture's peak RSS. Every phase is bounded in time.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hoggo/common/kafkatest"
)

func main() {
	bin := flag.String("capture", "", "path to the capture binary")
	dur := flag.Duration("duration", 10*time.Second, "length of each throughput phase")
	rate := flag.Int("rate", 2000, "requests per second of the latency phase")
	workers := flag.Int("workers", 32, "concurrent clients in throughput phases")
	flag.Parse()
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "usage: bench -capture PATH")
		os.Exit(2)
	}
	if err := run(*bin, *dur, *rate, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(bin string, dur time.Duration, rate, workers int) error {
	cluster, err := kafkatest.Start(kafkatest.Options{Port: freePort(), Topics: []string{"events_plugin_ingestion", "events_plugin_ingestion_overflow", "events_plugin_ingestion_historical"}})
	if err != nil {
		return err
	}
	defer cluster.Close()

	addr := fmt.Sprintf("127.0.0.1:%d", freePort())
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"ADDRESS="+addr, "KAFKA_HOSTS="+cluster.Addr(), "KAFKA_PRODUCER_LINGER_MS=0",
		"LOG_LEVEL=warn", "REDIS_URL=redis://127.0.0.1:6379/0")
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
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}}

	single := []byte(`{"api_key":"phc_bench","event":"$pageview","distinct_id":"user-%d","properties":{"$current_url":"https://example.com/pricing","$browser":"Firefox","$os":"Linux","$lib":"web","plan":"pro"}}`)
	batch := buildBatch(50)

	fmt.Printf("machine: %s, GOMAXPROCS of capture = default\n", cpuModel())
	fmt.Printf("%-28s %12s %12s %12s %10s %10s\n", "phase", "req/s", "events/s", "ev/s/core", "p50", "p99")
	for _, ph := range []struct {
		name   string
		path   string
		body   func(i int) []byte
		events int
	}{
		{"single events, max", "/i/v0/e/", func(i int) []byte { return []byte(fmt.Sprintf(string(single), i%1000)) }, 1},
		{"50-event batches, max", "/batch/", func(int) []byte { return batch }, 50},
	} {
		cpu0 := cpuSeconds(pid)
		res := load(client, base+ph.path, ph.body, workers, 0, dur)
		cpu := cpuSeconds(pid) - cpu0
		evs := float64(res.ok*ph.events) / dur.Seconds()
		fmt.Printf("%-28s %12.0f %12.0f %12.0f %10s %10s  (errors %d, capture cpu %.1fs)\n", ph.name,
			float64(res.ok)/dur.Seconds(), evs, float64(res.ok*ph.events)/cpu, res.p(50), res.p(99), res.errs, cpu)
	}
	cpu0 := cpuSeconds(pid)
	res := load(client, base+"/i/v0/e/", func(i int) []byte { return []byte(fmt.Sprintf(string(single), i%1000)) }, 64, rate, dur)
	cpu := cpuSeconds(pid) - cpu0
	fmt.Printf("%-28s %12.0f %12.0f %12.0f %10s %10s  (errors %d, capture cpu %.1fs = %.0f%% of a core)\n",
		fmt.Sprintf("single events @ %d req/s", rate), float64(res.ok)/dur.Seconds(), float64(res.ok)/dur.Seconds(),
		float64(res.ok)/cpu, res.p(50), res.p(99), res.errs, cpu, 100*cpu/dur.Seconds())
	fmt.Printf("capture peak RSS: %s\n", peakRSS(pid))
	return nil
}

type result struct {
	ok, errs int
	lat      []time.Duration
}

func (r result) p(q int) string {
	if len(r.lat) == 0 {
		return "-"
	}
	i := len(r.lat) * q / 100
	if i >= len(r.lat) {
		i = len(r.lat) - 1
	}
	return r.lat[i].Round(10 * time.Microsecond).String()
}

// load sends requests from `workers` goroutines for dur; rate > 0 paces the
// total to rate requests per second: request k is due at start + k/rate
// (open loop, a late request is sent at once rather than skipped).
func load(c *http.Client, url string, body func(int) []byte, workers, rate int, dur time.Duration) result {
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	start := time.Now()
	var n atomic.Int64
	var mu sync.Mutex
	var res result
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			ok, errs := 0, 0
			for ctx.Err() == nil {
				i := int(n.Add(1))
				if rate > 0 {
					due := start.Add(time.Duration(i) * time.Second / time.Duration(rate))
					if wait := time.Until(due); wait > 0 {
						select {
						case <-time.After(wait):
						case <-ctx.Done():
							continue
						}
					}
				}
				start := time.Now()
				resp, err := c.Post(url, "application/json", bytes.NewReader(body(i)))
				if err != nil {
					errs++
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs++
					continue
				}
				ok++
				lat = append(lat, time.Since(start))
			}
			mu.Lock()
			res.ok += ok
			res.errs += errs
			res.lat = append(res.lat, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(res.lat)
	return res
}

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

// cpuSeconds is utime+stime of pid from /proc (clock ticks of 100 Hz).
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseFloat(fields[11], 64)
	st, _ := strconv.ParseFloat(fields[12], 64)
	return (ut + st) / 100
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
