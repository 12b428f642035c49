// Package ch10 is the Go side of chapter 10: the guide's §5 graceful shutdown — a signal,
// http.Server.Shutdown with a deadline, a job queue drained or cancelled at it, a second
// signal that exits at once — and its monitoring tips: /health and /ready, counters in the
// Prometheus text format beside runtime.NumGoroutine, and pprof. Every claim the chapter
// makes about Go is a test in the _test.go files.
package ch10

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// ANCHOR: server
// Server is an http.Server and a job queue, with the steps of a graceful shutdown around
// them. Exit and After are os.Exit and time.After, or a test's fakes.
type Server struct {
	HTTP  *http.Server
	Queue *Queue
	Grace time.Duration // /ready answers 503 this long before the listener closes
	Drain time.Duration // then requests and jobs get this long to finish
	Log   *log.Logger
	Exit  func(code int)
	After func(time.Duration) <-chan time.Time

	draining       chan struct{}      // closed at the first signal
	cancelRequests context.CancelFunc // cancels every request's context
}

// New serves /health and /ready itself, and everything else with app.
func New(app http.Handler, queue *Queue) *Server {
	base, cancel := context.WithCancel(context.Background())
	s := &Server{Queue: queue, Drain: 10 * time.Second, Log: log.New(io.Discard, "", 0),
		Exit: os.Exit, After: time.After, draining: make(chan struct{}), cancelRequests: cancel}
	mux := http.NewServeMux()
	mux.HandleFunc("/health", s.health)
	mux.HandleFunc("/ready", s.ready)
	mux.Handle("/", app)
	s.HTTP = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return base }} // every r.Context() derives from base
	return s
}

// ANCHOR_END: server

// ANCHOR: main
// Main is what func main does: listen, serve until SIGINT or SIGTERM, drain, and return the
// exit code, 0 if everything in flight finished in time.
func Main(addr string, s *Server) int {
	signals := make(chan os.Signal, 2) // Notify never waits: room for the first and the second
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(signals)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.Log.Print(err)
		return 1
	}
	s.Log.Printf("listening on %s", ln.Addr())
	if err := s.Run(context.Background(), ln, signals); err != nil {
		s.Log.Printf("shutdown: %v", err)
		return 1
	}
	s.Log.Print("shutdown complete")
	return 0
}

// ANCHOR_END: main

// ANCHOR: run
// Run serves on ln until a signal arrives or ctx ends, then drains; it runs once per
// Server. If Serve fails first, Run returns its error at once.
func (s *Server) Run(ctx context.Context, ln net.Listener, signals <-chan os.Signal) error {
	served := make(chan error, 1)
	go func() { served <- s.HTTP.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case sig := <-signals: // 1. Listen for OS signals
		s.Log.Printf("%v: draining", sig)
	case <-ctx.Done():
		s.Log.Printf("%v: draining", ctx.Err())
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() { // a second signal: the operator will not wait, so neither do we
		select {
		case sig := <-signals:
			s.Log.Printf("%v again: exiting now", sig)
			s.Exit(1)
		case <-stop:
		}
	}()
	close(s.draining) // /ready says 503 from now on
	if s.Grace > 0 {
		<-s.After(s.Grace) // time for the load balancer to see it
	}
	err := s.shutdown()
	<-served // Serve returned http.ErrServerClosed as soon as Shutdown began
	return err
}

// ANCHOR_END: run

// ANCHOR: shutdown
// shutdown is the guide's steps 2 to 5, under one deadline.
func (s *Server) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.Drain)
	defer cancel()
	defer s.cancelRequests()
	// 2, 3. Close the listener and the idle connections; wait for the requests in flight.
	err := s.HTTP.Shutdown(ctx)
	if err != nil {
		// The deadline: Shutdown gives up waiting, but stops nothing. Close the connections
		// first — a handler that returns when cancelled must not get an empty 200 out —
		// then cancel the contexts of the requests still running.
		s.HTTP.Close()
		s.cancelRequests()
	}
	// 4. Stop the worker pool: it runs the jobs still queued, or cancels them at the
	// deadline, whatever is left of it.
	if qerr := s.Queue.Shutdown(ctx); err == nil {
		err = qerr
	}
	return err // 5. Exit cleanly: nil if everything finished in time
}

// ANCHOR_END: shutdown

// ANCHOR: health
// health says the process is alive: 200 for as long as it answers at all, draining or not.
// A failed liveness check gets a process restarted, and a draining one must be left alone.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// ready says whether to send this process new work: 503 from the first signal on, so that
// a load balancer polling it stops sending before the listener closes.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	select {
	case <-s.draining:
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "draining"})
	default:
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	}
}

// Draining is closed when the first signal arrives.
func (s *Server) Draining() <-chan struct{} { return s.draining }

// ANCHOR_END: health

func writeJSON(w http.ResponseWriter, status int, body interface{}) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
