package ssrf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestIsPublic(t *testing.T) {
	cases := map[string]bool{
		"8.8.8.8":                  true,
		"1.1.1.1":                  true,
		"93.184.216.34":            true,
		"100.63.255.255":           true,
		"100.128.0.0":              true,
		"172.15.255.255":           true,
		"172.32.0.0":               true,
		"2606:4700::1111":          true,
		"2a00:1450:4001:80b::200e": true,
		"::ffff:8.8.8.8":           true,
		"64:ff9b::808:808":         true, // NAT64 of 8.8.8.8
		"2002:808:808::1":          true, // 6to4 of 8.8.8.8

		"0.0.0.0":                false,
		"0.1.2.3":                false,
		"10.0.0.1":               false,
		"100.64.0.1":             false,
		"100.127.255.255":        false,
		"127.0.0.1":              false,
		"127.255.255.254":        false,
		"169.254.169.254":        false,
		"172.16.0.1":             false,
		"172.31.255.255":         false,
		"192.0.0.8":              false,
		"192.0.2.1":              false,
		"192.168.1.1":            false,
		"198.18.0.1":             false,
		"198.51.100.7":           false,
		"203.0.113.9":            false,
		"224.0.0.251":            false,
		"239.255.255.250":        false,
		"240.0.0.1":              false,
		"255.255.255.255":        false,
		"::":                     false,
		"::1":                    false,
		"::127.0.0.1":            false,
		"::ffff:127.0.0.1":       false,
		"::ffff:10.0.0.1":        false,
		"::ffff:169.254.169.254": false,
		"64:ff9b::a00:1":         false, // NAT64 of 10.0.0.1
		"64:ff9b::7f00:1":        false, // NAT64 of 127.0.0.1
		"2002:a00:1::1":          false, // 6to4 of 10.0.0.1
		"2002:7f00:1::":          false, // 6to4 of 127.0.0.1
		"2001:db8::1":            false,
		"2001:0:4136:e378::":     false, // Teredo
		"fc00::1":                false,
		"fd12:3456::1":           false,
		"fe80::1":                false,
		"fe80::1%eth0":           false,
		"fec0::1":                false,
		"ff02::1":                false,
		"100::1":                 false,
	}
	for s, want := range cases {
		if got := IsPublic(netip.MustParseAddr(s)); got != want {
			t.Errorf("IsPublic(%s) = %v, want %v", s, got, want)
		}
	}
	if IsPublic(netip.Addr{}) {
		t.Error("zero Addr is public")
	}
}

func TestControl(t *testing.T) {
	if err := Control("tcp4", "8.8.8.8:443", nil); err != nil {
		t.Errorf("public: %v", err)
	}
	for _, addr := range []string{"127.0.0.1:80", "[::1]:80", "[::ffff:10.0.0.1]:80", "garbage", "169.254.169.254:80"} {
		if err := Control("tcp", addr, nil); !errors.Is(err, ErrForbidden) {
			t.Errorf("%s: %v", addr, err)
		}
	}
}

func newServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func TestClientRefusesLoopback(t *testing.T) {
	hits := 0
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { hits++; fmt.Fprint(w, "secret") })
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	client := NewClient(Options{})
	for _, u := range []string{srv.URL, fmt.Sprintf("http://localhost:%d/", port), fmt.Sprintf("http://[::ffff:127.0.0.1]:%d/", port)} {
		resp, err := client.Get(u)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("%s: fetched, status %d", u, resp.StatusCode)
		}
		if !errors.Is(err, ErrForbidden) {
			t.Fatalf("%s: err %v, want ErrForbidden", u, err)
		}
	}
	if hits != 0 {
		t.Fatalf("server was reached %d times", hits)
	}
}

func TestClientAllowPrivate(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "hello") })
	resp, err := NewClient(Options{AllowPrivate: true}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || string(b) != "hello" || resp.StatusCode != 200 {
		t.Fatalf("%d %q %v", resp.StatusCode, b, err)
	}
}

// A public-looking first hop that redirects inward is refused at the second
// connect. The first hop is allowed through a custom Control in this test.
func TestRedirectToPrivateRefused(t *testing.T) {
	inner := newServer(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "internal") })
	outer := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, strings.Replace(inner.URL, "127.0.0.1", "localhost", 1), http.StatusFound)
	})
	outerAddr := outer.Listener.Addr().String()
	d := NewDialer(Options{})
	d.Control = func(network, address string, c syscall.RawConn) error {
		if address == outerAddr {
			return nil
		}
		return Control(network, address, c)
	}
	client := NewClient(Options{})
	client.Transport.(*limitTransport).next.(*http.Transport).DialContext = d.DialContext
	_, err := client.Get(outer.URL)
	if !errors.Is(err, ErrForbidden) {
		t.Fatalf("err %v, want ErrForbidden", err)
	}
}

func TestBodyCap(t *testing.T) {
	body := strings.Repeat("x", 2048)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("chunked") != "" {
			w.(http.Flusher).Flush() // no Content-Length
		}
		fmt.Fprint(w, body)
	})
	get := func(max int64, query string) ([]byte, error) {
		resp, err := NewClient(Options{AllowPrivate: true, MaxBodyBytes: max}).Get(srv.URL + query)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		return io.ReadAll(resp.Body)
	}
	if _, err := get(1024, ""); !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("Content-Length over cap: %v", err)
	}
	b, err := get(1024, "?chunked=1")
	if !errors.Is(err, ErrBodyTooLarge) || len(b) != 1024 {
		t.Fatalf("streamed over cap: %d bytes, %v", len(b), err)
	}
	for _, q := range []string{"", "?chunked=1"} {
		b, err := get(2048, q)
		if err != nil || len(b) != 2048 {
			t.Fatalf("exactly at cap %q: %d bytes, %v", q, len(b), err)
		}
	}
	b, err = get(-1, "?chunked=1")
	if err != nil || len(b) != 2048 {
		t.Fatalf("no cap: %d, %v", len(b), err)
	}
}

func TestLimitBody(t *testing.T) {
	for _, c := range []struct {
		in      string
		max     int64
		wantErr bool
	}{{"", 0, false}, {"a", 0, true}, {"abc", 3, false}, {"abcd", 3, true}} {
		b, err := io.ReadAll(LimitBody(io.NopCloser(strings.NewReader(c.in)), c.max))
		if errors.Is(err, ErrBodyTooLarge) != c.wantErr || int64(len(b)) > c.max {
			t.Errorf("%q max %d: %q, %v", c.in, c.max, b, err)
		}
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { <-release })
	defer close(release)
	_, err := NewClient(Options{AllowPrivate: true, Timeout: 50 * time.Millisecond}).Get(srv.URL)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("err %v, want a timeout", err)
	}
}

func TestDialContextRefuses(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if _, err := DialContext(context.Background(), "tcp", ln.Addr().String()); !errors.Is(err, ErrForbidden) {
		t.Fatalf("err %v", err)
	}
}
