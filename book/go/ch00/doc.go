// Package ch00 shows what chapter 0 and the reference page say about Go's net/http and its
// runtime, as tests against Go 1.19: how a connection is served (one goroutine each, its
// requests one at a time), what a handler that writes nothing or panics leaves the client, how
// net/http closes after a refusal, and every entry of the reference page's "Go net/http
// equivalent" column. Claims a test cannot show (the netpoller's epoll flags, say) are cited
// in the book by Go source file and line instead.
package ch00
