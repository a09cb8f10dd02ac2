// Command bench load-tests the feature-flags service at a fixed request rate
// with Postgres and Redis on loopback: it creates a fresh database from the
// migrations, seeds a team with 50 flags (mixed operators, one cohort) and
// 1,000 persons, starts the service on a loopback port (or targets -url),
// then sends POST /flags?v=2 open-loop at -rate requests/s for -duration
// and prints latency percentiles measured from each request's scheduled
// start (no coordinated omission).
//
//	go run ./bench -rate 2000 -duration 20s
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	flags "github.com/hoggo/feature-flags"
	"github.com/hoggo/feature-flags/internal/benchdata"
	"github.com/hoggo/migrations"
)

func main() {
	rate := flag.Int("rate", 2000, "requests per second")
	duration := flag.Duration("duration", 20*time.Second, "measurement time")
	warmup := flag.Duration("warmup", 3*time.Second, "warm-up time at the same rate (not measured)")
	target := flag.String("url", "", "base URL of an already running service seeded by this tool (-seed-only)")
	seedOnly := flag.Bool("seed-only", false, "seed the database and print the token, then exit")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the measured phase")
	flag.Parse()
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400) // as cmd/feature-flags does
	}

	ctx := context.Background()
	dbURL, token, persons := setup(ctx)
	if *seedOnly {
		fmt.Println("DATABASE_URL=" + dbURL)
		fmt.Println("TOKEN=" + token)
		return
	}
	base := *target
	if base == "" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			log.Fatal(err)
		}
		redisURL := os.Getenv("REDIS_URL")
		if redisURL == "" {
			redisURL = "redis://127.0.0.1:6379/0"
		}
		// slog.SetDefault would also silence the log package used below.
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		slog.SetDefault(quiet)
		log.SetOutput(os.Stderr)
		cfg := flags.Config{ReadDatabaseURL: dbURL, WriteDatabaseURL: dbURL, RedisURL: redisURL, MaxPGConnections: 10,
			NonPersonsReaderStmtMS: 5000, PersonsReaderStmtMS: 5000, WriterStmtMS: 10000, IdleTimeoutSecs: 300,
			BillingLimiterTTLSecs: 5, DefinitionsCacheSecs: 5, MaxConcurrency: 1000}
		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			if err := flags.Serve(sctx, cfg, ln); err != nil {
				log.Print(err)
			}
		}()
		base = "http://" + ln.Addr().String()
		time.Sleep(500 * time.Millisecond)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 2000, MaxIdleConnsPerHost: 2000, IdleConnTimeout: time.Minute}, Timeout: 10 * time.Second}
	bodies := make([][]byte, 512)
	r := rand.New(rand.NewPCG(7, 7))
	for i := range bodies {
		req := map[string]any{"token": token, "distinct_id": persons[r.IntN(len(persons))]}
		if i%4 == 0 { // a quarter of the requests carry overrides
			req["person_properties"] = map[string]any{"plan": "pro", "country": "US"}
		}
		bodies[i], _ = json.Marshal(req)
	}
	fmt.Printf("warm-up %v at %d req/s...\n", *warmup, *rate)
	run(client, base, bodies, *rate, *warmup)
	fmt.Printf("measuring %v at %d req/s (50 flags per request)...\n", *duration, *rate)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
	}
	cpuBefore := processCPU()
	lat, errs := run(client, base, bodies, *rate, *duration)
	cpuUsed := processCPU() - cpuBefore
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	fmt.Printf("requests=%d errors=%d achieved=%.0f req/s p50=%v p90=%v p99=%v p99.9=%v max=%v\n",
		len(lat), errs, float64(len(lat))/duration.Seconds(), pct(0.5), pct(0.9), pct(0.99), pct(0.999), pct(1))
	if total := len(lat) + errs; total > 0 && *target == "" {
		fmt.Printf("this process (service + load generator) used %v CPU, %v per request\n", cpuUsed.Round(time.Millisecond), (cpuUsed / time.Duration(total)).Round(time.Microsecond))
	}
}

type errBox struct {
	err error
	res *http.Response
}

var firstErr atomic.Pointer[errBox]

// processCPU is the user+system CPU time of this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// run sends requests open-loop on a fixed schedule and returns latencies
// measured from each request's scheduled start.
func run(client *http.Client, base string, bodies [][]byte, rate int, d time.Duration) ([]time.Duration, int) {
	interval := time.Second / time.Duration(rate)
	n := int(d / interval)
	lat := make([]time.Duration, 0, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := 0
	start := time.Now()
	for i := 0; i < n; i++ {
		due := start.Add(time.Duration(i) * interval)
		if w := time.Until(due); w > 0 {
			time.Sleep(w)
		}
		wg.Add(1)
		go func(body []byte) {
			defer wg.Done()
			res, err := client.Post(base+"/flags?v=2", "application/json", bytes.NewReader(body))
			ok := err == nil && res.StatusCode == 200
			if !ok && firstErr.CompareAndSwap(nil, &errBox{err: err, res: res}) {
				if err != nil {
					log.Printf("first failure: %v", err)
				} else {
					log.Printf("first failure: status %d", res.StatusCode)
				}
			}
			if err == nil {
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
			took := time.Since(due)
			mu.Lock()
			if ok {
				lat = append(lat, took)
			} else {
				errs++
			}
			mu.Unlock()
		}(bodies[i%len(bodies)])
	}
	wg.Wait()
	return lat, errs
}

// setup creates a fresh database named ff_bench_<random>, migrates it and
// seeds the team, flags and persons.
func setup(ctx context.Context) (string, string, []string) {
	server := os.Getenv("DATABASE_URL")
	if server == "" {
		server = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	name := "ff_bench_" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		log.Fatalf("connect %s: %v", server, err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		log.Fatal(err)
	}
	conn.Close(ctx)
	u, _ := url.Parse(server)
	u.Path = "/" + name
	dbURL := u.String()
	if err := migrations.Up(ctx, dbURL, migrations.Posthog); err != nil {
		log.Fatal(err)
	}
	db, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close(ctx)
	exec := func(sql string, args ...any) {
		if _, err := db.Exec(ctx, sql, args...); err != nil {
			log.Fatalf("%s: %v", sql, err)
		}
	}
	org := uuid.NewString()
	token := "phc_bench_" + name
	exec(`INSERT INTO posthog_organization (id, name, slug) VALUES ($1, 'bench', $2)`, org, name)
	exec(`INSERT INTO posthog_project (id, organization_id, name) VALUES (1, $1, 'bench')`, org)
	var teamID int
	if err := db.QueryRow(ctx, `INSERT INTO posthog_team (api_token, organization_id, project_id) VALUES ($1, $2, 1) RETURNING id`, token, org).Scan(&teamID); err != nil {
		log.Fatal(err)
	}
	var cohort int
	if err := db.QueryRow(ctx, `INSERT INTO posthog_cohort (team_id, name, filters) VALUES ($1, 'c', $2) RETURNING id`, teamID, benchdata.CohortFilters).Scan(&cohort); err != nil {
		log.Fatal(err)
	}
	gen := benchdata.New()
	for i, filters := range gen.Flags(cohort) {
		exec(`INSERT INTO posthog_featureflag (team_id, key, name, filters) VALUES ($1, $2, $3, $4::jsonb)`, teamID, benchdata.FlagKey(i), "", filters)
	}
	var persons []string
	for i := 0; i < 1000; i++ {
		did := fmt.Sprintf("person-%d", i)
		var pid int64
		if err := db.QueryRow(ctx, `INSERT INTO posthog_person (team_id, uuid, properties) VALUES ($1, $2, $3) RETURNING id`, teamID, uuid.New(), gen.Person()).Scan(&pid); err != nil {
			log.Fatal(err)
		}
		exec(`INSERT INTO posthog_persondistinctid (team_id, person_id, distinct_id, version) VALUES ($1, $2, $3, 0)`, teamID, pid, did)
		persons = append(persons, did)
	}
	exec(`ANALYZE`)
	return dbURL, token, persons
}
