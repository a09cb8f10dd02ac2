// Command bench load-tests the feature-flags service at a fixed request rate
// with Postgres and Redis on loopback: it creates a fresh database from the
// migrations, seeds a team with 50 flags (mixed operators, one cohort) and
// 1,000 persons, starts the service on a loopback port (or targets -url),
// then sends POST /flags?v=2 open-loop at -rate requests/s for -duration
// (common/loadgen, 128 connections) and prints latency percentiles and how
// many requests found no free connection on time.
//
//	go run ./bench -rate 2000 -duration 20s
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hoggo/common/loadgen"
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
	bodies := make([][]byte, 512)
	r := rand.New(rand.NewPCG(7, 7))
	for i := range bodies {
		req := map[string]any{"token": token, "distinct_id": persons[r.IntN(len(persons))]}
		if i%4 == 0 { // a quarter of the requests carry overrides
			req["person_properties"] = map[string]any{"plan": "pro", "country": "US"}
		}
		bodies[i], _ = json.Marshal(req)
	}
	phase := loadgen.Options{URL: base + "/flags?v=2", Body: func(i int) []byte { return bodies[i%len(bodies)] },
		Workers: 128, Rate: *rate, Duration: *warmup}
	fmt.Printf("warm-up %v at %d req/s...\n", *warmup, *rate)
	if _, err := loadgen.Run(ctx, phase); err != nil {
		log.Fatal(err)
	}
	phase.Duration = *duration
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
	res, err := loadgen.Run(ctx, phase)
	if err != nil {
		log.Fatal(err)
	}
	cpuUsed := processCPU() - cpuBefore
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	if res.FirstError != nil {
		log.Printf("first failure: %v", res.FirstError)
	}
	fmt.Printf("requests=%d errors=%d late=%d achieved=%.0f req/s p50=%v p90=%v p99=%v p99.9=%v max=%v\n",
		res.OK, res.Errors, res.Late, float64(res.OK)/duration.Seconds(), res.Percentile(50), res.Percentile(90),
		res.Percentile(99), res.Percentile(99.9), res.Percentile(100))
	if total := res.OK + res.Errors; total > 0 && *target == "" {
		fmt.Printf("this process (service + load generator) used %v CPU, %v per request\n", cpuUsed.Round(time.Millisecond), (cpuUsed / time.Duration(total)).Round(time.Microsecond))
	}
}

// processCPU is the user+system CPU time of this process so far.
func processCPU() time.Duration {
	d, err := loadgen.ProcessCPU(os.Getpid())
	if err != nil {
		log.Fatal(err)
	}
	return d
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
