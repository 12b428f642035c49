package ch10

import (
	"bookgo/internal/testwait"
	"context"
	"testing"
	"time"
)

// ANCHOR: queue_test
// Shutdown refuses new jobs at once, and returns when the worker has run every job queued
// before it, in order.
func TestQueueShutdownRunsTheQueuedJobs(t *testing.T) {
	q := NewQueue(1, 10)
	gate, ran := make(chan struct{}), make(chan int, 3)
	q.TrySubmit(func(context.Context) { <-gate; ran <- 1 })
	q.TrySubmit(func(context.Context) { ran <- 2 })
	q.TrySubmit(func(context.Context) { ran <- 3 })
	done := make(chan error, 1)
	go func() { done <- q.Shutdown(context.Background()) }()
	testwait.Eventually(t, "new jobs refused", func() bool { return !q.TrySubmit(func(context.Context) {}) })
	close(gate)
	if err := testwait.Receive(t, done); err != nil {
		t.Fatal(err)
	}
	for want := 1; want <= 3; want++ {
		if got := <-ran; got != want {
			t.Fatalf("ran job %d, want %d", got, want)
		}
	}
}

// ANCHOR_END: queue_test

// ANCHOR: queue_deadline_test
// At the deadline, the running job's ctx is cancelled, and the job still queued starts with
// its ctx already cancelled; Shutdown returns the deadline's error once both have returned.
func TestQueueShutdownCancelsAtTheDeadline(t *testing.T) {
	q := NewQueue(1, 10)
	started, saw := make(chan struct{}), make(chan error, 2)
	q.TrySubmit(func(ctx context.Context) { close(started); <-ctx.Done(); saw <- ctx.Err() })
	q.TrySubmit(func(ctx context.Context) { saw <- ctx.Err() })
	testwait.Receive(t, started)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := q.Shutdown(ctx); err != context.DeadlineExceeded {
		t.Fatalf("Shutdown: %v", err)
	}
	if first, second := <-saw, <-saw; first != context.Canceled || second != context.Canceled {
		t.Fatalf("the jobs saw %v and %v", first, second)
	}
}

// ANCHOR_END: queue_deadline_test

// A full queue refuses; Shutdown twice is harmless.
func TestQueueRefusesWhenFull(t *testing.T) {
	q := NewQueue(1, 1)
	gate := make(chan struct{})
	started := make(chan struct{})
	q.TrySubmit(func(context.Context) { close(started); <-gate })
	testwait.Receive(t, started)
	if !q.TrySubmit(func(context.Context) {}) || q.TrySubmit(func(context.Context) {}) {
		t.Fatal("a queue of one took a number of jobs other than one")
	}
	if q.Len() != 1 || q.Running() != 1 {
		t.Fatalf("%d queued, %d running", q.Len(), q.Running())
	}
	close(gate)
	if err := q.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := q.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}
