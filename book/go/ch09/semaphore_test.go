package ch09

import (
	"bookgo/internal/testwait"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// ANCHOR: semaphore_test
// Ten goroutines through a semaphore of three: three get in and stay, the channel is full,
// the other seven wait; once the three leave, the seven pass, and no goroutine ever sees a
// fourth beside it.
func TestTheGuideSemaphoreBoundsConcurrency(t *testing.T) {
	sem := make(chan struct{}, 3) // Max 3 concurrent operations
	var inside atomic.Int32
	entered, gate := make(chan struct{}, 10), make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			WithSemaphore(sem, func() {
				defer inside.Add(-1)
				if inside.Add(1) > 3 {
					t.Error("a fourth goroutine got in")
				}
				entered <- struct{}{}
				<-gate
			})
		}()
	}
	for i := 0; i < 3; i++ {
		testwait.Receive(t, entered)
	}
	if inside.Load() != 3 || len(sem) != 3 {
		t.Fatalf("%d inside, %d slots taken", inside.Load(), len(sem))
	}
	close(gate)
	for i := 0; i < 7; i++ {
		testwait.Receive(t, entered)
	}
	wg.Wait()
}

// ANCHOR_END: semaphore_test

// ANCHOR: limit_test
// With both slots held by requests in progress, a third request is answered 503 at once,
// with Retry-After; the two are answered in full when they finish.
func TestLimitConcurrencyAnswers503(t *testing.T) {
	entered, gate := make(chan struct{}), make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-gate
		io.WriteString(w, "done")
	})
	server := httptest.NewServer(LimitConcurrency(NewSemaphore(2), slow))
	defer server.Close()
	statuses := make(chan int, 2)
	for i := 0; i < 2; i++ {
		go func() {
			resp, err := http.Get(server.URL)
			if err != nil {
				statuses <- 0
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
		testwait.Receive(t, entered)
	}
	resp := get(t, server.URL)
	var body struct{ Error struct{ Code string } }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 503 ||
		body.Error.Code != "busy" || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("%d %+v %v", resp.StatusCode, body, err)
	}
	close(gate)
	for i := 0; i < 2; i++ {
		if status := testwait.Receive(t, statuses); status != 200 {
			t.Fatalf("status %d", status)
		}
	}
}

// ANCHOR_END: limit_test

// ANCHOR: acquire_ctx_test
// Acquire on a full semaphore returns ctx's error when ctx ends, cancelled or timed out,
// and takes no slot.
func TestAcquireGivesUpWithItsContext(t *testing.T) {
	sem := NewSemaphore(1)
	sem.TryAcquire()
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error)
	go func() { errs <- sem.Acquire(ctx) }()
	cancel()
	if err := testwait.Receive(t, errs); err != context.Canceled {
		t.Fatalf("cancelled: %v", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if err := sem.Acquire(ctx); err != context.DeadlineExceeded || len(sem) != 1 {
		t.Fatalf("timed out: %v, %d slots taken", err, len(sem))
	}
	sem.Release()
	if err := sem.Acquire(context.Background()); err != nil {
		t.Fatalf("a free slot: %v", err)
	}
}

// ANCHOR_END: acquire_ctx_test

// ANCHOR: select_random
// When several cases of a select are ready, Go picks one at random. Without its first look
// at ctx, Acquire with a cancelled ctx and a free slot takes the slot about half the time;
// with it, never.
func TestSelectPicksAReadyCaseAtRandom(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	naiveAcquire := func(s Semaphore) error {
		select {
		case s <- struct{}{}:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	acquired := 0
	for i := 0; i < 200; i++ {
		sem := NewSemaphore(1)
		if naiveAcquire(sem) == nil {
			acquired++
		}
		if sem.Acquire(ctx) == nil {
			t.Fatal("Acquire took a slot with ctx cancelled")
		}
	}
	if acquired == 0 || acquired == 200 {
		t.Fatalf("the naive acquire took a slot %d times in 200", acquired)
	}
	t.Logf("the naive acquire took a slot %d times in 200", acquired)
}

// ANCHOR_END: select_random

func TestReleaseWithoutAcquirePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	NewSemaphore(1).Release()
}

// QueueConcurrency waits for a slot, up to maxWait: refused when none comes in time, served
// when one is released while it waits.
func TestQueueConcurrencyWaitsForASlot(t *testing.T) {
	sem := NewSemaphore(1)
	sem.TryAcquire()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	rec := httptest.NewRecorder()
	QueueConcurrency(sem, time.Millisecond, ok).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 503 {
		t.Fatalf("status %d", rec.Code)
	}
	codes := make(chan int)
	go func() {
		rec := httptest.NewRecorder()
		QueueConcurrency(sem, testwait.Guard, ok).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		codes <- rec.Code
	}()
	sem.Release()
	if code := testwait.Receive(t, codes); code != 200 {
		t.Fatalf("status %d", code)
	}
}

// A panic in the work does not keep the guide semaphore's slot.
func TestAPanicReleasesTheSlot(t *testing.T) {
	sem := make(chan struct{}, 1)
	func() {
		defer func() { _ = recover() }()
		WithSemaphore(sem, func() { panic(errors.New("boom")) })
	}()
	if len(sem) != 0 {
		t.Fatal("the slot is still taken")
	}
}
