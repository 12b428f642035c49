package ch10

import (
	"bookgo/internal/testwait"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
)

// running is a Server that Run serves in a test: its address, the fake signal channel Run
// listens to, and what Run returns.
type running struct {
	addr    string
	signals chan os.Signal
	done    chan error
	client  *http.Client
}

// start runs s on a port of its own, and gives the test a client with its own connections.
func start(t *testing.T, s *Server) *running {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &running{addr: ln.Addr().String(), signals: make(chan os.Signal, 2), done: make(chan error, 1),
		client: &http.Client{Transport: &http.Transport{}, Timeout: testwait.Guard}}
	go func() { r.done <- s.Run(context.Background(), ln, r.signals) }()
	t.Cleanup(r.client.CloseIdleConnections)
	return r
}

// get answers the status and body of GET path, or an error.
func (r *running) get(path string) (int, string, error) {
	resp, err := r.client.Get("http://" + r.addr + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// result is what a request in the background got.
type result struct {
	status int
	body   string
	err    error
}

// getLater sends GET path on a goroutine of its own.
func (r *running) getLater(path string) <-chan result {
	ch := make(chan result, 1)
	go func() {
		status, body, err := r.get(path)
		ch <- result{status, body, err}
	}()
	return ch
}

// listenerClosed reports whether a new connection to addr is refused.
func listenerClosed(addr string) bool {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return true
	}
	conn.Close()
	return false
}
