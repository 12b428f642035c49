// Package ch09 is the Go side of chapter 9: the guide's §6 rate limiting. Its ticker, which
// lets one request through per tick; a token bucket, which allows a burst and says when to
// come back; a bucket per client address behind a 429; and its semaphore, a buffered
// channel, behind a 503. Every claim the chapter makes about Go is a test in the _test.go
// files.
//
// A real server would take golang.org/x/time/rate's Limiter (Allow, Reserve, Wait). This
// module cannot download it, and uses the standard library only: the Bucket here does the
// same arithmetic in a page, with a clock a test can move.
package ch09

import (
	"net/http"
	"time"
)

// ANCHOR: guide_ticker
// Throttle is the guide's "Token Bucket": one request per tick of a ticker, 10 a second for
// every = time.Second/10. It ends when requests is closed, and stops its ticker then: the
// guide's loop never ends, so it never had to.
func Throttle(every time.Duration, requests <-chan func()) {
	limiter := time.NewTicker(every) // time.Second / 10: 10 requests per second
	defer limiter.Stop()
	for range limiter.C {
		request, ok := <-requests
		if !ok {
			return
		}
		request() // Process one request
	}
}

// ANCHOR_END: guide_ticker

// ANCHOR: tick_handler
// TickHandler is the ticker in a server: every request waits for a tick of its own, shared
// with all the others. Nothing is refused: the requests over the rate wait, each parked on
// its goroutine, until their turn or until their client gives up. time.Tick has no Stop, so
// in Go 1.19 its ticker is never collected: fine for a handler that lives as long as the
// process, a leak for anything shorter.
func TickHandler(every time.Duration, next http.Handler) http.Handler {
	tick := time.Tick(every)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-tick:
			next.ServeHTTP(w, r)
		case <-r.Context().Done(): // the client went away while waiting its turn
		}
	})
}

// ANCHOR_END: tick_handler
