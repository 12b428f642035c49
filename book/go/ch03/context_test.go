package ch03

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"
)

// guard is a failure guard: a test that waits for an event fails after it, instead of hanging.
const guard = 10 * time.Second

// waitDone waits for ctx to end, or fails the test at the guard.
func waitDone(t *testing.T, ctx context.Context) error {
	t.Helper()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(guard):
		t.Fatal("the context never ended")
		return nil
	}
}

// isDone says whether ctx has ended, without waiting.
func isDone(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return true
	default:
		return false
	}
}

// The tree: a parent's cancellation reaches every descendant, value nodes included, and
// never flows up or sideways.
func TestCancellationFlowsDownOnly(t *testing.T) {
	parent, cancelParent := context.WithCancel(context.Background())
	child, cancelChild := context.WithCancel(parent)
	sibling, cancelSibling := context.WithCancel(parent)
	defer cancelSibling()
	grandchild, cancelGrandchild := context.WithTimeout(WithRequestID(child, "req-7"), time.Hour)
	defer cancelGrandchild()

	cancelChild()
	if !isDone(child) || isDone(parent) || isDone(sibling) {
		t.Fatal("cancelling a child must end it alone, not its parent or its sibling")
	}
	cancelParent()
	if err := waitDone(t, grandchild); err != context.Canceled {
		t.Fatalf("grandchild: %v, want the parent's reason, context.Canceled", err)
	}
	if !isDone(sibling) {
		t.Fatal("the sibling must end with the parent")
	}
}

// A child made from a parent that has already ended starts ended (Go's propagateCancel),
// and its Done channel is closed already.
func TestChildOfCancelledParentStartsCancelled(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	cancel()
	child, cancelChild := context.WithCancel(parent)
	defer cancelChild()
	if !isDone(child) || child.Err() != context.Canceled {
		t.Fatalf("child of a cancelled parent: done=%v err=%v", isDone(child), child.Err())
	}
}

// WithDeadline under a parent that ends sooner keeps the parent's deadline.
func TestDeadlineIsInherited(t *testing.T) {
	parent, cancelParent := context.WithTimeout(context.Background(), time.Hour)
	defer cancelParent()
	child, cancelChild := context.WithDeadline(parent, time.Now().Add(2*time.Hour))
	defer cancelChild()
	want, _ := parent.Deadline()
	if got, _ := child.Deadline(); !got.Equal(want) {
		t.Fatalf("child deadline %v, want the parent's earlier %v", got, want)
	}
}

// Go's Done closes by itself at the deadline: the runtime runs a timer for it.
func TestDoneClosesAtTheDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := waitDone(t, ctx); err != context.DeadlineExceeded {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	cancel() // after the timer has run: the first reason stands
	if ctx.Err() != context.DeadlineExceeded {
		t.Fatalf("a cancel after the timer ran changed the reason to %v", ctx.Err())
	}
}

// A deadline already past when the context is made ends it at once, with DeadlineExceeded.
func TestPastDeadlineEndsAtOnce(t *testing.T) {
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	if ctx.Err() != context.DeadlineExceeded {
		t.Fatalf("err = %v, want context.DeadlineExceeded at once", ctx.Err())
	}
}

// ANCHOR: late_cancel
// A cancel that comes after the deadline has passed, but before the runtime has run the
// context's timer, is recorded as context.Canceled: Go's Err() never looks at the clock.
func TestLateCancelIsRecordedAsCanceled(t *testing.T) {
	// One P: while this goroutine runs, no other can run the timer, until the
	// scheduler preempts it (sysmon does so after 10 ms; the window below is ~1 ms).
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	const attempts = 20
	late := 0
	for i := 0; i < attempts; i++ {
		switch err := lateCancel(); err {
		case context.Canceled:
			late++
		case context.DeadlineExceeded: // preempted inside the window: the timer ran first
		default:
			t.Fatalf("err = %v", err)
		}
	}
	if late == 0 {
		t.Fatalf("no late cancel recorded Canceled in %d attempts", attempts)
	}
	t.Logf("%d of %d cancels after the deadline recorded context.Canceled", late, attempts)
}

func lateCancel() error {
	runtime.Gosched() // start on a fresh time slice
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	deadline, _ := ctx.Deadline()
	for !time.Now().After(deadline) { // busy: keep the only P, so the timer cannot fire
	}
	cancel() // late: the deadline has passed
	return ctx.Err()
}

// ANCHOR_END: late_cancel

// net/http cancels a request's context when its client goes away.
func TestHangUpCancelsTheRequestContext(t *testing.T) {
	started := make(chan struct{})
	ended := make(chan error, 1)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		select {
		case <-r.Context().Done():
			ended <- r.Context().Err()
		case <-time.After(guard):
			ended <- errors.New("the request's context was never cancelled")
		}
	}))
	defer server.Close()

	ctx, giveUp := context.WithCancel(context.Background())
	defer giveUp()
	request, err := http.NewRequestWithContext(ctx, "GET", server.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		<-started
		giveUp() // the client abandons the request: its transport closes the connection
	}()
	if _, err := server.Client().Do(request); err == nil {
		t.Fatal("the abandoned request succeeded")
	}
	if err := <-ended; err != context.Canceled {
		t.Fatalf("handler saw %v, want context.Canceled", err)
	}
}

// A client that half-closes (sends its request, then shuts its sending side) is taken for
// gone: reading EOF cancels the request's context (golang/go#18527).
func TestHalfCloseCancelsTheRequestContext(t *testing.T) {
	ended := make(chan error, 1)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			ended <- r.Context().Err()
		case <-time.After(guard):
			ended <- errors.New("the request's context was never cancelled")
		}
	}))
	defer server.Close()

	conn, err := net.Dial("tcp", server.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /sleep HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if err := <-ended; err != context.Canceled {
		t.Fatalf("handler saw %v, want context.Canceled", err)
	}
}

// The request's context also ends when ServeHTTP returns.
func TestRequestContextEndsWhenTheHandlerReturns(t *testing.T) {
	contexts := make(chan context.Context, 1)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		contexts <- r.Context()
	}))
	defer server.Close()
	response, err := server.Client().Get(server.URL)
	if err != nil {
		t.Fatal(err)
	}
	response.Body.Close()
	if err := waitDone(t, <-contexts); err != context.Canceled {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// Work that respects its context: the sleep ends at the cancel, the count before its next pass.
func TestWorkStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sleepCtx(ctx, time.Hour); err != context.Canceled {
		t.Fatalf("sleep: %v", err)
	}
	if _, err := countPrimes(ctx, 10_000_000); err != context.Canceled {
		t.Fatalf("count: %v", err)
	}
	if err := runTask(ctx, func(context.Context) error { panic("started") }); err != errStopped {
		t.Fatalf("runTask: %v", err)
	}
	if n, err := countPrimes(context.Background(), 100); n != 25 || err != nil {
		t.Fatalf("primes below 100: %d, %v", n, err)
	}
}

// The §4 handler, end to end: in time, and a bad parameter.
func TestSleepHandler(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(Sleep))
	defer server.Close()
	for query, want := range map[string]int{"ms=1": 200, "ms=forever": 400} {
		response, err := server.Client().Get(server.URL + "/sleep?" + query)
		if err != nil {
			t.Fatal(err)
		}
		response.Body.Close()
		if response.StatusCode != want {
			t.Errorf("%s: %d, want %d", query, response.StatusCode, want)
		}
	}
}

// Values: the nearest wins. An unexported key type cannot collide; a plain string key can.
func TestValues(t *testing.T) {
	ctx := WithRequestID(context.Background(), "req-7")
	ctx = context.WithValue(ctx, "request_id", 1) // two packages using the same string key
	ctx = context.WithValue(ctx, "request_id", "another")
	if id, _ := RequestID(ctx); id != "req-7" {
		t.Fatalf("the typed key was overwritten: %q", id)
	}
	if got := ctx.Value("request_id"); got != "another" {
		t.Fatalf("string key: %v; the nearest value should win", got)
	}
}

// `go vet`'s lostcancel check catches a forgotten cancel (testdata/lostcancel).
func TestVetFindsALostCancel(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	output, err := exec.Command(goTool, "vet", "./testdata/lostcancel").CombinedOutput()
	if err == nil || !strings.Contains(string(output), "context leak") {
		t.Fatalf("go vet: err=%v, output:\n%s", err, output)
	}
	lines := strings.Split(strings.TrimSpace(string(output)), "\n")
	t.Log(lines[len(lines)-1])
}
