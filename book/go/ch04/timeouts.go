// Package ch04 is the Go side of chapter 4: the guide's §9 timeout pattern, and the
// behaviour of Go's channels, contexts and net/http timeouts the chapter compares with.
// Every claim the chapter makes about Go is a test in timeouts_test.go.
package ch04

import (
	"context"
	"errors"
	"time"
)

// ErrTimedOut is the operation's own timeout.
var ErrTimedOut = errors.New("timed out")

// ANCHOR: using_select
// RecvWithin is the guide's "Using Select": a result, a timeout, or a cancellation,
// whichever comes first.
func RecvWithin(ctx context.Context, resultCh <-chan int, d time.Duration) (int, error) {
	select {
	case result := <-resultCh:
		return result, nil // Handle result
	case <-time.After(d):
		return 0, ErrTimedOut // Handle timeout
	case <-ctx.Done():
		return 0, ctx.Err() // Handle cancellation
	}
}

// ANCHOR_END: using_select

// ANCHOR: using_context
// Compute is the guide's "Using Context": the timeout bounds everything ctx is
// passed to — the wait and, because work looks at it, the work too.
func Compute(ctx context.Context, work func(context.Context) (int, error)) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return work(ctx) // Pass ctx to operations
}

// ANCHOR_END: using_context

// ANCHOR: optional_timeout
// RecvMaybeWithin has an optional timeout: a nil channel never delivers, so
// with d == 0 its case can never win.
func RecvMaybeWithin(resultCh <-chan int, d time.Duration) (int, error) {
	var timeout <-chan time.Time // nil: no timeout
	if d > 0 {
		timeout = time.After(d)
	}
	select {
	case result := <-resultCh:
		return result, nil
	case <-timeout:
		return 0, ErrTimedOut
	}
}

// ANCHOR_END: optional_timeout
