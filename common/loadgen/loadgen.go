// Package loadgen drives an HTTP service for the bench scripts, either at a
// fixed request rate (open loop: request k is due at start + k/rate and is
// sent then by whichever worker is free) or as fast as a number of clients can
// go (closed loop).
//
// Latency runs from the moment a request is written. In open loop a request
// that finds every worker busy is sent late; Result.Late counts those, so a
// run whose workers could not keep up with the schedule (and whose
// latencies would hide the server's queue) is visible as such.
//
// It speaks HTTP/1.1 over keep-alive connections itself, one connection per
// worker, reading responses with http.ReadResponse on the worker's goroutine.
// net/http's Transport hands every request to two more goroutines per
// connection; on a 2-core machine that shares the cores with the service under
// test, those handoffs cost as much CPU as the service and showed up as
// milliseconds of tail latency that were the load generator's own.
package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options describe one load phase.
type Options struct {
	// URL is the target, http://host:port/path?query.
	URL string
	// Body returns the body of request i (i counts from 0 across workers).
	Body func(i int) []byte
	// ContentType defaults to application/json.
	ContentType string
	// Workers is the number of connections (each sends one request at a
	// time); 0 means 1.
	Workers int
	// Rate is the total requests per second; 0 sends back to back.
	Rate int
	// Duration bounds the phase: no request is started after it.
	Duration time.Duration
	// Timeout bounds one request; 0 means 10 s.
	Timeout time.Duration
}

// Result is what a phase measured.
type Result struct {
	// OK counts 2xx answers; Errors counts the rest and transport failures.
	OK, Errors int
	// Latencies of the OK requests, sorted.
	Latencies []time.Duration
	// Late counts open-loop requests that found no free worker until more
	// than a millisecond after they were due.
	Late int
	// FirstError describes the first failure, if any.
	FirstError error
}

// Percentile returns the latency at p percent (0–100) of the OK requests.
func (r *Result) Percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(float64(len(r.Latencies)) * p / 100)
	return r.Latencies[min(i, len(r.Latencies)-1)]
}

// Run sends requests until o.Duration has passed or ctx ends.
func Run(ctx context.Context, o Options) (Result, error) {
	u, err := url.Parse(o.URL)
	if err != nil {
		return Result{}, fmt.Errorf("parse url: %w", err)
	}
	if u.Scheme != "http" {
		return Result{}, fmt.Errorf("url %q: only http is supported", o.URL)
	}
	if o.ContentType == "" {
		o.ContentType = "application/json"
	}
	if o.Workers <= 0 {
		o.Workers = 1
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	head := "POST " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\nContent-Type: " + o.ContentType +
		"\r\nContent-Length: "

	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	start := time.Now()
	var next atomic.Int64
	var mu sync.Mutex
	var res Result
	var wg sync.WaitGroup
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &client{addr: u.Host, head: head, timeout: o.Timeout}
			defer c.close()
			var mine Result
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if o.Rate > 0 {
					due := start.Add(time.Duration(i) * time.Second / time.Duration(o.Rate))
					// A worker claims the next request as soon as it is
					// free; one claimed past its due time waited for a worker.
					if time.Since(due) > time.Millisecond {
						mine.Late++
					}
					if !sleepUntil(ctx, due) {
						break
					}
				}
				begin := time.Now()
				status, err := c.post(o.Body(i))
				took := time.Since(begin)
				if err == nil && (status < 200 || status > 299) {
					err = fmt.Errorf("status %d", status)
				}
				if err != nil {
					mine.Errors++
					if mine.FirstError == nil {
						mine.FirstError = err
					}
					continue
				}
				mine.OK++
				mine.Latencies = append(mine.Latencies, took)
			}
			mu.Lock()
			res.OK += mine.OK
			res.Errors += mine.Errors
			res.Late += mine.Late
			res.Latencies = append(res.Latencies, mine.Latencies...)
			if res.FirstError == nil {
				res.FirstError = mine.FirstError
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(res.Latencies)
	return res, nil
}

// sleepUntil waits for t and reports whether ctx is still live then.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// client is one keep-alive HTTP/1.1 connection, redialled after an error or
// a "Connection: close".
type client struct {
	addr    string
	head    string
	timeout time.Duration
	nc      net.Conn
	br      *bufio.Reader
	req     bytes.Buffer
}

func (c *client) post(body []byte) (int, error) {
	if c.nc == nil {
		nc, err := net.DialTimeout("tcp", c.addr, c.timeout)
		if err != nil {
			return 0, fmt.Errorf("dial %s: %w", c.addr, err)
		}
		c.nc, c.br = nc, bufio.NewReaderSize(nc, 16<<10)
	}
	c.req.Reset()
	c.req.WriteString(c.head)
	c.req.WriteString(strconv.Itoa(len(body)))
	c.req.WriteString("\r\n\r\n")
	c.req.Write(body)
	_ = c.nc.SetDeadline(time.Now().Add(c.timeout))
	if _, err := c.nc.Write(c.req.Bytes()); err != nil {
		c.close()
		return 0, fmt.Errorf("write request: %w", err)
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		c.close()
		return 0, fmt.Errorf("read response: %w", err)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.Close {
		c.close()
	}
	if err != nil {
		return 0, fmt.Errorf("read response body: %w", err)
	}
	return resp.StatusCode, nil
}

func (c *client) close() {
	if c.nc != nil {
		c.nc.Close()
		c.nc = nil
	}
}

// ProcessCPU is the user+system CPU time pid has used so far, read from
// /proc/<pid>/stat (Linux only).
func ProcessCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, fmt.Errorf("read process stat: %w", err)
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 > len(s) {
		return 0, errors.New("read process stat: unexpected format")
	}
	// After the command name: state is field 3, utime and stime 14 and 15,
	// in clock ticks (USER_HZ, 100 on Linux).
	fields := strings.Fields(s[i+2:])
	if len(fields) < 13 {
		return 0, errors.New("read process stat: too few fields")
	}
	ut, err1 := strconv.ParseInt(fields[11], 10, 64)
	st, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("read process stat: %w", err)
	}
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}
