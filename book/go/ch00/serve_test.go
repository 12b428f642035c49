package ch00

import (
	"bookgo/internal/testwait"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"
)

// ANCHOR: blocked_reads
// A goroutine blocked in conn.Read holds no OS thread: the runtime parks it ("IO wait") and its
// netpoller wakes it when epoll reports the socket readable. Four hundred blocked readers run
// on a handful of threads.
func TestBlockedReadsHoldNoThread(t *testing.T) {
	const n = 400 // 800 descriptors: under the common limit of 1,024
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	threadsBefore := pprof.Lookup("threadcreate").Count()
	for i := 0; i < n; i++ {
		client, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		server, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer server.Close() // ends the Read below with an error
		go server.Read(make([]byte, 1))
	}
	waitFor(t, func() bool { return goroutinesIn("[IO wait]") >= n })
	made := pprof.Lookup("threadcreate").Count() - threadsBefore
	t.Logf("%d goroutines blocked in Read; %d threads made meanwhile", n, made)
	if made >= n/2 {
		t.Fatalf("%d threads made for %d blocked reads", made, n)
	}
}

// ANCHOR_END: blocked_reads

// goroutinesIn counts the goroutines whose state, in a dump of all stacks, is state.
func goroutinesIn(state string) int {
	buf := make([]byte, 8<<20)
	return strings.Count(string(buf[:runtime.Stack(buf, true)]), " "+state+":")
}

// waitFor polls cond until it holds, failing the test after testwait.Guard.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testwait.Guard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("gave up waiting")
		}
		runtime.Gosched()
	}
}

// Each connection is served by a goroutine of its own (Server.Serve's `go c.serve(connCtx)`):
// two clients' handlers run at the same time.
func TestEachConnectionHasItsOwnGoroutine(t *testing.T) {
	started, release := make(chan string), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- r.URL.Path
		<-release
	}))
	defer srv.Close()
	a, b := dial(t, srv.Listener.Addr().String()), dial(t, srv.Listener.Addr().String())
	a.send("GET /a HTTP/1.1\r\nHost: test\r\n\r\n")
	b.send("GET /b HTTP/1.1\r\nHost: test\r\n\r\n")
	<-started
	<-started // both handlers are running: neither waited for the other
	close(release)
	a.answer()
	b.answer()
}

// ANCHOR: pipelined
// Two requests pipelined on one connection: the second's handler does not start until the
// first's has returned. The handlers run one at a time, on the connection's goroutine.
func TestPipelinedRequestsRunOneAtATime(t *testing.T) {
	started, release := make(chan string), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- r.URL.Path
		<-release
		io.WriteString(w, r.URL.Path)
	}))
	defer srv.Close()
	c := dial(t, srv.Listener.Addr().String())
	c.send("GET /first HTTP/1.1\r\nHost: test\r\n\r\nGET /second HTTP/1.1\r\nHost: test\r\n\r\n")
	if path := <-started; path != "/first" {
		t.Fatalf("%s started first", path)
	}
	select { // a bound shows what did not happen; it synchronizes nothing
	case path := <-started:
		t.Fatalf("%s started while /first was still running", path)
	case <-time.After(100 * time.Millisecond):
	}
	release <- struct{}{} // /first returns; only now is /second read and started
	if path := <-started; path != "/second" {
		t.Fatalf("%s started second", path)
	}
	release <- struct{}{}
	for _, want := range []string{"/first", "/second"} {
		if _, body := c.answer(); body != want {
			t.Fatalf("answered %q, want %q", body, want)
		}
	}
}

// ANCHOR_END: pipelined
