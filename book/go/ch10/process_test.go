package ch10

import (
	"bookgo/internal/testwait"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childEnv tells the test binary, run again, to be a server process instead.
const childEnv = "BOOKGO_SHUTDOWN_CHILD"

// ANCHOR: child_server
// childServer is the main of the server the process tests signal: Main, with a /slow that
// answers half, then the other half once the drain has begun — or never, when stuck.
func childServer(mode string) int {
	queue := NewQueue(2, 10)
	metrics := NewMetrics(queue)
	var s *Server
	mux := http.NewServeMux()
	mux.Handle("/metrics", metrics)
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "started; ")
		w.(http.Flusher).Flush() // through metrics' statusWriter
		if mode == "stuck" {
			<-r.Context().Done() // the drain deadline is an hour away
			return
		}
		<-s.Draining()
		io.WriteString(w, "finished while draining")
	})
	s = New(metrics.Count(mux), queue)
	s.Log = log.New(os.Stdout, "", 0)
	s.Drain = testwait.Guard
	if mode == "stuck" {
		s.Drain = time.Hour
	}
	return Main("127.0.0.1:0", s)
}

// ANCHOR_END: child_server

// ANCHOR: sigterm_test
// A real SIGTERM, from outside, to a real process: the request in flight gets its whole
// answer, the second half written after the signal, and the process exits with 0.
func TestSIGTERMDrainsAndExitsZero(t *testing.T) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(childServer(mode))
	}
	c := startChild(t, "TestSIGTERMDrainsAndExitsZero", "drain")
	body, first := c.getSlow(t)
	c.signal(t, syscall.SIGTERM)
	rest, err := io.ReadAll(body)
	if got := first + string(rest); err != nil || got != "started; finished while draining" {
		t.Fatalf("the answer: %q, %v", got, err)
	}
	if err := c.wait(); err != nil {
		t.Fatalf("the child: %v\n%s", err, c.stderr.String())
	}
	if !strings.Contains(c.output(), "terminated: draining\nshutdown complete\n") {
		t.Fatalf("the child printed:\n%s", c.output())
	}
}

// ANCHOR_END: sigterm_test

// ANCHOR: second_sigterm_test
// A second SIGTERM during a drain that would take an hour ends the process at once, with
// exit code 1, and the request in flight is cut off.
func TestASecondSIGTERMExitsOne(t *testing.T) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(childServer(mode))
	}
	c := startChild(t, "TestASecondSIGTERMExitsOne", "stuck")
	body, _ := c.getSlow(t)
	c.signal(t, syscall.SIGTERM)
	c.waitFor(t, "terminated: draining")
	c.signal(t, syscall.SIGTERM)
	var exit *exec.ExitError
	if err := c.wait(); !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("the child: %v\n%s", err, c.stderr.String())
	}
	if _, err := io.ReadAll(body); err == nil {
		t.Fatal("the cut-off answer ended cleanly")
	}
	if !strings.Contains(c.output(), "terminated again: exiting now\n") {
		t.Fatalf("the child printed:\n%s", c.output())
	}
}

// ANCHOR_END: second_sigterm_test

// ANCHOR: notify_context
// notifyContextMain is the shorter way to the first signal: a ctx that ends with it. Until
// stop is called, later signals go to NotifyContext and are ignored; stop puts the default
// back, so a second SIGTERM kills the process — by the signal, with no exit code.
func notifyContextMain() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	fmt.Println("serving")
	<-ctx.Done()
	stop() // a second signal now ends the process
	fmt.Println("draining")
	<-time.After(testwait.Guard) // a drain that takes too long
	return 0
}

func TestNotifyContextStopLetsTheSecondSignalKill(t *testing.T) {
	if os.Getenv(childEnv) == "notifycontext" {
		os.Exit(notifyContextMain())
	}
	c := startChild(t, "TestNotifyContextStopLetsTheSecondSignalKill", "notifycontext")
	c.waitFor(t, "serving")
	c.signal(t, syscall.SIGTERM)
	c.waitFor(t, "draining")
	c.signal(t, syscall.SIGTERM)
	var exit *exec.ExitError
	if err := c.wait(); !errors.As(err, &exit) {
		t.Fatalf("the child: %v", err)
	}
	if status := exit.Sys().(syscall.WaitStatus); !status.Signaled() || status.Signal() != syscall.SIGTERM {
		t.Fatalf("the child ended with %v (exit code %d)", exit, exit.ExitCode())
	}
}

// ANCHOR_END: notify_context

// child is this test binary run again as a server process; its stdout is read a line at a
// time, its stderr kept for the failure message.
type child struct {
	cmd    *exec.Cmd
	lines  chan string // closed at the end of the output
	seen   []string
	stderr bytes.Buffer
	waited bool
}

func startChild(t *testing.T, test, mode string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(os.Args[0], "-test.run=^"+test+"$"), lines: make(chan string, 100)}
	c.cmd.Env = append(os.Environ(), childEnv+"="+mode)
	c.cmd.Stderr = &c.stderr
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			c.lines <- scanner.Text()
		}
		close(c.lines)
	}()
	guard := time.AfterFunc(testwait.Guard, func() { c.cmd.Process.Kill() })
	t.Cleanup(func() {
		guard.Stop()
		if !c.waited {
			c.cmd.Process.Kill()
			c.wait()
		}
	})
	return c
}

// waitFor reads lines until one starts with prefix, and returns the rest of that line.
func (c *child) waitFor(t *testing.T, prefix string) string {
	t.Helper()
	for line := range c.lines {
		c.seen = append(c.seen, line)
		if strings.HasPrefix(line, prefix) {
			return strings.TrimPrefix(line, prefix)
		}
	}
	err := c.wait() // stderr may be read once the child has exited
	t.Fatalf("the child ended (%v) without printing %q; it printed:\n%s\n%s", err, prefix, c.output(), c.stderr.String())
	return ""
}

// getSlow sends GET /slow once the child listens, and reads the first half of the answer:
// the handler is then running. The rest is left to read.
func (c *child) getSlow(t *testing.T) (io.Reader, string) {
	t.Helper()
	addr := c.waitFor(t, "listening on ")
	resp, err := (&http.Client{Timeout: testwait.Guard}).Get("http://" + addr + "/slow")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	first := make([]byte, len("started; "))
	if _, err := io.ReadFull(resp.Body, first); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %q %v", resp.StatusCode, first, err)
	}
	return resp.Body, string(first)
}

func (c *child) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(c.cmd.Process.Pid, sig); err != nil {
		t.Fatal(err)
	}
}

// wait reads the rest of the output, then waits for the child to exit.
func (c *child) wait() error {
	for line := range c.lines {
		c.seen = append(c.seen, line)
	}
	c.waited = true
	return c.cmd.Wait()
}

// output is every line the child has printed so far.
func (c *child) output() string { return strings.Join(c.seen, "\n") + "\n" }
