package httpserver_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/hoggo/common/httpserver"
	"github.com/hoggo/common/lifecycle"
)

// A service's HTTP front: probes and /metrics from NewRouter, capture-style
// CORS on every route, a body limit on the API route, served as a lifecycle component
// that drains when the manager shuts down.
func Example() {
	m := lifecycle.NewManager(lifecycle.Options{
		Name:   "example-api",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}) // production: lifecycle.NewManager(lifecycle.DefaultOptions("capture"))

	r := httpserver.NewRouter(httpserver.Options{
		Lifecycle:   m,
		Middlewares: []func(http.Handler) http.Handler{httpserver.CORS},
	})
	r.With(httpserver.LimitBody(2<<20)).Post("/e", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"status":1}`))
	})

	ln, err := net.Listen("tcp", "127.0.0.1:0") // production: httpserver.Serve(ctx, cfg.Address, ...)
	if err != nil {
		panic(err)
	}
	m.Register("http", lifecycle.ComponentOptions{GracefulShutdown: 10 * time.Second}).
		Go(func(ctx context.Context) error {
			return httpserver.ServeListener(ctx, ln, r, 10*time.Second)
		})

	done := make(chan error, 1)
	go func() { done <- m.Run(context.Background()) }()

	base := "http://" + ln.Addr().String()
	show := func(resp *http.Response, err error) {
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		fmt.Println(resp.Request.URL.Path, resp.StatusCode, string(body))
	}
	show(http.Get(base + "/_readiness"))
	show(http.Post(base+"/e", "application/json", nil))

	m.Shutdown() // what SIGTERM does in production
	fmt.Println("run:", <-done)
	// Output:
	// /_readiness 200 ok
	// /e 200 {"status":1}
	// run: <nil>
}
