package ch04

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// guard is a failure guard; short is a bound within which something must NOT happen.
const (
	guard = 10 * time.Second
	short = 100 * time.Millisecond
)

// The select's three arms, each winning once.
func TestEachArmWins(t *testing.T) {
	ready := make(chan int, 1)
	ready <- 42
	if got, err := RecvWithin(context.Background(), ready, guard); got != 42 || err != nil {
		t.Fatalf("result: %d, %v", got, err)
	}
	silent := make(chan int)
	if _, err := RecvWithin(context.Background(), silent, 10*time.Millisecond); err != ErrTimedOut {
		t.Fatalf("timeout: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := RecvWithin(ctx, silent, guard); err != context.Canceled {
		t.Fatalf("cancellation: %v", err)
	}
	expiring, cancelExpiring := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancelExpiring()
	if _, err := RecvWithin(expiring, silent, guard); err != context.DeadlineExceeded {
		t.Fatalf("deadline: %v; Go's Done closes at the deadline by itself", err)
	}
}

// ANCHOR: leak
// The select returns at its timeout; the producer's send on the unbuffered
// resultCh then has no receiver, and blocks for ever: a goroutine leak.
func TestUnbufferedSendAfterTimeoutBlocksForever(t *testing.T) {
	resultCh := make(chan int)
	release := make(chan struct{})
	sent := make(chan struct{})
	go func() {
		<-release // the work takes longer than the timeout
		resultCh <- 42
		close(sent)
	}()
	if _, err := RecvMaybeWithin(resultCh, time.Millisecond); err != ErrTimedOut {
		t.Fatalf("err = %v, want the timeout", err)
	}
	close(release)
	select {
	case <-sent:
		t.Fatal("the send completed with nobody receiving")
	case <-time.After(short): // still blocked: leaked, as far as anyone can tell
	}
	<-resultCh // unblock it, so that this test leaks nothing
	<-sent
}

// ANCHOR_END: leak

// "Timing out, moving on": a buffer of one lets the producer send and exit anyway.
func TestBufferOfOneLetsTheProducerExit(t *testing.T) {
	resultCh := make(chan int, 1)
	release := make(chan struct{})
	sent := make(chan struct{})
	go func() {
		<-release
		resultCh <- 42
		close(sent)
	}()
	if _, err := RecvMaybeWithin(resultCh, time.Millisecond); err != ErrTimedOut {
		t.Fatalf("err = %v", err)
	}
	close(release)
	select {
	case <-sent:
	case <-time.After(guard):
		t.Fatal("the buffered send blocked")
	}
}

// A nil channel never delivers: an optional timeout that is off cannot win.
func TestNilChannelNeverWins(t *testing.T) {
	resultCh := make(chan int)
	got := make(chan error, 1)
	go func() {
		_, err := RecvMaybeWithin(resultCh, 0)
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("the select returned %v with no result and no timeout", err)
	case <-time.After(short):
	}
	resultCh <- 1
	if err := <-got; err != nil {
		t.Fatalf("err = %v", err)
	}
}

// Receiving from a closed channel succeeds at once with the zero value; only `, ok` tells.
func TestClosedChannelGivesTheZeroValue(t *testing.T) {
	resultCh := make(chan int)
	close(resultCh)
	if got, err := RecvWithin(context.Background(), resultCh, guard); got != 0 || err != nil {
		t.Fatalf("got %d, %v: a closed channel looks like a result of 0", got, err)
	}
	if _, ok := <-resultCh; ok {
		t.Fatal("ok must be false on a closed channel")
	}
}

// When several cases are ready, select picks one at random.
func TestSelectPicksAtRandom(t *testing.T) {
	a, b := make(chan int, 1), make(chan int, 1)
	picked := map[string]int{}
	for i := 0; i < 1000; i++ {
		a <- 1
		b <- 2
		select {
		case <-a:
			picked["a"]++
			<-b
		case <-b:
			picked["b"]++
			<-a
		}
	}
	if picked["a"] == 0 || picked["b"] == 0 {
		t.Fatalf("picked %v: not random", picked)
	}
}

// ANCHOR: timeout_handler
// http.TimeoutHandler: 503 at the timeout, the handler's context ends, and a
// late write fails with http.ErrHandlerTimeout.
func TestTimeoutHandler(t *testing.T) {
	release, late := make(chan struct{}), make(chan error, 1)
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // WithTimeout(r.Context(), dt) ended it
		<-release
		_, err := w.Write([]byte("too late"))
		late <- err
	})
	server := httptest.NewServer(http.TimeoutHandler(slow, 20*time.Millisecond, "timed out"))
	defer server.Close()
	response, err := server.Client().Get(server.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(response.Body)
	response.Body.Close()
	if response.StatusCode != 503 || string(body) != "timed out" {
		t.Fatalf("%d %q, want 503 \"timed out\"", response.StatusCode, body)
	}
	close(release)
	if err := <-late; err != http.ErrHandlerTimeout {
		t.Fatalf("late write: %v", err)
	}
}

// ANCHOR_END: timeout_handler

// sendHalfAHead connects, sends part of a request head, and reports whether the server
// closed the connection within `within` (EOF) or kept it open (a read timeout).
func sendHalfAHead(t *testing.T, addr string, within time.Duration) (closed bool, got string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x"); err != nil {
		t.Fatal(err)
	}
	if err := conn.SetReadDeadline(time.Now().Add(within)); err != nil {
		t.Fatal(err)
	}
	answer, err := io.ReadAll(conn)
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return false, string(answer)
	}
	return true, string(answer)
}

// ANCHOR: server_timeouts
// http.Server's timeouts are zero unless set, and zero means none: a client that
// stops in the middle of its head holds its connection. ReadHeaderTimeout closes
// it — without a 408: Go's server just closes the connection.
func TestServerTimeouts(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	open := httptest.NewServer(ok) // an http.Server with no timeouts
	defer open.Close()
	if closed, _ := sendHalfAHead(t, open.Listener.Addr().String(), short); closed {
		t.Fatal("a server with no timeouts closed a slow client's connection")
	}

	guarded := httptest.NewUnstartedServer(ok)
	guarded.Config.ReadHeaderTimeout = 20 * time.Millisecond
	guarded.Start()
	defer guarded.Close()
	closed, answer := sendHalfAHead(t, guarded.Listener.Addr().String(), guard)
	if !closed || answer != "" {
		t.Fatalf("closed=%v answer=%q: want a close, and no answer", closed, answer)
	}
}

// ANCHOR_END: server_timeouts

// ReadHeaderTimeout falls back to ReadTimeout when it is zero.
func TestReadHeaderTimeoutFallsBackToReadTimeout(t *testing.T) {
	server := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	server.Config.ReadTimeout = 20 * time.Millisecond
	server.Start()
	defer server.Close()
	if closed, _ := sendHalfAHead(t, server.Listener.Addr().String(), guard); !closed {
		t.Fatal("ReadTimeout did not bound the head")
	}
	var zero http.Server
	if zero.ReadHeaderTimeout != 0 || zero.ReadTimeout != 0 || zero.WriteTimeout != 0 || zero.IdleTimeout != 0 {
		t.Fatal("http.Server's timeouts default to zero")
	}
}

// "Using Context": the work is passed a context with the timeout's deadline.
func TestComputePassesTheDeadline(t *testing.T) {
	got, err := Compute(context.Background(), func(ctx context.Context) (int, error) {
		deadline, ok := ctx.Deadline()
		if !ok || time.Until(deadline) > 5*time.Second {
			return 0, errors.New("no 5 s deadline")
		}
		return 7, ctx.Err()
	})
	if got != 7 || err != nil {
		t.Fatalf("%d, %v", got, err)
	}
}

// IdleTimeout falls back to ReadTimeout: an idle keep-alive connection is closed after it.
func TestIdleTimeoutFallsBackToReadTimeout(t *testing.T) {
	server := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	server.Config.ReadTimeout = 20 * time.Millisecond
	server.Start()
	defer server.Close()
	conn, err := net.Dial("tcp", server.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if err := conn.SetReadDeadline(time.Now().Add(guard)); err != nil {
		t.Fatal(err)
	}
	answer, err := io.ReadAll(conn) // the answer, then EOF when the idle connection is closed
	if err != nil || !strings.HasPrefix(string(answer), "HTTP/1.1 200 OK") {
		t.Fatalf("err=%v answer=%q: want a 200, then a close", err, answer)
	}
}

// WriteTimeout is a total that runs from the end of the request's head: a handler slower
// than it loses its answer, and the client sees the connection close instead.
func TestWriteTimeoutCountsTheHandlersTime(t *testing.T) {
	server := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-time.After(100 * time.Millisecond) // slower than the WriteTimeout below
		_, _ = w.Write([]byte("too late"))
	}))
	server.Config.WriteTimeout = 20 * time.Millisecond
	server.Start()
	defer server.Close()
	if response, err := server.Client().Get(server.URL); err == nil {
		response.Body.Close()
		t.Fatalf("got %d: the answer was written after the WriteTimeout", response.StatusCode)
	}
}
