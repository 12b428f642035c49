package ch10

import (
	"bookgo/internal/testwait"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ANCHOR: drain_test
// At the signal the listener closes, while the request in flight goes on; Run returns once
// it has its whole answer, and leaves no goroutine behind.
func TestRunDrainsTheRequestInFlight(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	s := New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "the whole answer")
	}), NewQueue(1, 10))
	before := runtime.NumGoroutine()
	r := start(t, s)
	answer := r.getLater("/work")
	testwait.Receive(t, entered)
	r.signals <- syscall.SIGTERM
	testwait.Eventually(t, "the listener closed", func() bool { return listenerClosed(r.addr) })
	select {
	case err := <-r.done:
		t.Fatalf("Run returned (%v) with a request in flight", err)
	default:
	}
	close(release)
	if got := testwait.Receive(t, answer); got.status != 200 || got.body != "the whole answer" {
		t.Fatalf("%+v", got)
	}
	if err := testwait.Receive(t, r.done); err != nil {
		t.Fatal(err)
	}
	r.client.CloseIdleConnections()
	testwait.Eventually(t, "the goroutines back to the baseline", func() bool {
		return runtime.NumGoroutine() <= before
	})
}

// ANCHOR_END: drain_test

// ANCHOR: deadline_test
// At the drain deadline, Run cancels what still runs: the handler's r.Context() and the
// job's ctx end, the client's connection is closed, and Run returns the deadline's error.
func TestRunCancelsAtTheDeadline(t *testing.T) {
	handlerSaw, jobSaw, jobStarted := make(chan error, 1), make(chan error, 1), make(chan struct{})
	queue := NewQueue(1, 10)
	s := New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		queue.TrySubmit(func(ctx context.Context) {
			close(jobStarted)
			<-ctx.Done()
			jobSaw <- ctx.Err()
		})
		<-r.Context().Done()
		handlerSaw <- r.Context().Err()
	}), queue)
	s.Drain = 50 * time.Millisecond
	r := start(t, s)
	answer := r.getLater("/work")
	testwait.Receive(t, jobStarted)
	r.signals <- syscall.SIGTERM
	if err := testwait.Receive(t, r.done); err != context.DeadlineExceeded {
		t.Fatalf("Run: %v", err)
	}
	if h, j := testwait.Receive(t, handlerSaw), testwait.Receive(t, jobSaw); h != context.Canceled || j != context.Canceled {
		t.Fatalf("handler saw %v, job saw %v", h, j)
	}
	if got := testwait.Receive(t, answer); got.err == nil {
		t.Fatalf("the client got an answer: %+v", got)
	}
}

// ANCHOR_END: deadline_test

// ANCHOR: second_signal_test
// A second signal while draining calls Exit(1) at once, the request still in flight.
func TestASecondSignalExits(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	s := New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
	}), NewQueue(1, 10))
	exited := make(chan int, 1)
	s.Exit = func(code int) { exited <- code } // os.Exit would end the test binary
	r := start(t, s)
	answer := r.getLater("/work")
	testwait.Receive(t, entered)
	r.signals <- syscall.SIGTERM
	testwait.Receive(t, s.Draining())
	r.signals <- syscall.SIGINT
	if code := testwait.Receive(t, exited); code != 1 {
		t.Fatalf("exit code %d", code)
	}
	close(release) // the fake Exit returned: let Run finish
	testwait.Receive(t, answer)
	if err := testwait.Receive(t, r.done); err != nil {
		t.Fatal(err)
	}
}

// ANCHOR_END: second_signal_test

// ANCHOR: grace_test
// During the grace period /ready answers 503 and everything else is still served; when it
// ends, the drain begins.
func TestReadyIs503DuringTheGrace(t *testing.T) {
	grace := make(chan time.Time)
	s := New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "served")
	}), NewQueue(1, 10))
	s.Grace = time.Minute
	s.After = func(d time.Duration) <-chan time.Time { return grace } // a fake clock's timer
	r := start(t, s)
	if status, _, err := r.get("/ready"); status != 200 {
		t.Fatalf("/ready before the signal: %d %v", status, err)
	}
	r.signals <- syscall.SIGTERM
	testwait.Receive(t, s.Draining())
	for path, want := range map[string]int{"/ready": 503, "/health": 200, "/work": 200} {
		if status, body, err := r.get(path); status != want {
			t.Fatalf("%s during the grace: %d %q %v", path, status, body, err)
		}
	}
	close(grace)
	if err := testwait.Receive(t, r.done); err != nil {
		t.Fatal(err)
	}
}

// ANCHOR_END: grace_test

// ANCHOR: serve_returns_early
// Serve returns http.ErrServerClosed as soon as Shutdown begins, with a request still in
// flight: a main that returns when Serve does cuts that request off. Wait for Shutdown.
func TestServeReturnsBeforeTheDrainEnds(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "late")
	})}
	r := serve(t, srv)
	answer := r.getLater("/")
	testwait.Receive(t, entered)
	shutdown := make(chan error, 1)
	go func() { shutdown <- srv.Shutdown(context.Background()) }()
	if err := testwait.Receive(t, r.done); err != http.ErrServerClosed {
		t.Fatalf("Serve: %v", err)
	}
	select {
	case err := <-shutdown:
		t.Fatalf("Shutdown returned (%v) with a request in flight", err)
	default:
	}
	close(release)
	if err := testwait.Receive(t, shutdown); err != nil {
		t.Fatal(err)
	}
	if got := testwait.Receive(t, answer); got.body != "late" {
		t.Fatalf("%+v", got)
	}
}

// ANCHOR_END: serve_returns_early

// ANCHOR: shutdown_cancels_nothing
// When Shutdown's ctx ends, Shutdown returns its error, and that is all: the handler still
// runs, its r.Context() is not cancelled, and its answer still reaches the client.
func TestShutdownAtItsDeadlineStopsNothing(t *testing.T) {
	entered, release, ctxErr := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		ctxErr <- r.Context().Err()
		io.WriteString(w, "answered after the deadline")
	})}
	r := serve(t, srv)
	answer := r.getLater("/")
	testwait.Receive(t, entered)
	expired, cancel := context.WithCancel(context.Background())
	cancel()
	if err := srv.Shutdown(expired); err != context.Canceled {
		t.Fatalf("Shutdown: %v", err)
	}
	close(release)
	if err := testwait.Receive(t, ctxErr); err != nil {
		t.Fatalf("the handler's context: %v", err)
	}
	if got := testwait.Receive(t, answer); got.body != "answered after the deadline" {
		t.Fatalf("%+v", got)
	}
}

// ANCHOR_END: shutdown_cancels_nothing

// ANCHOR: idle_new_conn
// A connection that has sent nothing yet holds Shutdown up: net/http counts it as busy for
// its first 5 seconds (Go issue 22682). A load balancer's or a browser's spare connection
// is enough to use up a short drain deadline with no request in flight.
func TestShutdownWaitsForAConnectionThatSentNothing(t *testing.T) {
	accepted := make(chan struct{}, 1)
	srv := &http.Server{Handler: http.NotFoundHandler(),
		ConnState: func(_ net.Conn, state http.ConnState) {
			if state == http.StateNew {
				accepted <- struct{}{}
			}
		}}
	r := serve(t, srv)
	conn, err := net.Dial("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	testwait.Receive(t, accepted)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); err != context.DeadlineExceeded {
		t.Fatalf("Shutdown: %v", err)
	}
	srv.Close()
}

// ANCHOR_END: idle_new_conn

// serve runs srv on a port of its own; done receives what Serve returns.
func serve(t *testing.T, srv *http.Server) *running {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &running{addr: ln.Addr().String(), done: make(chan error, 1),
		client: &http.Client{Transport: &http.Transport{}, Timeout: testwait.Guard}}
	go func() { r.done <- srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close(); r.client.CloseIdleConnections() })
	return r
}

// Run returns Serve's error at once when Serve fails before any signal.
func TestRunReturnsWhenServeFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	s := New(http.NotFoundHandler(), NewQueue(1, 1))
	if err := s.Run(context.Background(), ln, nil); err == nil || errors.Is(err, http.ErrServerClosed) {
		t.Fatalf("Run: %v", err)
	}
}

// Cancelling Run's ctx starts the drain too, as a signal does.
func TestCancellingTheContextDrains(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := New(http.NotFoundHandler(), NewQueue(1, 1))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, ln, nil) }()
	cancel()
	if err := testwait.Receive(t, done); err != nil {
		t.Fatal(err)
	}
}

// ANCHOR: vet_signal
// `go vet` reports an unbuffered channel given to signal.Notify (testdata/unbufferedsignal):
// Notify never waits for a receiver, so a signal sent while nobody receives is lost.
func TestVetFindsAnUnbufferedSignalChannel(t *testing.T) {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goTool, "vet", "./testdata/unbufferedsignal").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "misuse of unbuffered os.Signal channel as argument to signal.Notify") {
		t.Fatalf("go vet: err=%v, output:\n%s", err, out)
	}
}

// ANCHOR_END: vet_signal
