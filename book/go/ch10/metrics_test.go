package ch10

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// ANCHOR: metrics_test
// After a 200 and a 404, /metrics shows one answer of each, itself in flight, two idle
// workers, and the goroutines; every metric has its HELP and TYPE lines, and every sample
// line is `name{label="value"} number`.
func TestMetricsInPrometheusTextFormat(t *testing.T) {
	queue := NewQueue(2, 10)
	defer queue.Shutdown(context.Background())
	metrics := NewMetrics(queue)
	mux := http.NewServeMux()
	mux.HandleFunc("/work", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.Handle("/metrics", metrics)
	handler := metrics.Count(mux)
	for _, path := range []string{"/work", "/missing", "/metrics"} {
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if path != "/metrics" {
			continue
		}
		if ct := rec.Header().Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8" {
			t.Fatalf("Content-Type %q", ct)
		}
		t.Logf("GET /metrics:\n%s", rec.Body)
		samples := parseExposition(t, rec.Body.String())
		for name, want := range map[string]float64{`jobserver_http_requests_total{code="200"}`: 1,
			`jobserver_http_requests_total{code="404"}`: 1, "jobserver_http_requests_in_flight": 1,
			"jobserver_job_queue_depth": 0, `jobserver_job_workers{state="busy"}`: 0,
			`jobserver_job_workers{state="idle"}`: 2} {
			if got, ok := samples[name]; !ok || got != want {
				t.Errorf("%s = %v, want %v", name, got, want)
			}
		}
		if len(samples) != 7 || samples["go_goroutines"] < 1 {
			t.Errorf("%d samples, go_goroutines = %v", len(samples), samples["go_goroutines"])
		}
	}
}

// ANCHOR_END: metrics_test

// ANCHOR: parse_exposition
var (
	commentLine = regexp.MustCompile(`^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$`)
	sampleLine  = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"\})? (\S+)$`)
)

// parseExposition checks the text format line by line — HELP, then TYPE (counter or gauge),
// then samples of that metric — and returns each sample's value by name and labels.
func parseExposition(t *testing.T, text string) map[string]float64 {
	t.Helper()
	samples := map[string]float64{}
	var help, typed string // the metric the last HELP, and the last TYPE, were about
	scanner := bufio.NewScanner(strings.NewReader(text))
	for scanner.Scan() {
		line := scanner.Text()
		if m := commentLine.FindStringSubmatch(line); m != nil {
			if m[1] == "HELP" {
				help = m[2]
			} else if m[2] != help || (m[3] != "counter" && m[3] != "gauge") {
				t.Fatalf("a TYPE without its HELP, or of no known type: %q", line)
			} else {
				typed = m[2]
			}
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil || m[1] != typed {
			t.Fatalf("not a sample of the metric just typed (%s): %q", typed, line)
		}
		value, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		samples[m[1]+m[2]] = value
	}
	return samples
}

// ANCHOR_END: parse_exposition

// ANCHOR: flusher_test
// A wrapper has only the methods it declares: embedding http.ResponseWriter, an interface,
// drops the Flush of the writer inside it. statusWriter declares Flush, so a streamed
// answer goes through.
func TestAResponseWriterWrapperHidesFlush(t *testing.T) {
	type naiveWriter struct{ http.ResponseWriter }
	var inner http.ResponseWriter = httptest.NewRecorder() // a Flusher
	var naive http.ResponseWriter = naiveWriter{inner}
	var ours http.ResponseWriter = &statusWriter{ResponseWriter: inner}
	_, innerFlushes := inner.(http.Flusher)
	_, naiveFlushes := naive.(http.Flusher)
	_, oursFlushes := ours.(http.Flusher)
	if !innerFlushes || naiveFlushes || !oursFlushes {
		t.Fatalf("inner %v, naive %v, ours %v", innerFlushes, naiveFlushes, oursFlushes)
	}
}

// ANCHOR_END: flusher_test

// statusWriter records the final status: the first one at 200 or over, or 200 when the
// handler only writes.
func TestStatusWriter(t *testing.T) {
	for _, c := range []struct {
		handler func(http.ResponseWriter)
		want    int
	}{
		{func(w http.ResponseWriter) { io.WriteString(w, "x") }, 200},
		{func(w http.ResponseWriter) {}, 200},
		{func(w http.ResponseWriter) { w.WriteHeader(404); w.WriteHeader(500) }, 404},
		{func(w http.ResponseWriter) { w.WriteHeader(103); w.WriteHeader(503) }, 503},
		{func(w http.ResponseWriter) { io.WriteString(w, "x"); w.WriteHeader(500) }, 200},
	} {
		sw := &statusWriter{ResponseWriter: httptest.NewRecorder()}
		c.handler(sw)
		if sw.status() != c.want {
			t.Errorf("status %d, want %d", sw.status(), c.want)
		}
	}
}
