package hogvm

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// benchPrograms are the CPU-heavy corpus programs benchmarked against the Node VM.
var benchPrograms = []string{"mandelbrot", "printLoops", "printLoops2", "stl", "json", "arrays", "strings"}

// fibTokens computes fib(n) recursively through a closure that captures itself.
func fibTokens(n int) []any {
	return []any{"_H", 1,
		31,
		52, "fib", 1, 1, 30,
		33, 2, 36, 0, 15, 40, 3, 36, 0, 38,
		33, 2, 36, 0, 7, 55, 0, 54, 1,
		33, 1, 36, 0, 7, 55, 0, 54, 1,
		6, 38,
		53, 1, 1, 0, 37, 0,
		33, n, 36, 0, 54, 1, 2, "print", 1, 35}
}

// geoipFields are what the geoip-style transform copies into the event (30 × 3 writes).
var geoipFields = func() []string {
	base := []string{"city_name", "city_confidence", "subdivision_1_name", "subdivision_1_code", "subdivision_2_name",
		"subdivision_2_code", "country_name", "country_code", "continent_name", "continent_code", "postal_code",
		"latitude", "longitude", "accuracy_radius", "time_zone", "metro_code", "region", "isp", "organization", "asn",
		"domain", "connection_type", "user_type", "is_anonymous", "is_anonymous_proxy", "is_hosting_provider",
		"is_public_proxy", "is_tor_exit_node", "is_satellite_provider", "static_ip_score"}
	return base
}()

// geoipTransformTokens is a geoip-style event transformation: read the event
// (30 properties) and a lookup result, write 90 properties (the $geoip_*,
// $set.$geoip_* and $set_once.$initial_geoip_* keys) and return the event.
func geoipTransformTokens() []any {
	t := []any{"_H", 1,
		32, "event", 1, 1, // slot0: event
		36, 0, 32, "properties", 45, 32, "$ip", 45, 2, "geoipLookup", 1, // slot1: geo
		36, 0, 32, "properties", 45, 32, "$set", 36, 0, 32, "properties", 45, 32, "$set", 45, 47, 3, 35, 42, 0, 46,
		36, 0, 32, "properties", 45, 32, "$set_once", 36, 0, 32, "properties", 45, 32, "$set_once", 45, 47, 3, 35, 42, 0, 46,
	}
	for _, f := range geoipFields {
		t = append(t,
			36, 0, 32, "properties", 45, 32, "$set", 45, 32, "$geoip_", 32, f, 2, "concat", 2, 36, 1, 32, f, 48, 46,
			36, 0, 32, "properties", 45, 32, "$set_once", 45, 32, "$initial_geoip_", 32, f, 2, "concat", 2, 36, 1, 32, f, 48, 46,
			36, 0, 32, "properties", 45, 32, "$geoip_", 32, f, 2, "concat", 2, 36, 1, 32, f, 48, 46,
		)
	}
	return append(t, 36, 0, 38)
}

// geoipEvent is a ~2 KB event with 30 properties.
func geoipEvent() []byte {
	props := map[string]any{"$ip": "89.160.20.129", "$current_url": "https://example.com/pricing?utm_source=newsletter",
		"$browser": "Chrome", "$browser_version": 120, "$os": "Mac OS X", "$os_version": "14.1.0", "$device_type": "Desktop",
		"$screen_height": 1117, "$screen_width": 1728, "$viewport_height": 1001, "$viewport_width": 1728, "$lib": "web",
		"$lib_version": "1.96.1", "$insert_id": "ktd4gh0x5a8l7k3c", "$time": 1.701e9, "distinct_id": "018c1e2e-5f0a-7b",
		"$device_id": "018c1e2e-5f0a-7b3e-9a8d-2f4c6e8a0b1d", "$referrer": "https://www.google.com/", "$referring_domain": "www.google.com",
		"$pathname": "/pricing", "$host": "example.com", "$session_id": "018c1e2e-6a2b-7c4d-8e9f-0a1b2c3d4e5f",
		"$window_id": "018c1e2e-6a2b-7c4d-8e9f-0a1b2c3d4e60", "utm_source": "newsletter", "utm_medium": "email",
		"utm_campaign": "black-friday", "$pageview_id": "018c1e2e-7b3c", "$is_identified": true,
		"$set": map[string]any{"email": "someone@example.com"}, "$set_once": map[string]any{"$initial_os": "Mac OS X"}}
	event := map[string]any{"event": map[string]any{"uuid": "018c1e2e-8c4d-7e5f-9a0b-1c2d3e4f5a6b", "event": "$pageview",
		"distinct_id": "018c1e2e-5f0a-7b", "timestamp": "2024-11-27T12:00:00.000Z", "properties": props}}
	data, _ := json.Marshal(event)
	return data
}

func geoipResult() *Dict {
	d := NewDict(len(geoipFields))
	for i, f := range geoipFields {
		d.SetString(f, String(fmt.Sprintf("value-%d", i)))
	}
	return d
}

func geoipOptions(tb testing.TB) *Options {
	g, err := ParseJSON(geoipEvent())
	if err != nil {
		tb.Fatal(err)
	}
	geo := NewDictValue(geoipResult())
	return &Options{Globals: g, Functions: map[string]HostFunc{
		"geoipLookup": func(args []Value) (Value, error) { return deepCopy(geo), nil },
	}}
}

func TestGeoipTransform(t *testing.T) {
	res, err := Exec(mustLoad(t, geoipTransformTokens()...), geoipOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	props, _ := res.Value.AsDict().GetString("properties")
	set, _ := props.AsDict().GetString("$set")
	once, _ := props.AsDict().GetString("$set_once")
	if props.AsDict().Len() != 60 || set.AsDict().Len() != 31 || once.AsDict().Len() != 31 {
		t.Fatalf("sizes: %d %d %d", props.AsDict().Len(), set.AsDict().Len(), once.AsDict().Len())
	}
	if v, _ := props.AsDict().GetString("$geoip_time_zone"); v.AsString() != "value-14" {
		t.Fatalf("$geoip_time_zone = %s", Print(v))
	}
}

func TestFib(t *testing.T) {
	var out string
	_, err := Exec(mustLoad(t, fibTokens(15)...), &Options{Print: func(l string) { out = l }})
	if err != nil || out != "610" {
		t.Fatalf("fib(15) = %q, %v", out, err)
	}
}

func BenchmarkPrograms(b *testing.B) {
	root := conformanceDir(b)
	type prog struct {
		name string
		p    *Program
		opts func() *Options
	}
	var progs []prog
	for _, name := range benchPrograms {
		path := filepath.Join(root, "programs", name+".hoge")
		if _, err := os.Stat(path); err != nil {
			path = filepath.Join(root, "programs_rust_todo", name+".hoge")
		}
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		p, err := Load(data)
		if err != nil {
			b.Fatal(err)
		}
		progs = append(progs, prog{name, p, func() *Options { return &Options{} }})
	}
	progs = append(progs, prog{"fib20", mustLoad(b, fibTokens(20)...), func() *Options { return &Options{} }})
	geoOpts := geoipOptions(b)
	progs = append(progs, prog{"geoip", mustLoad(b, geoipTransformTokens()...), func() *Options { return geoOpts }})
	for _, p := range progs {
		b.Run(p.name, func(b *testing.B) {
			opts := p.opts()
			b.ReportAllocs()
			cpu := processCPU()
			for i := 0; i < b.N; i++ {
				if _, err := Exec(p.p, opts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// TestWriteBenchFixtures writes the benchmark programs for bench/compare.sh
// (which runs them through the Node VM too) when HOGVM_BENCH_FIXTURES names a directory.
func TestWriteBenchFixtures(t *testing.T) {
	dir := os.Getenv("HOGVM_BENCH_FIXTURES")
	if dir == "" {
		t.Skip("HOGVM_BENCH_FIXTURES not set")
	}
	root := conformanceDir(t)
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range benchPrograms {
		path := filepath.Join(root, "programs", name+".hoge")
		if _, err := os.Stat(path); err != nil {
			path = filepath.Join(root, "programs_rust_todo", name+".hoge")
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		write(name+".hoge", data)
	}
	fib, _ := json.Marshal(fibTokens(20))
	write("fib20.hoge", fib)
	geo, _ := json.Marshal(geoipTransformTokens())
	write("geoip.hoge", geo)
	write("geoip.globals.json", geoipEvent())
	fields, _ := json.Marshal(geoipFields)
	write("geoip.fields.json", fields)
}

// TestConcurrentExec runs one Program with shared Options from several goroutines.
func TestConcurrentExec(t *testing.T) {
	p := mustLoad(t, geoipTransformTokens()...)
	opts := geoipOptions(t)
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func() {
			for i := 0; i < 20; i++ {
				res, err := Exec(p, opts)
				if err == nil && res.Value.AsDict().Len() != 5 {
					err = fmt.Errorf("unexpected result %s", Print(res.Value))
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
