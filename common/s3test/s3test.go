// Package s3test serves an in-memory S3 (gofakes3) on a loopback port, so
// tests and the dev stack talk to it through the real AWS SDK over HTTP.
package s3test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/hoggo/common/s3"
)

// Static credentials the fake server accepts (it does not check them).
const (
	AccessKey = "hoggo-test"
	SecretKey = "hoggo-test-secret"
)

// Server is a running fake S3.
type Server struct {
	// URL is the endpoint, "http://127.0.0.1:<port>".
	URL string
	// Config points an s3.New client at the server.
	Config s3.Config
	// Client is a ready client for Config.
	Client *awss3.Client

	backend *s3mem.Backend
	srv     *http.Server
	ln      net.Listener
}

// New starts a server on 127.0.0.1 with the given buckets and stops it when
// the test ends.
func New(t testing.TB, buckets ...string) *Server {
	t.Helper()
	s, err := Start("127.0.0.1:0", buckets...)
	if err != nil {
		t.Fatalf("s3test: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Start serves a fake S3 on addr (e.g. "127.0.0.1:0") with the given
// buckets created. Close stops it.
func Start(addr string, buckets ...string) (*Server, error) {
	backend := s3mem.New()
	for _, b := range buckets {
		if err := backend.CreateBucket(b); err != nil {
			return nil, fmt.Errorf("create bucket %q: %w", b, err)
		}
	}
	faker := gofakes3.New(backend, gofakes3.WithTimeSkewLimit(0))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	s := &Server{
		URL:     "http://" + ln.Addr().String(),
		backend: backend,
		ln:      ln,
		srv:     &http.Server{Handler: faker.Server(), ReadHeaderTimeout: 10 * time.Second},
	}
	s.Config = s3.Config{Endpoint: s.URL, Region: s3.DefaultRegion, AccessKey: AccessKey, SecretKey: SecretKey, ForcePathStyle: true}
	go func() { _ = s.srv.Serve(ln) }()
	if s.Client, err = s3.New(context.Background(), s.Config); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// CreateBucket adds a bucket.
func (s *Server) CreateBucket(name string) error {
	if err := s.backend.CreateBucket(name); err != nil {
		return fmt.Errorf("create bucket %q: %w", name, err)
	}
	return nil
}

// Close stops the server.
func (s *Server) Close() error {
	if err := s.srv.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("close s3test server: %w", err)
	}
	return nil
}
