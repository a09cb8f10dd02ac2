// Package ssrf makes outbound HTTP to user-supplied URLs safe: the dialer
// refuses any destination that is not a public unicast address, checked on
// the resolved IP at connect time (so a hostname that re-resolves to an
// internal address — DNS rebinding — or a redirect to one is refused too),
// and responses are capped in time and size.
package ssrf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrForbidden is returned (wrapped) when a connection to a non-public
// address is refused.
var ErrForbidden = errors.New("ssrf: destination address is not public")

// ErrForbiddenIP is ErrForbidden under the name of the API plan.
var ErrForbiddenIP = ErrForbidden

// ErrBodyTooLarge is returned when a response body exceeds the size cap.
var ErrBodyTooLarge = errors.New("ssrf: response body exceeds the size limit")

// Defaults used when Options leaves a field zero.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultDialTimeout  = 5 * time.Second
	DefaultMaxBodyBytes = 10 << 20
	DefaultMaxRedirects = 10
)

// Options configure NewClient and NewTransport.
type Options struct {
	// Timeout bounds a whole request including reading the body
	// (http.Client.Timeout); default DefaultTimeout.
	Timeout time.Duration
	// DialTimeout bounds connecting; default DefaultDialTimeout.
	DialTimeout time.Duration
	// MaxBodyBytes caps response bodies; default DefaultMaxBodyBytes,
	// negative means no cap.
	MaxBodyBytes int64
	// MaxRedirects is how many redirects are followed; default
	// DefaultMaxRedirects, negative means none.
	MaxRedirects int
	// AllowPrivate turns the address check off. For tests against
	// httptest servers on loopback only.
	AllowPrivate bool
}

func (o Options) withDefaults() Options {
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.DialTimeout == 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.MaxRedirects == 0 {
		o.MaxRedirects = DefaultMaxRedirects
	}
	return o
}

// Control is a net.Dialer Control function that refuses connections to
// addresses IsPublic rejects. It runs after DNS resolution, on the address
// actually being dialled.
func Control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot parse %s address %q", ErrForbidden, network, address)
	}
	if !IsPublic(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrForbidden, ap.Addr())
	}
	return nil
}

// NewDialer returns a dialer whose connections pass Control (unless
// AllowPrivate).
func NewDialer(opts Options) *net.Dialer {
	opts = opts.withDefaults()
	d := &net.Dialer{Timeout: opts.DialTimeout, KeepAlive: 30 * time.Second}
	if !opts.AllowPrivate {
		d.Control = Control
	}
	return d
}

// NewTransport returns an http.Transport that dials through NewDialer,
// ignores proxy environment variables (a proxy would be dialled instead of
// the target and defeat the check) and caps response bodies.
func NewTransport(opts Options) http.RoundTripper {
	opts = opts.withDefaults()
	t := &http.Transport{
		Proxy:                 nil,
		DialContext:           NewDialer(opts).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   opts.DialTimeout,
		ResponseHeaderTimeout: opts.Timeout,
		ExpectContinueTimeout: time.Second,
	}
	if opts.MaxBodyBytes < 0 {
		return t
	}
	return &limitTransport{next: t, max: opts.MaxBodyBytes}
}

// NewClient returns an http.Client for user-supplied URLs: SSRF-checked
// dialing, an overall timeout, capped bodies and bounded redirects.
func NewClient(opts Options) *http.Client {
	opts = opts.withDefaults()
	return &http.Client{
		Transport: NewTransport(opts),
		Timeout:   opts.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if opts.MaxRedirects < 0 || len(via) > opts.MaxRedirects {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
}

type limitTransport struct {
	next http.RoundTripper
	max  int64
}

func (t *limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > t.max {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: Content-Length %d > %d", ErrBodyTooLarge, resp.ContentLength, t.max)
	}
	resp.Body = LimitBody(resp.Body, t.max)
	return resp, nil
}

// LimitBody wraps rc so that reading more than max bytes fails with
// ErrBodyTooLarge (unlike io.LimitReader, which would silently truncate).
func LimitBody(rc io.ReadCloser, max int64) io.ReadCloser {
	return &limitedBody{rc: rc, remaining: max}
}

type limitedBody struct {
	rc        io.ReadCloser
	remaining int64
}

func (l *limitedBody) Read(p []byte) (int, error) {
	// Read one byte past the limit to tell "exactly max" from "more".
	if int64(len(p)) > l.remaining+1 {
		p = p[:l.remaining+1]
	}
	n, err := l.rc.Read(p)
	if int64(n) > l.remaining {
		n = int(l.remaining)
		l.remaining = 0
		return n, ErrBodyTooLarge
	}
	l.remaining -= int64(n)
	return n, err
}

func (l *limitedBody) Close() error { return l.rc.Close() }

// DialContext dials like NewDialer(Options{}) for callers that are not
// HTTP clients (e.g. raw TCP to user-supplied hosts).
func DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return NewDialer(Options{}).DialContext(ctx, network, address)
}
