// Package ch03 is the Go side of chapter 3: the guide's §4 request context, and the
// behaviour of Go's context package that the chapter compares its Rust context with. Every
// claim the chapter makes about Go is a test in context_test.go.
package ch03

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// ANCHOR: key_usage
// Sleep answers GET /sleep?ms=N: the guide's §4 key usage, then work that respects ctx.
func Sleep(w http.ResponseWriter, r *http.Request) {
	ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
	if err != nil || ms < 0 || ms > 60000 {
		http.Error(w, "`ms` must be a whole number from 0 to 60000", http.StatusBadRequest)
		return
	}
	ctx := r.Context() // Get context from HTTP request
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := sleepCtx(ctx, time.Duration(ms)*time.Millisecond); err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintf(w, "{\"slept_ms\":%d}\n", ms)
}

// ANCHOR_END: key_usage

// ANCHOR: sleep
// sleepCtx waits for d, or less if ctx ends first: context first, and a select
// on ctx.Done() in place of a deaf time.Sleep.
func sleepCtx(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err() // context.Canceled or context.DeadlineExceeded
	}
}

// ANCHOR_END: sleep

// ANCHOR: count_primes
// countPrimes counts the primes below limit, checking ctx before each
// crossing-out pass: "check ctx.Done() in loops".
func countPrimes(ctx context.Context, limit int) (int, error) {
	composite := make([]bool, limit)
	for p := 2; p*p < limit; p++ {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if !composite[p] {
			for m := p * p; m < limit; m += p {
				composite[m] = true
			}
		}
	}
	count := 0
	for n := 2; n < limit; n++ {
		if !composite[n] {
			count++
		}
	}
	return count, nil
}

// ANCHOR_END: count_primes

// ANCHOR: value_key
// requestIDKey is unexported: no other package can make a key equal to it,
// so no other package can read or overwrite this value by accident.
type requestIDKey struct{}

// WithRequestID returns a child of ctx carrying the request's id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID is the id stored by WithRequestID, if any.
func RequestID(ctx context.Context) (string, bool) {
	id, ok := ctx.Value(requestIDKey{}).(string)
	return id, ok
}

// ANCHOR_END: value_key

// errStopped is what a job that was never started reports.
var errStopped = errors.New("not started: context already ended")

// runTask checks ctx between operations: a task whose context ended while it
// waited in a queue is never started.
func runTask(ctx context.Context, task func(context.Context) error) error {
	if ctx.Err() != nil {
		return errStopped
	}
	return task(ctx)
}
