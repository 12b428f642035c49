package ch00

import (
	"bookgo/internal/testwait"
	"bufio"
	"net"
	"net/http"
	"testing"
	"time"
)

// client is one raw TCP connection to a server, for requests that http.Client would not send
// (pipelined, malformed, cut short).
type client struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

// dial opens a raw connection to addr ("127.0.0.1:port"), closed when the test ends.
func dial(t *testing.T, addr string) *client {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(testwait.Guard))
	return &client{t: t, conn: conn, r: bufio.NewReader(conn)}
}

// send writes raw bytes on the connection.
func (c *client) send(raw string) {
	c.t.Helper()
	if _, err := c.conn.Write([]byte(raw)); err != nil {
		c.t.Fatal(err)
	}
}

// answer reads one response and its whole body.
func (c *client) answer() (*http.Response, string) {
	c.t.Helper()
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		c.t.Fatalf("no answer: %v", err)
	}
	defer resp.Body.Close()
	var body []byte
	buf := make([]byte, 512)
	for {
		n, err := resp.Body.Read(buf)
		body = append(body, buf[:n]...)
		if err != nil {
			break
		}
	}
	return resp, string(body)
}

// closedUnanswered reports whether the server closed the connection without sending a byte
// more: the next read returns the end of the stream (or a reset), not an answer.
func (c *client) closedUnanswered() bool {
	c.t.Helper()
	b, err := c.r.ReadByte()
	if err == nil {
		c.t.Logf("the server sent %q", b)
		return false
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		c.t.Fatal("the connection stayed open past the failure guard")
	}
	return true
}
