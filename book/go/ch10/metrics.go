package ch10

import (
	"fmt"
	"net/http"
	"net/http/pprof"
	"runtime"
	"sync/atomic"
)

// ANCHOR: metrics
// Metrics counts requests with sync/atomic, no lock on the request path, and serves the
// counts, the queue's depth and the number of goroutines in Prometheus's text format, under
// the names the Rust server uses.
type Metrics struct {
	answers  [600]atomic.Uint64 // by status code, 200 to 599
	inFlight atomic.Int64
	queue    *Queue
}

func NewMetrics(queue *Queue) *Metrics { return &Metrics{queue: queue} }

// Count wraps next: it counts the requests in flight, and each answer by its status code.
func (m *Metrics) Count(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.inFlight.Add(1)
		defer m.inFlight.Add(-1)
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if code := sw.status(); code < len(m.answers) {
			m.answers[code].Add(1)
		}
	})
}

// ANCHOR_END: metrics

// ANCHOR: metrics_handler
// ServeHTTP writes each metric as a # HELP and a # TYPE line, then its samples, one a
// line: `name{label="value"} number`.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	family := func(name, kind, help string) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, kind)
	}
	family("jobserver_http_requests_total", "counter", "Answers, by status code.")
	for code := 200; code < len(m.answers); code++ {
		if n := m.answers[code].Load(); n > 0 {
			fmt.Fprintf(w, "jobserver_http_requests_total{code=\"%d\"} %d\n", code, n)
		}
	}
	family("jobserver_http_requests_in_flight", "gauge", "Requests being answered.")
	fmt.Fprintf(w, "jobserver_http_requests_in_flight %d\n", m.inFlight.Load())
	family("jobserver_job_queue_depth", "gauge", "Jobs waiting for a worker.")
	fmt.Fprintf(w, "jobserver_job_queue_depth %d\n", m.queue.Len())
	family("jobserver_job_workers", "gauge", "Job workers, busy or idle.")
	busy := m.queue.Running()
	fmt.Fprintf(w, "jobserver_job_workers{state=\"busy\"} %d\n", busy)
	fmt.Fprintf(w, "jobserver_job_workers{state=\"idle\"} %d\n", int64(m.queue.workers)-busy)
	family("go_goroutines", "gauge", "Number of goroutines that currently exist.")
	fmt.Fprintf(w, "go_goroutines %d\n", runtime.NumGoroutine()) // the guide's leak detector
}

// ANCHOR_END: metrics_handler

// ANCHOR: status_writer
// statusWriter remembers the status a handler sends. It forwards Flush by hand: a wrapper
// has only the methods it declares, so a handler asking it w.(http.Flusher) would find
// none, and its streamed answer would be buffered. (Go 1.20's http.ResponseController
// looks through wrappers that have an Unwrap method; Go 1.19 has neither.)
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 && code >= 200 { // 1xx answers are not the final status
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK // Write without WriteHeader sends 200
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK // nothing written: net/http sends 200 when the handler returns
	}
	return w.code
}

// ANCHOR_END: status_writer

// ANCHOR: pprof
// DebugMux serves net/http/pprof's profiles, goroutine dumps among them. Serve it on a
// listener of its own, on localhost: importing net/http/pprof has already registered the
// same handlers on http.DefaultServeMux, which a server with a nil Handler serves to all.
func DebugMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index) // /debug/pprof/goroutine?debug=2, heap, …
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// ANCHOR_END: pprof
