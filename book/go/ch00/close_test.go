package ch00

import (
	"bookgo/internal/testwait"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder notes what the server does to its connections, in order, with the time of each.
type recorder struct {
	mu     sync.Mutex
	events []string
	at     map[string]time.Time
	closed chan struct{} // closed at the first Close
	once   sync.Once
}

func (r *recorder) note(event string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, event)
	if _, seen := r.at[event]; !seen {
		r.at[event] = time.Now()
	}
}

// waitClosed waits for the server's first Close, failing the test after testwait.Guard.
func (r *recorder) waitClosed(t *testing.T) {
	t.Helper()
	select {
	case <-r.closed:
	case <-time.After(testwait.Guard):
		t.Fatal("the server never closed the connection")
	}
}

// recordingListener hands the server connections that tell the recorder about every Read,
// CloseWrite and Close.
type recordingListener struct {
	net.Listener
	rec *recorder
}

func (l recordingListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &recordingConn{conn.(*net.TCPConn), l.rec}, nil
}

type recordingConn struct {
	*net.TCPConn
	rec *recorder
}

func (c *recordingConn) Read(p []byte) (int, error) {
	c.rec.note("read")
	return c.TCPConn.Read(p)
}

// CloseWrite shuts down the sending side; net/http calls it only if the connection has it.
func (c *recordingConn) CloseWrite() error {
	c.rec.note("closewrite")
	return c.TCPConn.CloseWrite()
}

func (c *recordingConn) Close() error {
	c.rec.note("close")
	c.rec.once.Do(func() { close(c.rec.closed) })
	return c.TCPConn.Close()
}

// serveRecorded starts a server whose connections are recorded; maxHeaderBytes as given.
func serveRecorded(t *testing.T, maxHeaderBytes int) (*httptest.Server, *recorder) {
	rec := &recorder{at: map[string]time.Time{}, closed: make(chan struct{})}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Listener = recordingListener{srv.Listener, rec}
	srv.Config.MaxHeaderBytes = maxHeaderBytes
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, rec
}

// ANCHOR: linger
// After a 431 (and after a handler left a request body unread), net/http shuts down its
// sending side, sleeps for rstAvoidanceDelay (500 ms) reading nothing, and then closes.
func TestAfterA431GoShutsDownWritesThenSleeps(t *testing.T) {
	srv, rec := serveRecorded(t, 1) // a head over 1 + 4096 bytes is too large
	c := dial(t, srv.Listener.Addr().String())
	c.send("GET / HTTP/1.1\r\nHost: test\r\nX-Big: " + strings.Repeat("a", 8192) + "\r\n\r\n")
	if resp, _ := c.answer(); resp.StatusCode != 431 {
		t.Fatalf("answered %d", resp.StatusCode)
	}
	rec.waitClosed(t)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	events := strings.Join(rec.events, " ")
	if !strings.HasSuffix(events, "closewrite close") { // no read in between
		t.Fatalf("the server did: %s", events)
	}
	if waited := rec.at["close"].Sub(rec.at["closewrite"]); waited < 500*time.Millisecond {
		t.Fatalf("closed %v after shutting down writes", waited)
	}
}

// ANCHOR_END: linger

// Other refusals close at once: a request without Host gets its 400 and a plain Close, with
// no shutdown of the sending side and no pause.
func TestAfterA400GoClosesAtOnce(t *testing.T) {
	srv, rec := serveRecorded(t, 0)
	c := dial(t, srv.Listener.Addr().String())
	c.send("GET / HTTP/1.1\r\n\r\n")
	if resp, _ := c.answer(); resp.StatusCode != 400 {
		t.Fatalf("answered %d", resp.StatusCode)
	}
	rec.waitClosed(t)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if events := strings.Join(rec.events, " "); strings.Contains(events, "closewrite") {
		t.Fatalf("the server did: %s", events)
	}
}
