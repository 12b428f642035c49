package ch00

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// echo answers what it was asked: the method, the path, the query values a and b as
// r.URL.Query().Get gives them, and the body, or 400 if the body could not be read.
func echo(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, "reading the body: %v", err)
		return
	}
	q := r.URL.Query()
	fmt.Fprintf(w, "%s %s a=%q b=%q body=%q", r.Method, r.URL.Path, q.Get("a"), q.Get("b"), body)
}

// TestReferenceTable runs one request per row of the reference page's table of refusals, on
// Go 1.19's net/http, and checks the "Go net/http equivalent" column.
func TestReferenceTable(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", echo)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	const host = "Host: test\r\n"
	rows := []struct {
		row      string
		request  string
		cutShort bool   // the client shuts down its sending side after the request
		status   int    // 0: the connection is closed with no answer
		body     string // a part of the answer's body, if not empty
	}{
		{"no limit on the number of headers", "GET /echo HTTP/1.1\r\n" + host +
			strings.Repeat("X-Many: yes\r\n", 1000) + "\r\n", false, 200, "GET /echo"},
		{"Content-Length and Transfer-Encoding together", "POST /echo HTTP/1.1\r\n" + host +
			"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", false, 200, `body="hello"`},
		{"two Content-Lengths that differ", "POST /echo HTTP/1.1\r\n" + host +
			"Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", false, 400, ""},
		{"a Content-Length that is not a number", "POST /echo HTTP/1.1\r\n" + host +
			"Content-Length: lots\r\n\r\n", false, 400, ""},
		{"chunked is supported", "POST /echo HTTP/1.1\r\n" + host +
			"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", false, 200, `body="hello"`},
		{"another transfer coding", "POST /echo HTTP/1.1\r\n" + host +
			"Transfer-Encoding: gzip\r\n\r\n", false, 501, ""},
		{"HTTP/1.1 without Host", "GET /echo HTTP/1.1\r\n\r\n", false, 400, "missing required Host"},
		{"an unknown method", "FROB /echo HTTP/1.1\r\n" + host + "\r\n", false, 200, "FROB /echo"},
		{"a malformed request line", "GARBAGE\r\n\r\n", false, 400, ""},
		{"a malformed header", "GET /echo HTTP/1.1\r\n" + host + "No colon here\r\n\r\n", false, 400, ""},
		{"a head cut short", "GET /echo HTTP/1.1\r\n" + host, true, 400, ""},
		{"a body cut short", "POST /echo HTTP/1.1\r\n" + host + "Content-Length: 10\r\n\r\nabc", true,
			400, "unexpected EOF"},
		{"a query parameter given twice", "GET /echo?a=1&a=2 HTTP/1.1\r\n" + host + "\r\n", false, 200, `a="1"`},
		{"a badly percent-encoded query", "GET /echo?a=%zz&b=2 HTTP/1.1\r\n" + host + "\r\n", false, 200, `a="" b="2"`},
		{"an unknown path", "GET /nowhere HTTP/1.1\r\n" + host + "\r\n", false, 404, ""},
		{"a known path, another method", "DELETE /echo HTTP/1.1\r\n" + host + "\r\n", false, 200, "DELETE /echo"},
	}
	for _, row := range rows {
		t.Run(row.row, func(t *testing.T) {
			c := dial(t, srv.Listener.Addr().String())
			c.send(row.request)
			if row.cutShort {
				c.conn.(*net.TCPConn).CloseWrite()
			}
			if row.status == 0 {
				if !c.closedUnanswered() {
					t.Fatal("answered")
				}
				return
			}
			resp, body := c.answer()
			if resp.StatusCode != row.status || !strings.Contains(body, row.body) {
				t.Fatalf("answered %d %q; want %d with %q", resp.StatusCode, body, row.status, row.body)
			}
		})
	}
}

// MaxHeaderBytes defaults to http.DefaultMaxHeaderBytes, 1 MiB, and net/http adds 4096 bytes of
// slack (Server.initialReadLimitSize): a head just over 1 MiB passes, a longer one gets a 431.
func TestMaxHeaderBytesDefaultsToOneMegabyte(t *testing.T) {
	if http.DefaultMaxHeaderBytes != 1<<20 {
		t.Fatalf("DefaultMaxHeaderBytes is %d", http.DefaultMaxHeaderBytes)
	}
	srv := httptest.NewServer(http.HandlerFunc(echo)) // MaxHeaderBytes left at 0
	defer srv.Close()
	for _, tc := range []struct{ size, status int }{{1 << 19, 200}, {1<<20 + 1024, 200}, {1<<20 + 4096, 431}} {
		c := dial(t, srv.Listener.Addr().String())
		c.send("GET / HTTP/1.1\r\nHost: test\r\nX-Big: " + strings.Repeat("a", tc.size) + "\r\n\r\n")
		if resp, _ := c.answer(); resp.StatusCode != tc.status {
			t.Fatalf("a %d-byte header: %d, want %d", tc.size, resp.StatusCode, tc.status)
		}
	}
}

// There is no server-wide limit on a body: a handler that wants one wraps r.Body in
// http.MaxBytesReader, and answers the error itself.
func TestABodyLimitIsPerHandler(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/limited" {
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		}
		n, err := io.Copy(io.Discard, r.Body)
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			return
		}
		fmt.Fprint(w, n)
	}))
	defer srv.Close()
	body := strings.Repeat("a", 2<<20)
	for path, want := range map[string]int{"/unlimited": 200, "/limited": 413} {
		resp, err := http.Post(srv.URL+path, "text/plain", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("%s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}

// A zero http.Server has no timeouts at all.
func TestGoTimeoutsDefaultToNone(t *testing.T) {
	var s http.Server
	if s.ReadHeaderTimeout != 0 || s.ReadTimeout != 0 || s.WriteTimeout != 0 || s.IdleTimeout != 0 {
		t.Fatal("a zero Server has a timeout")
	}
}

// ReadHeaderTimeout closes a connection whose head is too slow, without an answer (no 408).
func TestReadHeaderTimeoutClosesWithoutAnAnswer(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(echo))
	srv.Config.ReadHeaderTimeout = 50 * time.Millisecond
	srv.Start()
	defer srv.Close()
	c := dial(t, srv.Listener.Addr().String())
	c.send("GET / HTTP/1.1\r\n") // and nothing more
	if !c.closedUnanswered() {
		t.Fatal("answered a head that never ended")
	}
}

// IdleTimeout closes a keep-alive connection that sends no next request.
func TestIdleTimeoutClosesAnIdleConnection(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(echo))
	srv.Config.IdleTimeout = 50 * time.Millisecond
	srv.Start()
	defer srv.Close()
	c := dial(t, srv.Listener.Addr().String())
	c.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
	c.answer()
	if !c.closedUnanswered() {
		t.Fatal("the idle connection was answered")
	}
}

// ReadTimeout covers the body too: a body that stops coming makes the handler's read fail, and
// what the client gets is the handler's choice (echo answers 400).
func TestReadTimeoutFailsTheBodyRead(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(echo))
	srv.Config.ReadTimeout = 50 * time.Millisecond
	srv.Start()
	defer srv.Close()
	c := dial(t, srv.Listener.Addr().String())
	c.send("POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\nabc") // and nothing more
	resp, body := c.answer()
	if resp.StatusCode != 400 || !strings.Contains(body, "timeout") {
		t.Fatalf("answered %d %q", resp.StatusCode, body)
	}
}
