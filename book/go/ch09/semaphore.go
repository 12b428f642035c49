package ch09

import (
	"context"
	"net/http"
	"time"
)

// ANCHOR: guide_semaphore
// WithSemaphore is the guide's "Semaphore Pattern": at most cap(sem) calls of work run at
// once, and the others wait in the send. The release is deferred, so a panic in work does
// not keep its slot for ever.
func WithSemaphore(sem chan struct{}, work func()) {
	sem <- struct{}{}        // Acquire
	defer func() { <-sem }() // Release
	work()                   // Do work
}

// ANCHOR_END: guide_semaphore

// ANCHOR: semaphore
// Semaphore is the guide's buffered channel, with a name: each value in it is a slot taken.
type Semaphore chan struct{}

func NewSemaphore(n int) Semaphore { return make(Semaphore, n) }

// TryAcquire takes a slot if one is free; it never waits.
func (s Semaphore) TryAcquire() bool {
	select {
	case s <- struct{}{}:
		return true
	default:
		return false
	}
}

// Acquire waits for a slot, or until ctx ends. It looks at ctx first: when both cases of a
// select are ready, Go picks one at random, and a caller already cancelled would get a free
// slot half the time.
func (s Semaphore) Acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case s <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Release frees a slot. A Release without an Acquire would wait for ever on the empty
// channel; it panics instead.
func (s Semaphore) Release() {
	select {
	case <-s:
	default:
		panic("ch09: Release without Acquire")
	}
}

// ANCHOR_END: semaphore

// ANCHOR: concurrency_limit
// LimitConcurrency runs at most cap(sem) requests of next at once, and answers the others
// 503 at once: a full server says so, rather than park them.
func LimitConcurrency(sem Semaphore, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !sem.TryAcquire() {
			w.Header().Set("Retry-After", "1")
			writeError(w, http.StatusServiceUnavailable, "busy", "too many requests in progress")
			return
		}
		defer sem.Release()
		next.ServeHTTP(w, r)
	})
}

// QueueConcurrency lets a request wait up to maxWait for a slot, and no longer than its
// client does: r.Context() ends when the client goes away.
func QueueConcurrency(sem Semaphore, maxWait time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), maxWait)
		defer cancel()
		if err := sem.Acquire(ctx); err != nil {
			w.Header().Set("Retry-After", "1")
			writeError(w, http.StatusServiceUnavailable, "busy", "no slot within "+maxWait.String())
			return
		}
		defer sem.Release()
		next.ServeHTTP(w, r)
	})
}

// ANCHOR_END: concurrency_limit
