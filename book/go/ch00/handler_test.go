package ch00

import (
	"bookgo/internal/testwait"
	"context"
	"errors"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// ANCHOR: forgets
// A handler that returns without writing anything: net/http answers for it, 200 with an empty
// body. Nothing tells the client that the handler forgot.
func TestAHandlerThatWritesNothingAnswersAnEmpty200(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	c := dial(t, srv.Listener.Addr().String())
	c.send("GET /forgotten HTTP/1.1\r\nHost: test\r\n\r\n")
	resp, body := c.answer()
	if resp.StatusCode != 200 || resp.ContentLength != 0 || body != "" {
		t.Fatalf("%d, Content-Length %d, %q", resp.StatusCode, resp.ContentLength, body)
	}
}

// ANCHOR_END: forgets

// A handler blocked on a channel nobody sends to leaves its client waiting, with no answer.
func TestAHandlerBlockedOnAChannelLeavesTheClientWaiting(t *testing.T) {
	never := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-never
	}))
	defer srv.Close()
	defer close(never) // runs before srv.Close, which waits for the handler
	// A bound shows what did not happen; it synchronizes nothing.
	client := http.Client{Timeout: 100 * time.Millisecond}
	_, err := client.Get(srv.URL)
	var timeout interface{ Timeout() bool }
	if !errors.As(err, &timeout) || !timeout.Timeout() {
		t.Fatalf("want a client timeout, got %v", err)
	}
}

// logLines is a log destination that hands each line to the test.
type logLines chan string

func (l logLines) Write(p []byte) (int, error) {
	l <- string(p)
	return len(p), nil
}

// ANCHOR: panics
// A handler that panics: net/http recovers, logs the panic with its stack, and closes the
// connection. The client gets no answer at all: no 500, just the end of the stream.
func TestAHandlerPanicIsLoggedAndClosesTheConnection(t *testing.T) {
	logged := make(logLines, 4)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("boom")
	}))
	srv.Config.ErrorLog = log.New(logged, "", 0)
	srv.Start()
	defer srv.Close()
	c := dial(t, srv.Listener.Addr().String())
	c.send("GET /panics HTTP/1.1\r\nHost: test\r\n\r\n")
	if !c.closedUnanswered() {
		t.Fatal("the panic was answered")
	}
	if line := <-logged; !strings.Contains(line, "http: panic serving") ||
		!strings.Contains(line, "boom") {
		t.Fatalf("logged %q", line)
	}
}

// ANCHOR_END: panics

// A panic in a goroutine the handler started is not recovered by anyone: it ends the whole
// process, every other connection with it. The test runs itself as a child process to see it.
func TestAPanicInAHandlersGoroutineEndsTheProcess(t *testing.T) {
	if os.Getenv("CH00_PANIC_CHILD") == "1" {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			go func() { panic("boom in a goroutine") }()
			select {} // the process ends before this handler could answer
		}))
		http.Get(srv.URL)
		return // not reached
	}
	ctx, cancel := context.WithTimeout(context.Background(), testwait.Guard)
	defer cancel()
	child := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestAPanicInAHandlersGoroutineEndsTheProcess$")
	child.Env = append(os.Environ(), "CH00_PANIC_CHILD=1")
	out, err := child.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(string(out), "panic: boom in a goroutine") {
		t.Fatalf("want exit status 2 and the panic, got %v:\n%s", err, out)
	}
}
